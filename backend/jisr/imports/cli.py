"""`jisr import …` and `jisr worker`: imports from scripts, locally or through a remote Jisr's API."""

import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

FRANCE = "france-reference"
RETRY_STATUSES = {429, 500, 502, 503, 504}
KINDS = ("collectivities", "needs", "partnerships", "contacts", "events")


def _print(report: dict[str, Any]) -> None:
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))


def _exit_code(report: dict[str, Any]) -> int:
    if report.get("status") == "failed":
        return 2
    return 1 if report.get("error_count") or report.get("rejected") else 0


def _local(target: Path | None, kind: str, dry_run: bool, on_error: str, directory: Path | None) -> dict[str, Any]:
    from jisr.core.db import new_session
    from jisr.imports import parsing, service
    from jisr.imports.models import OnError

    with new_session() as session:
        if kind == FRANCE:
            job = service.new_job(
                session,
                kind=FRANCE,
                actor="cli",
                dry_run=dry_run,
                on_error=OnError.abort,
                fmt="json",
                filename=str(directory or "npm"),
                size=0,
            )
            session.commit()
            return service.run_france(session, job, directory, {}).model_dump(mode="json")
        assert target is not None
        with target.open("rb") as stream:
            head = stream.read(8192)
            stream.seek(0)
            fmt = parsing.detect_format(head, target.name)
            job = service.new_job(
                session,
                kind=kind,
                actor="cli",
                dry_run=dry_run,
                on_error=OnError(on_error),
                fmt=fmt,
                filename=target.name,
                size=target.stat().st_size,
            )
            job.total = service.estimate_rows(stream, fmt)
            session.commit()
            with typer.progressbar(length=job.total or 0, label=f"importing {target.name}", file=sys.stderr) as bar:
                last = [0]

                def progress(n: int) -> None:
                    bar.update(n - last[0])
                    last[0] = n

                report = service.run(session, job, stream, on_progress=progress)
            return report.model_dump(mode="json")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _post(client: Any, url: str, rows: list[dict[str, Any]], params: dict[str, str], attempts: int = 6) -> Any:
    """POST one batch; retry on 429/5xx and network errors with exponential backoff (Retry-After honoured)."""
    import httpx

    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            response = client.post(url, json=rows, params=params)
        except httpx.TransportError as exc:
            if attempt == attempts:
                raise typer.BadParameter(f"{url}: {exc}") from exc
            time.sleep(delay)
            delay *= 2
            continue
        if response.status_code in RETRY_STATUSES and attempt < attempts:
            wait = response.headers.get("Retry-After", "")
            time.sleep(float(wait) if wait.isdigit() else delay)
            delay *= 2
            continue
        return response
    return response


def _remote(target: Path, kind: str, dry_run: bool, on_error: str, api: str, token: str, batch: int) -> dict[str, Any]:
    """Parse here, send JSON batches. Without on_error=skip, a dry pass first: any error writes nothing."""
    import httpx

    from jisr.imports import parsing

    with target.open("rb") as stream:
        fmt = parsing.detect_format(stream.read(8192), target.name)
        stream.seek(0)
        rows = [(n, {k: _jsonable(v) for k, v in r.items()}) for n, r in parsing.read_rows(stream, fmt)]
    url = f"{api.rstrip('/')}/api/v1/imports/{kind}"
    headers = {"Authorization": f"Bearer {token}"}
    passes = [True] if dry_run else ([False] if on_error == "skip" else [True, False])
    total: dict[str, Any] = {}
    with httpx.Client(headers=headers, timeout=300) as client:
        for dry in passes:
            total = {
                "kind": kind,
                "status": "done",
                "dry_run": dry,
                "committed": not dry,
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "rejected": 0,
                "processed": 0,
                "error_count": 0,
                "errors": [],
            }
            label = "checking" if dry and len(passes) > 1 else "importing"
            with typer.progressbar(length=len(rows), label=f"{label} {target.name}", file=sys.stderr) as bar:
                for start in range(0, len(rows), batch):
                    chunk = rows[start : start + batch]
                    params = {"dry_run": str(dry).lower(), "on_error": on_error, "background": "false"}
                    response = _post(client, url, [r for _, r in chunk], params)
                    if response.status_code != 200:
                        detail = response.json().get("detail") if response.content else ""
                        return {
                            **total,
                            "status": "failed",
                            "committed": False,
                            "detail": f"HTTP {response.status_code}: {detail}",
                        }
                    body = response.json()
                    for key in ("created", "updated", "unchanged", "rejected", "processed", "error_count"):
                        total[key] += body.get(key, 0)
                    for error in body.get("errors", []):
                        index = int(error["row"]) - 1
                        error["row"] = chunk[index][0] if 0 <= index < len(chunk) else error["row"]
                        total["errors"].append(error)
                    bar.update(len(chunk))
            if total["error_count"] and not dry_run and on_error != "skip":
                total.update(
                    status="rejected",
                    committed=False,
                    detail="Nothing was written: fix the errors, or import with --on-error skip.",
                )
                return total
    return total


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        target: Annotated[str, typer.Argument(help="The file (CSV, XLSX, JSON), or `france-reference`.")],
        directory: Annotated[
            Path | None,
            typer.Argument(help="france-reference: the folder with communes.json…; fetched with npm when left out."),
        ] = None,
        kind: Annotated[
            str | None, typer.Option(help="collectivities, needs, partnerships, contacts or events.")
        ] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")] = False,
        on_error: Annotated[str, typer.Option(help="abort (nothing written on any error) or skip.")] = "abort",
        api: Annotated[
            str | None, typer.Option(help="A remote Jisr (https://…); the local database otherwise.")
        ] = None,
        token: Annotated[str | None, typer.Option(help="Bearer token for --api.", envvar="JISR_TOKEN")] = None,
        batch_size: Annotated[int, typer.Option(help="Rows per request with --api.")] = 500,
    ) -> None:
        """Import a spreadsheet (`jisr import FILE --kind needs`) or the French reference directory
        (`jisr import france-reference [DIR]`). Prints the report; exits 1 when a row was rejected."""
        if on_error not in ("abort", "skip"):
            raise typer.BadParameter("--on-error is abort or skip")
        if target == FRANCE:
            if api:
                raise typer.BadParameter(
                    "france-reference runs locally; through the API, POST /api/v1/imports/france-reference"
                )
            report = _local(None, FRANCE, dry_run, on_error, directory)
        else:
            path = Path(target)
            if not path.is_file():
                raise typer.BadParameter(f"{target} is not a file")
            if kind not in KINDS:
                raise typer.BadParameter(f"--kind is {', '.join(KINDS[:-1])} or {KINDS[-1]}")
            if api:
                if not token:
                    raise typer.BadParameter("--api needs --token (or JISR_TOKEN)")
                report = _remote(path, kind, dry_run, on_error, api, token, batch_size)
            else:
                from jisr.imports.parsing import FileError

                try:
                    report = _local(path, kind, dry_run, on_error, None)
                except FileError as exc:
                    report = {"kind": kind, "status": "failed", "detail": str(exc)}
        _print(report)
        raise typer.Exit(_exit_code(report))

    @app.command()
    def worker(
        once: Annotated[bool, typer.Option("--once", help="One pass, then stop.")] = False,
        interval: Annotated[float, typer.Option(help="Seconds to wait when there is nothing to do.")] = 5.0,
        with_parent: Annotated[
            bool, typer.Option("--with-parent", hidden=True, help="Stop when the process that started this one ends.")
        ] = False,
    ) -> None:
        """Send due outbox messages (webhooks, e-mails) with retries, run queued import jobs, and send
        reminders, proposal expiries and digests when they fall due. SIGTERM stops it after the pass in
        hand (a job being run is finished)."""
        import logging
        import os
        import signal
        import threading

        from jisr.worker import loop

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if with_parent:  # started by `jisr serve`: never outlive it, even when it was killed outright
            parent = os.getppid()

            def watch() -> None:
                while not stop.wait(1):
                    if os.getppid() != parent:
                        stop.set()

            threading.Thread(target=watch, name="jisr-parent-watch", daemon=True).start()
        loop(stop, interval=interval, once=once)
