"""All settings, read once from the environment (prefix ``JISR_``)."""

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JISR_", extra="ignore")

    env: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    admin_email: str | None = None
    admin_password: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    cors_origins: str = ""
    token_lifetime_minutes: int = 60
    max_body_bytes: int = 5 * 1024 * 1024
    max_import_bytes: int = 200 * 1024 * 1024
    # What an uploaded archive (the .tgz of the French reference, an .xlsx, which is a zip) may expand to.
    import_max_expanded_bytes: int = 128 * 1024 * 1024
    # Imports above this size run as a background job (202 + GET /api/v1/imports/{id}).
    import_job_threshold_bytes: int = 2 * 1024 * 1024
    # The delta-sync cursor trails the present by this much, so writes still in flight are not skipped.
    changes_settle_seconds: int = 30
    webhook_timeout_seconds: float = 10.0
    # Webhooks go to public addresses only; these host names, addresses or networks (comma-separated) are
    # allowed although private, e.g. "hooks.internal,10.1.2.3,192.168.0.0/16".
    webhook_allowed_hosts: str = ""
    # E-mail (notifications). With no SMTP host, e-mails wait in the outbox as `pending`.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 20.0
    mail_from: str = "Jisr <no-reply@jisr.invalid>"
    # Proposals: unanswered after this many days, both sides are reminded once; after the grace, it expires.
    proposal_answer_days: int = 14
    proposal_expiry_grace_days: int = 3
    # Reminders (issue 8, part 2): census closing, event the day before; the weekly digest to staff.
    census_reminder_days_before: int = 3
    event_reminder_hours_before: int = 24
    digest_weekday: int = 1  # ISO weekday (1 = Monday) from which the week's digest goes out
    digest_hour_utc: int = 6
    # The worker's pass over reminders, expiry and digests runs at most this often (seconds).
    reminders_interval_seconds: float = 60.0
    # `jisr serve` sets it: each server process runs the worker loop on a thread (jisr.worker).
    worker_in_process: bool = False
    # Addresses (or networks) of the reverse proxies in front of Jisr, comma-separated: only from these is
    # X-Forwarded-For believed (`jisr serve` hands them to uvicorn). Empty: the peer's address is the client's.
    trusted_proxies: str = ""
    # Whether that thread runs the queued import jobs too; `jisr serve` sets it false when it starts a
    # worker process for them (the default), so that no job shares the API's interpreter lock.
    worker_jobs_in_process: bool = True
    # POST /matches/runs queues the run for the worker and waits for it this long at most (polling the
    # database, holding no connection meanwhile); past it, 202 + Location. Without a worker
    # (worker_in_process false: plain uvicorn) the request runs the matching itself.
    match_run_wait_seconds: float = 300.0
    login_max_failures: int = 5
    login_max_failures_per_address: int = 30
    login_lockout_minutes: int = 15
    # Argon2 cost; tests lower it to keep the suite fast, production keeps the defaults.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    # Connections per server process: more than the request threads (plus the worker thread and background
    # tasks), so that no request waits on a connection; 2 processes × 25 stay well under PostgreSQL's
    # default max_connections (100), leaving room for `jisr worker`, migrations and psql.
    request_threads: int = 20
    db_pool_size: int = 10
    db_max_overflow: int = 15
    # No request waits long for the database (issue 13): a connection from the pool within this many
    # seconds, and on PostgreSQL, for API requests, a lock within db_lock_timeout_ms and a statement within
    # db_statement_timeout_ms (0 = no limit). Past one, the answer is 503 + Retry-After (retry_after_seconds).
    # The worker's jobs (imports, matching) have no such limits.
    db_pool_timeout_seconds: float = 5.0
    db_lock_timeout_ms: int = 3000
    db_statement_timeout_ms: int = 20000
    retry_after_seconds: int = 5
    # List answers kept per process while PostgreSQL's snapshot is unchanged (core.snapshots); 0 = off.
    list_cache_bytes: int = 32 * 2**20
    static_dir: Path | None = None
    # Logs (issue 7): "json" (one object per line) or "text"; unset = json in production, text in development.
    log_format: Literal["json", "text"] | None = None
    log_level: str = "INFO"
    # Strict-Transport-Security max-age; 0 = no header. Set it only when Jisr is reached over HTTPS.
    hsts_seconds: int = 0

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> "Settings":
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError("JISR_SECRET_KEY must be set (32+ characters) when JISR_ENV=production")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'jisr.db'}"

    @property
    def log_format_resolved(self) -> Literal["json", "text"]:
        return self.log_format or ("json" if self.env == "production" else "text")

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def signing_key(self) -> str:
        """The token key: from the environment, or (development) generated once under var/."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Exclusive creation: ``jisr serve`` starts its server and worker at once, and only one of
            # them may write the key (private from the first byte).
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            # The other process may have created the file and not written it yet: wait (briefly) for it.
            for _ in range(100):
                key = path.read_text().strip()
                if key:
                    return key
                time.sleep(0.05)
            raise RuntimeError(f"{path} stays empty: remove it, or set JISR_SECRET_KEY.") from None
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
