"""`jisr check`: is this install ready for production? One line per check; any failure → exit 1.

Each check returns (ok, what it saw). They read the settings the server would read (the environment),
and touch the outside world only to look: an SMTP conversation up to (STARTTLS and) login, then QUIT; a
database connection that reads the migration revisions and max_connections.
"""

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from jisr.core.config import Settings

Result = tuple[bool, str]


@dataclass
class Check:
    name: str
    run: Callable[[], Result]


def secret_key(settings: Settings) -> Result:
    if not settings.secret_key:
        return False, "JISR_SECRET_KEY is not set (a key generated under the var folder is for development only)"
    if len(settings.secret_key) < 32:
        return False, f"JISR_SECRET_KEY has {len(settings.secret_key)} characters; use 32 or more"
    return True, f"set, {len(settings.secret_key)} characters"


def public_url(settings: Settings) -> Result:
    url = urlsplit(settings.public_url)
    if url.scheme != "https" or not url.hostname:
        return False, f"JISR_PUBLIC_URL={settings.public_url!r}: links in e-mails need the public https:// address"
    if url.hostname in ("localhost", "127.0.0.1", "::1") or url.hostname.endswith((".invalid", ".local")):
        return False, f"JISR_PUBLIC_URL={settings.public_url!r} cannot be reached by the people it is sent to"
    return True, settings.public_url


def trusted_proxies(settings: Settings) -> Result:
    """Production runs behind a reverse proxy that ends TLS (`jisr serve` serves plain HTTP): without the
    proxy's address every client looks like the proxy, and one address's failed sign-ins or census
    requests hold everybody back."""
    proxies = settings.trusted_proxy_list
    if proxies:
        return True, f"X-Forwarded-For believed from {', '.join(proxies)}"
    if settings.env == "production":
        return False, (
            "JISR_TRUSTED_PROXIES is empty: behind the reverse proxy every client has the proxy's address and the "
            "sign-in and census limits hold everybody back; set it to the proxy's address (e.g. 127.0.0.1)"
        )
    return True, "none (development: clients connect directly)"


def smtp(settings: Settings) -> Result:
    if not settings.smtp_host:
        return False, "JISR_SMTP_HOST is not set: e-mails wait in the outbox"
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    mode = "STARTTLS" if settings.smtp_starttls else "no TLS"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=min(settings.smtp_timeout_seconds, 10)) as s:
            s.ehlo()
            if settings.smtp_starttls:
                if not s.has_extn("starttls"):
                    return False, f"{where} does not offer STARTTLS (JISR_SMTP_STARTTLS=true)"
                s.starttls(context=ssl.create_default_context())
                s.ehlo()
            if settings.smtp_user:
                s.login(settings.smtp_user, settings.smtp_password)
    except (OSError, smtplib.SMTPException) as exc:
        return False, f"{where} ({mode}): {type(exc).__name__}: {exc}"
    login = f", logged in as {settings.smtp_user}" if settings.smtp_user else ""
    return True, f"{where} answers ({mode}{login})"


def database(settings: Settings) -> Result:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from jisr.cli import alembic_config
    from jisr.core.db import get_engine

    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    try:
        with get_engine().connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:
        return False, f"cannot connect: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    kind = get_engine().dialect.name
    # Migrated when every script is applied: the heads are all among what the database's revisions need
    # (a head that another revision depends on is not stored as a current head).
    applied = {r.revision for r in script.iterate_revisions(tuple(current), "base")} if current else set()
    if not heads <= applied:
        have, want = ", ".join(sorted(current)) or "none", ", ".join(sorted(heads))
        return False, f"{kind} reachable but not migrated (at {have}, scripts at {want}): run `jisr migrate`"
    return True, f"{kind} reachable, migrated ({', '.join(sorted(heads))})"


def connections(settings: Settings, processes: int) -> Result:
    from sqlalchemy import text

    from jisr.core.db import get_engine

    engine = get_engine()
    if engine.dialect.name != "postgresql":
        return True, f"{engine.dialect.name}: no connection limit to check"
    per_process = settings.db_pool_size + settings.db_max_overflow
    # the server processes, the worker process `jisr serve` starts beside them, and a few for psql, backups
    needed = per_process * (processes + 1) + 5
    try:
        with engine.connect() as conn:
            limit = int(conn.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    except Exception as exc:
        return False, f"cannot read max_connections: {type(exc).__name__}"
    available = limit - reserved
    summary = f"{per_process} per process × ({processes} + 1 worker) + 5 = {needed}, max_connections {limit}"
    if needed > available:
        return False, f"{summary} (−{reserved} reserved): lower JISR_DB_POOL_SIZE/JISR_DB_MAX_OVERFLOW or --workers"
    return True, summary


def all_checks(settings: Settings, processes: int) -> list[Check]:
    return [
        Check("secret key", lambda: secret_key(settings)),
        Check("public URL", lambda: public_url(settings)),
        Check("trusted proxies", lambda: trusted_proxies(settings)),
        Check("SMTP", lambda: smtp(settings)),
        Check("database", lambda: database(settings)),
        Check("connections", lambda: connections(settings, processes)),
    ]


def run(settings: Settings, processes: int, echo: Callable[[str], None]) -> bool:
    ok_all = True
    for check in all_checks(settings, processes):
        try:
            ok, said = check.run()
        except Exception as exc:  # a check that breaks is a failed check, said as such
            ok, said = False, f"{type(exc).__name__}: {exc}"
        ok_all &= ok
        echo(f"{'ok  ' if ok else 'FAIL'} {check.name}: {said}")
    return ok_all
