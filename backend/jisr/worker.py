"""The worker: what Jisr does by itself rather than in answer to a request — reminders, expiry of
proposals and digests (queued in the outbox), sending the outbox (e-mails, webhooks),
queued import jobs and matching runs.

``jisr worker`` runs the loop in its own process. ``jisr serve`` runs it on a thread of each server
process for the light work (e-mails, webhooks, reminders) and starts one ``jisr worker`` process beside
them for everything, the heavy jobs included (imports: large files, ``?background=true``, the French
reference; matching runs): a job runs outside the request path, and outside the API's processes, whose interpreter lock
it would otherwise share. A single-machine install needs nothing else. Several loops at once are safe:
outbox rows and import jobs are claimed before they are handled, and reminders carry idempotency keys.
"""

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger("jisr.worker")


@dataclass
class StepStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    jobs: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.failed or self.dead or self.jobs)


def step(*, jobs: bool = True) -> StepStats:
    """One pass over everything that is due; the queued jobs too (imports, matching runs) unless ``jobs`` is false."""
    from jisr.imports import service as imports
    from jisr.matching import jobs as matching_jobs
    from jisr.notifications import service as _emails  # noqa: F401  (registers the e-mail sender)
    from jisr.notifications import worker as notifications
    from jisr.outbox import service as outbox
    from jisr.webhooks import service as _webhooks  # noqa: F401  (registers the webhook sender)

    notifications.tick()
    sent = outbox.run_due()
    return StepStats(
        sent=sent.sent,
        failed=sent.failed,
        dead=sent.dead,
        jobs=imports.run_queued() + matching_jobs.run_queued() if jobs else 0,
    )


def loop(stop: threading.Event, *, interval: float = 5.0, once: bool = False, jobs: bool = True) -> None:
    """Pass after pass until ``stop`` is set; waits ``interval`` seconds after a pass with nothing to do.
    A failing pass (the database away for a moment) is logged and tried again after the interval."""
    while not stop.is_set():
        try:
            stats = step(jobs=jobs)
        except Exception:
            log.exception("worker pass failed")
            stats = StepStats()
        if stats.busy:
            log.info(
                "sent %d, failed %d, dead %d, jobs (imports, matching runs) %d",
                stats.sent,
                stats.failed,
                stats.dead,
                stats.jobs,
            )
        if once:
            return
        if not stats.busy:
            stop.wait(interval)


def start_background(interval: float = 5.0, *, jobs: bool = True) -> tuple[threading.Thread, threading.Event]:
    """The loop on a daemon thread (``jisr serve``); set the event to stop it."""
    stop = threading.Event()
    kwargs = {"interval": interval, "jobs": jobs}
    thread = threading.Thread(target=loop, args=(stop,), kwargs=kwargs, name="jisr-worker", daemon=True)
    thread.start()
    return thread, stop
