"""The `jisr` command: serve, migrate, seed, users, openapi."""

import json
import os
import subprocess  # noqa: F401  (named in annotations)
from pathlib import Path
from typing import Annotated

import typer
from alembic.config import Config

from jisr.auth.models import Role

app = typer.Typer(
    help="Jisr — partnership platform of the French–Lebanese cooperation programme.", no_args_is_help=True
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"  # shipped in the package (the wheel too)


def alembic_config() -> Config:
    """The migrations installed with the package; no alembic.ini needed (the repository's one, for
    developers running `alembic`, names the same scripts)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade heads), then seed reference data."""
    from alembic import command

    from jisr.core.bootstrap import bootstrap
    from jisr.core.db import new_session

    command.upgrade(alembic_config(), "heads")
    with new_session() as session:
        bootstrap(session)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
    worker: Annotated[
        bool,
        typer.Option(
            help="Run the worker: its loop in each server process (e-mails, webhooks, reminders) and a worker "
            "process beside them (all of it, import jobs included)."
        ),
    ] = True,
) -> None:
    """Run the API and the web app. Logs go to stderr: one JSON object per line in production, readable
    text in development (JISR_LOG_FORMAT, JISR_LOG_LEVEL); the app writes the access log (jisr.access)."""
    import uvicorn

    from jisr.core.config import get_settings
    from jisr.core.logging import log_config

    # What the command line decided goes into the environment first (each server process reads it, the
    # one this command runs in included), then the settings are read, once.
    os.environ["JISR_WORKER_IN_PROCESS"] = "true" if worker else "false"
    if worker:  # the heavy jobs go to the worker process, not to a thread sharing the API's interpreter lock
        os.environ["JISR_WORKER_JOBS_IN_PROCESS"] = "false"
    get_settings.cache_clear()
    settings = get_settings()
    # X-Forwarded-For is believed only from JISR_TRUSTED_PROXIES (uvicorn alone would trust 127.0.0.1).
    proxies = settings.trusted_proxy_list
    jobs = _start_worker_process() if worker else None
    try:
        uvicorn.run(
            "jisr.main:app",
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or [],
            timeout_worker_healthcheck=60,  # a busy machine may take more than uvicorn's 5 s to start a process
            log_config=log_config(settings.log_format_resolved, settings.log_level),
            access_log=False,
        )
    finally:
        if jobs is not None:
            _stop_worker_process(jobs)


def _start_worker_process() -> "subprocess.Popen[bytes]":
    import subprocess
    import sys

    argv = [sys.executable, "-c", "from jisr.cli import app; app()", "worker", "--interval", "1", "--with-parent"]
    return subprocess.Popen(argv)


def _stop_worker_process(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM: the worker finishes the job in hand (an import is committed whole or not at all)."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@app.command()
def check(
    workers: Annotated[int, typer.Option(help="Server processes you start (`jisr serve --workers N`).")] = 1,
) -> None:
    """Is this install ready for production? Secret key, public URL, SMTP (with its TLS mode), database
    reachable and migrated, connections (pool × processes) under PostgreSQL's max_connections. One line
    per check; exit code 1 when one fails."""
    from pydantic import ValidationError

    from jisr import checks
    from jisr.core.config import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"FAIL settings: {error['msg']}")
        raise typer.Exit(1) from exc
    if not checks.run(settings, workers, typer.echo):
        raise typer.Exit(1)


@app.command()
def seed(demo: Annotated[bool, typer.Option("--demo", help="Load the programme's demo data.")] = False) -> None:
    """Load demo data (once: a second run changes nothing)."""
    if not demo:
        typer.echo("nothing to do: pass --demo")
        raise typer.Exit(0)
    from jisr.core.db import new_session
    from jisr.seed import load_demo

    with new_session() as session:
        summary = load_demo(session)
        session.commit()
    typer.echo(summary)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Role = Role.admin,
    full_name: str = "",
) -> None:
    """Create a user account."""
    from pydantic import ValidationError

    from jisr.auth.models import UserCreate
    from jisr.auth.service import create_user
    from jisr.core.db import new_session
    from jisr.core.errors import AppError

    try:
        data = UserCreate(email=email, password=password, role=role, full_name=full_name)
        with new_session() as session:
            user = create_user(session, data=data)
            session.commit()
    except ValidationError as exc:
        typer.echo(f"invalid: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from exc
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {user.role} {user.email}")


@app.command()
def openapi(output: Path = ROOT / "openapi" / "openapi.json") -> None:
    """Write the OpenAPI schema the app serves."""
    from jisr.main import app as api

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(api.openapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command("backup")
def backup_(
    file: Annotated[Path, typer.Argument(help="The backup to write (gzip'd JSON lines, e.g. jisr.jsonl.gz).")],
) -> None:
    """Write the whole database to FILE, SQLite or PostgreSQL alike; safe beside a running server."""
    import sys

    from jisr import backup
    from jisr.core.db import get_engine

    with typer.progressbar(length=0, label=f"backing up to {file.name}", file=sys.stderr) as bar:

        def total(n: int) -> None:
            bar.length = n

        try:
            summary: backup.Summary | backup.BackupError = backup.backup(
                get_engine(), file, progress=bar.update, total=total
            )
        except backup.BackupError as exc:
            summary = exc
    if isinstance(summary, backup.BackupError):  # told once the progress bar is closed
        typer.echo(f"error: {summary}", err=True)
        raise typer.Exit(1)
    revision = ", ".join(summary.revisions)
    typer.echo(f"wrote {file}: {summary.rows} rows in {len(summary.tables)} tables, revision {revision}")


@app.command("restore")
def restore_(
    file: Annotated[Path, typer.Argument(help="A file written by `jisr backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace what the database holds.")] = False,
) -> None:
    """Load FILE into the database (migrated, empty unless --force), in one transaction: on any error the
    database stays as it was. Stop the server first."""
    import sys

    from jisr import backup
    from jisr.core.db import get_engine

    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file")
    with typer.progressbar(length=0, label=f"restoring {file.name}", file=sys.stderr) as bar:

        def total(n: int) -> None:
            bar.length = n

        try:
            summary: backup.Summary | backup.BackupError = backup.restore(
                get_engine(), file, force=force, progress=bar.update, total=total
            )
        except backup.BackupError as exc:
            summary = exc
    if isinstance(summary, backup.BackupError):  # told once the progress bar is closed
        typer.echo(f"error: {summary}", err=True)
        raise typer.Exit(1)
    typer.echo(f"restored {file}: {summary.rows} rows in {len(summary.tables)} tables")


# `jisr import …` and `jisr worker` (bulk imports, outbox deliveries).
from jisr.imports.cli import register as _register_import_commands  # noqa: E402

_register_import_commands(app)
