"""Imports: run a file through the engine, record the job, decide to write or not, notify.

Small files run in the request; files above ``import_job_threshold_bytes`` become a job (202) that
the app runs right after answering, or any ``jisr worker`` picks up: the file waits in the database,
so a job survives the process that received it. Progress is written as the job goes (PostgreSQL;
SQLite allows one writer at a time, so there the job reports at its end).
"""

import fcntl
import io
import logging
import tarfile
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, text, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from jisr.audit import service as audit
from jisr.auth.service import Principal
from jisr.core.config import get_settings
from jisr.core.crud import get_or_404
from jisr.core.db import get_engine, new_session, utcnow
from jisr.core.pagination import ListParams, paginate
from jisr.imports import engine, france, parsing
from jisr.imports.models import (
    MAX_ERRORS,
    ImportIssue,
    ImportJob,
    ImportPayload,
    ImportReport,
    JobStatus,
    OnError,
)
from jisr.webhooks import service as webhooks
from jisr.webhooks.models import WebhookEvent

log = logging.getLogger("jisr.imports")

FRANCE = "france-reference"


def report_of(job: ImportJob) -> ImportReport:
    return ImportReport(
        id=job.id,
        kind=job.kind,
        status=JobStatus(job.status),
        dry_run=job.dry_run,
        committed=job.committed,
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        rejected=job.rejected,
        processed=job.processed,
        total=job.total,
        error_count=job.error_count,
        errors=[ImportIssue.model_validate(e) for e in job.errors],
        detail=job.detail,
        filename=job.filename,
        format=job.format,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


# --- leases: which running jobs still have a process behind them ---------------------------------
# A job is `running` in the database from its claim to its end. If the process running it dies
# (SIGKILL, power loss) its transaction is rolled back — nothing of the import is written — but
# the row would say `running` forever. So a running job holds a lease that the operating system or
# the database frees when the process dies: a PostgreSQL session advisory lock (any host), or an
# flock on a file beside the SQLite database (one host). At start-up (`bootstrap`), a running job
# whose lease can be taken has no process left: it is marked failed, and can be imported again.

INTERRUPTED = "Interrupted: the server stopped while this import ran, and nothing of it was written. Run it again."

_leases: dict[uuid.UUID, Any] = {}


def _lock_key(job_id: uuid.UUID) -> int:
    return int.from_bytes(job_id.bytes[:8], "big", signed=True)


def _try_lease(job_id: uuid.UUID) -> Any | None:
    """Take the lease of ``job_id`` without waiting; None when a live process holds it."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(job_id)}).scalar():
            return conn
        conn.close()
        return None
    folder = get_settings().var_dir / "import-leases"
    folder.mkdir(parents=True, exist_ok=True)
    f = (folder / f"{job_id}.lock").open("a")  # noqa: SIM115 (held until the lease ends)
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def _free(job_id: uuid.UUID, lease: Any) -> None:
    try:
        if hasattr(lease, "execute"):
            lease.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(job_id)})
            lease.close()
        else:
            (get_settings().var_dir / "import-leases" / f"{job_id}.lock").unlink(missing_ok=True)
            lease.close()  # closing the file releases the flock
    except Exception:  # a lease that cannot be freed cleanly dies with its connection or process
        log.warning("could not free the lease of import %s", job_id, exc_info=True)
        if hasattr(lease, "invalidate"):
            lease.invalidate()


def hold(job_id: uuid.UUID) -> bool:
    """Hold the lease of a job this process is about to run (until ``release``)."""
    if job_id in _leases:
        return True
    lease = _try_lease(job_id)
    if lease is None:
        return False
    _leases[job_id] = lease
    return True


def release(job_id: uuid.UUID) -> None:
    lease = _leases.pop(job_id, None)
    if lease is not None:
        _free(job_id, lease)


def recover_interrupted(session: Session) -> int:
    """Mark failed the running jobs no live process holds (start-up). Returns how many."""
    ids = list(session.exec(select(ImportJob.id).where(ImportJob.status == JobStatus.running.value)))
    recovered = 0
    for job_id in ids:
        if job_id in _leases:
            continue
        lease = _try_lease(job_id)
        if lease is None:
            continue
        try:
            done = session.execute(
                update(ImportJob)
                .where(col(ImportJob.id) == job_id, col(ImportJob.status) == JobStatus.running.value)
                .values(status=JobStatus.failed.value, detail=INTERRUPTED, finished_at=utcnow(), updated_at=utcnow())
            )
            session.execute(delete(ImportPayload).where(col(ImportPayload.job_id) == job_id))
            session.commit()
            recovered += int(done.rowcount)  # type: ignore[attr-defined]
        finally:
            _free(job_id, lease)
    if recovered:
        log.warning("marked %d interrupted import job(s) as failed", recovered)
    return recovered


def new_job(
    session: Session,
    *,
    kind: str,
    actor: Principal | str,
    dry_run: bool,
    on_error: OnError,
    fmt: str,
    filename: str,
    size: int,
    payload: bytes | None = None,
) -> ImportJob:
    job = ImportJob(
        kind=kind,
        dry_run=dry_run,
        on_error=on_error.value,
        format=fmt,
        filename=filename[:300],
        size_bytes=size,
        actor=(actor.label if isinstance(actor, Principal) else actor)[:254],
        status=JobStatus.queued.value if payload is not None else JobStatus.running.value,
        started_at=None if payload is not None else utcnow(),
    )
    if payload is None:  # running from now on, in this process
        hold(job.id)
    session.add(job)
    session.flush()
    if payload is not None:
        session.add(ImportPayload(job_id=job.id, data=payload))
        session.flush()
    return job


def estimate_rows(stream: IO[bytes], fmt: str) -> int | None:
    """A cheap row count for progress: lines of a CSV (quoted new lines make it an upper bound)."""
    if fmt != "csv":
        return None
    stream.seek(0)
    lines = 0
    last = b""
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk
    stream.seek(0)
    if last and not last.endswith(b"\n"):
        lines += 1
    return max(lines - 1, 0)


def _progress_writer(session: Session, job_id: uuid.UUID) -> Callable[[int], None] | None:
    """Progress in its own short transactions (PostgreSQL only: SQLite has one writer at a time)."""
    if session.get_bind().dialect.name != "postgresql":
        return None

    def write(processed: int) -> None:
        try:
            with new_session() as s:
                s.execute(text("SET LOCAL lock_timeout = '2s'"))
                s.execute(update(ImportJob).where(col(ImportJob.id) == job_id).values(processed=processed))
                s.commit()
        except OperationalError:  # progress is a courtesy: never let it stop the import
            log.warning("could not write the progress of import %s", job_id)

    return write


def _finish(session: Session, job: ImportJob, rep: engine.Report | None, *, failure: str | None = None) -> ImportReport:
    """Keep or roll back the import, record the outcome (and tell webhooks), then commit.

    The rows and the job's outcome are committed together: a process killed before that commit leaves
    neither (the job stays `running` until ``recover_interrupted``), never rows under a running job."""
    write = False
    if rep is not None and failure is None:
        write = not job.dry_run and (rep.error_count == 0 or job.on_error == OnError.skip.value)
        if write:
            if job.kind == "needs":
                _emit_needs(session, rep)
            # Rows are written set-based, past the audit listener: one summary row per import.
            counts = {"created": rep.created, "updated": rep.updated, "rejected": rep.rejected}
            table = "collectivities" if job.kind == FRANCE else job.kind
            audit.record_bulk(session, table, "import", counts, import_id=job.id)
        else:
            session.rollback()
    else:
        session.rollback()
    job = session.get(ImportJob, job.id) or job
    if rep is not None:
        job.created, job.updated, job.unchanged = rep.created, rep.updated, rep.unchanged
        job.rejected, job.processed, job.error_count = rep.rejected, rep.processed, rep.error_count
        job.errors = [e.model_dump() for e in rep.errors[:MAX_ERRORS]]
    job.committed = write
    if failure is not None:
        job.status, job.detail = JobStatus.failed.value, failure[:2000]
    elif rep is not None and rep.error_count and not write and not job.dry_run:
        job.status = JobStatus.rejected.value
        job.detail = "Nothing was written: fix the errors, or import with on_error=skip to write the valid rows."
    else:
        job.status = JobStatus.done.value
    job.finished_at = utcnow()
    job.updated_at = utcnow()
    session.add(job)
    session.execute(delete(ImportPayload).where(col(ImportPayload.job_id) == job.id))
    report = report_of(job)
    if not job.dry_run:
        webhooks.emit(
            session,
            WebhookEvent.import_finished,
            report.model_copy(update={"errors": report.errors[:20]}),
            key=str(job.id),
        )
    session.commit()
    release(job.id)
    return report


def _emit_needs(session: Session, rep: engine.Report) -> None:
    from jisr.needs import service as needs
    from jisr.needs.models import Need

    for op, event in (("created", WebhookEvent.need_created), ("updated", WebhookEvent.need_updated)):
        ids = [i for o, i in rep.changed_ids if o == op]
        if not ids or not webhooks.has_subscribers(session, event):
            continue
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = list(session.exec(select(Need).where(col(Need.id).in_(chunk))))
            webhooks.emit_many(session, event, list(needs.public(session, rows)))


def run(
    session: Session, job: ImportJob, stream: IO[bytes], *, on_progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import ``stream`` (a file of ``job.format``) for ``job``; the job row is already stored."""
    session.add(job)
    session.commit()  # the job row is not held locked while progress is written beside it
    writer = _progress_writer(session, job.id)
    if writer is not None and on_progress is not None:
        shown = on_progress

        def both(n: int) -> None:
            writer(n)
            shown(n)

        on_progress = both
    else:
        on_progress = on_progress or writer
    try:
        rows = parsing.read_rows(stream, job.format)
        rep = engine.run(session, job.kind, rows, on_progress=on_progress)
    except parsing.FileError as exc:
        return _finish(session, job, None, failure=str(exc))
    except Exception as exc:
        log.exception("import %s failed", job.id)
        return _finish(session, job, None, failure=f"The import stopped on an unexpected error: {type(exc).__name__}.")
    return _finish(session, job, rep)


def run_france(session: Session, job: ImportJob, directory: Path | None, files: dict[str, bytes]) -> ImportReport:
    on_progress = _progress_writer(session, job.id)
    try:
        if files:
            ref = france.load_bytes(files)
        elif directory is not None:
            ref = france.load(directory)
        else:
            with tempfile.TemporaryDirectory(prefix="jisr-npm-") as tmp:
                ref = france.load(france.fetch(Path(tmp)))
        job.total = ref.size
        session.add(job)
        session.commit()  # the job row is not held locked while progress is written beside it
        rep = france.import_reference(session, ref, on_progress=on_progress)
    except france.ReferenceError_ as exc:
        return _finish(session, job, None, failure=str(exc))
    except Exception as exc:
        log.exception("import %s failed", job.id)
        return _finish(session, job, None, failure=f"The import stopped on an unexpected error: {type(exc).__name__}.")
    return _finish(session, job, rep)


# --- background jobs ---------------------------------------------------------------------


def pack_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(Path(name).name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _unpack_files(payload: bytes) -> dict[str, bytes]:
    if not payload:
        return {}
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        for member in tar.getmembers():
            f = tar.extractfile(member)
            if f is not None:
                out[member.name] = f.read()
    return out


def claim(session: Session, job_id: uuid.UUID) -> bool:
    """Take a queued job: its lease first, so that it is never `running` without one."""
    if not hold(job_id):
        return False
    result = session.execute(
        update(ImportJob)
        .where(col(ImportJob.id) == job_id, col(ImportJob.status) == JobStatus.queued.value)
        .values(status=JobStatus.running.value, started_at=utcnow())
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        release(job_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def run_job(job_id: uuid.UUID) -> ImportReport | None:
    """Run a queued job unless another worker took it first."""
    with new_session() as session:
        if not claim(session, job_id):
            return None
        job = session.get(ImportJob, job_id)
        payload = session.get(ImportPayload, job_id)
        if job is None:
            release(job_id)
            return None
        data = payload.data if payload is not None else b""
        session.commit()
        try:
            if job.kind == FRANCE:
                return run_france(session, job, None, _unpack_files(data))
            stream = io.BytesIO(data)
            job.total = estimate_rows(stream, job.format)
            session.add(job)
            session.commit()
            return run(session, job, stream)
        finally:
            release(job_id)  # done already when the job finished; not when it broke before that


def run_queued() -> int:
    """Run every queued job (the worker's loop calls this). Returns how many ran here."""
    with new_session() as session:
        ids = list(session.exec(select(ImportJob.id).where(ImportJob.status == JobStatus.queued.value)))
    return sum(1 for job_id in ids if run_job(job_id) is not None)


def get(session: Session, id: uuid.UUID) -> ImportJob:
    return get_or_404(session, ImportJob, id, "import")


SORTABLE = {"created_at": ImportJob.created_at, "updated_at": ImportJob.updated_at}


def list_(session: Session, *, params: ListParams, kind: str | None, status: str | None) -> tuple[list[Any], int]:
    stmt = select(ImportJob)
    if kind:
        stmt = stmt.where(ImportJob.kind == kind)
    if status:
        stmt = stmt.where(ImportJob.status == status)
    return paginate(session, stmt, params, model=ImportJob, sortable=SORTABLE, default="-created_at")
