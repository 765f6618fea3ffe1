"""What every start does once the schema exists: reference tags, the first admin."""

import logging

from sqlmodel import Session

from jisr.auth import service as auth
from jisr.core.config import get_settings
from jisr.imports.service import recover_interrupted
from jisr.matching import jobs as matching_jobs
from jisr.tags.service import seed_reference_tags

log = logging.getLogger("jisr")


def bootstrap(session: Session) -> None:
    added = seed_reference_tags(session)
    if added:
        log.info("seeded %d thematic tags", added)
    settings = get_settings()
    if (
        settings.admin_email
        and settings.admin_password
        and auth.ensure_admin(session, email=settings.admin_email, password=settings.admin_password)
    ):
        log.info("created the first admin %s", settings.admin_email)
    session.commit()
    recover_interrupted(session)  # import jobs left `running` by a process that died
    matching_jobs.recover_interrupted(session)  # and matching runs
