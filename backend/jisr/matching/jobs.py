"""Matching runs as worker jobs: ``POST /matches/runs`` stores the run `queued`; the worker claims it
(the lease of import jobs: a PostgreSQL advisory lock or an flock, freed when the process dies), runs it
in a transaction of its own and marks it done — or failed, with nothing of it written."""

import logging
import os
import socket
import uuid

from sqlalchemy import update
from sqlmodel import Session, col, select

from jisr.auth.models import Role
from jisr.auth.service import Principal
from jisr.core.config import get_settings
from jisr.core.db import new_session, utcnow
from jisr.core.errors import AppError
from jisr.imports.service import _free, _leases, _try_lease, hold, release
from jisr.matching import service
from jisr.matching.models import MatchRun, MatchRunCreate, RunStatus
from jisr.notifications import proposals as notify_proposals

log = logging.getLogger("jisr.matching")

INTERRUPTED = "Interrupted: the process running it stopped, and nothing of it was written. Run it again."


def worker_runs_jobs() -> bool:
    """Whether a worker of this installation runs queued jobs: ``jisr serve`` (its worker process) or a
    server process with its worker loop (``JISR_WORKER_IN_PROCESS``). Otherwise (plain uvicorn, the tests'
    in-process client) the request runs the matching itself, as it always did."""
    return get_settings().worker_in_process


def here() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(session: Session, run_id: uuid.UUID) -> bool:
    """Take a queued run: its lease first, so that it is never `running` without one."""
    if not hold(run_id):
        return False
    result = session.execute(
        update(MatchRun)
        .where(col(MatchRun.id) == run_id, col(MatchRun.status) == RunStatus.queued.value)
        .values(status=RunStatus.running.value, started_at=utcnow(), worker=here())
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        release(run_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _fail(run_id: uuid.UUID, error: str) -> None:
    with new_session() as session:
        session.execute(
            update(MatchRun)
            .where(col(MatchRun.id) == run_id)
            .values(status=RunStatus.failed.value, error=error[:2000], finished_at=utcnow(), updated_at=utcnow())
        )
        session.commit()


def run_job(run_id: uuid.UUID) -> bool:
    """Run a queued run unless another worker took it first. True when it ran here (done or failed)."""
    with new_session() as session:
        if not claim(session, run_id):
            return False
        try:
            obj = session.get(MatchRun, run_id)
            if obj is None:
                return False
            data = MatchRunCreate(
                weights=obj.weights,
                top_k=obj.top_k,
                max_per_french_collectivity=obj.max_per_french_collectivity,
                need_ids=[uuid.UUID(n) for n in obj.need_ids] if obj.need_ids is not None else None,
                include_declined=obj.include_declined,
            )
            actor = Principal(
                kind="user",
                id=obj.created_by_id or uuid.UUID(int=0),
                role=Role.coordinator,
                collectivity_id=None,
                label=obj.created_by,
            )
            try:
                service.run(session, data=data, actor=actor, run_obj=obj)
                notify_proposals.notify_new(session, run_id=run_id)
                session.commit()
            except AppError as exc:  # the data changed since the request was checked (a need closed…)
                session.rollback()
                _fail(run_id, exc.detail or exc.title)
            except Exception:
                session.rollback()
                log.exception("matching run %s failed", run_id)
                _fail(run_id, "The run failed on the server; nothing of it was written. Run it again.")
            return True
        finally:
            release(run_id)


def run_queued() -> int:
    """Run every queued run, oldest first (the worker's loop calls this). Returns how many ran here."""
    with new_session() as session:
        ids = list(
            session.exec(
                select(MatchRun.id).where(MatchRun.status == RunStatus.queued.value).order_by(col(MatchRun.created_at))
            )
        )
    return sum(1 for run_id in ids if run_job(run_id))


def recover_interrupted(session: Session) -> int:
    """Mark failed the running runs no live process holds (start-up). Returns how many."""
    ids = list(session.exec(select(MatchRun.id).where(MatchRun.status == RunStatus.running.value)))
    recovered = 0
    for run_id in ids:
        if run_id in _leases:
            continue
        lease = _try_lease(run_id)
        if lease is None:
            continue
        try:
            done = session.execute(
                update(MatchRun)
                .where(col(MatchRun.id) == run_id, col(MatchRun.status) == RunStatus.running.value)
                .values(status=RunStatus.failed.value, error=INTERRUPTED, finished_at=utcnow(), updated_at=utcnow())
            )
            session.commit()
            recovered += int(done.rowcount)  # type: ignore[attr-defined]
        finally:
            _free(run_id, lease)
    if recovered:
        log.warning("marked %d interrupted matching run(s) as failed", recovered)
    return recovered
