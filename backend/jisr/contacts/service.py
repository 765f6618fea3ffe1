"""Contacts of collectivities."""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from jisr.collectivities import service as collectivities
from jisr.contacts.models import CONSENT_REQUIRED, ConsentFilter, Contact, ContactCreate
from jisr.core.crud import get_or_404, save_changes
from jisr.core.errors import Invalid
from jisr.core.pagination import ListParams, paginate, search_clause
from jisr.core.text import search_blob

SORTABLE = {"full_name": Contact.full_name, "created_at": Contact.created_at, "updated_at": Contact.updated_at}


def _search_text(c: Contact) -> str:
    return search_blob(c.full_name, c.email, c.role)


def create(session: Session, *, data: ContactCreate) -> Contact:
    collectivities.get(session, data.collectivity_id)
    obj = Contact.model_validate(data)
    obj.search_text = _search_text(obj)
    session.add(obj)
    session.flush()
    return obj


def get(session: Session, id: uuid.UUID) -> Contact:
    return get_or_404(session, Contact, id, "contact")


def update(session: Session, obj: Contact, *, changes: dict[str, Any], if_match: str | None) -> Contact:
    if obj.consent_at is None and changes.get("consent_at") is None:
        raise Invalid(
            "This contact has no consent date: send consent_at (when the person agreed to be listed) with the change.",
            errors=[{"loc": ["body", "consent_at"], "msg": CONSENT_REQUIRED}],
        )
    if "collectivity_id" in changes:
        collectivities.get(session, changes["collectivity_id"])
    save_changes(session, obj, changes, if_match=if_match)
    obj.search_text = _search_text(obj)
    session.flush()
    return obj


def delete(session: Session, obj: Contact) -> None:
    session.delete(obj)
    session.flush()


def list_(
    session: Session,
    *,
    params: ListParams,
    collectivity_id: uuid.UUID | None,
    active: bool | None,
    q: str | None,
    consent: ConsentFilter = ConsentFilter.given,
) -> tuple[list[Contact], int]:
    """Only contacts who gave consent, unless ``consent=missing`` (admins: to collect it, or erase)."""
    stmt = select(Contact)
    if consent == ConsentFilter.given:
        stmt = stmt.where(col(Contact.consent_at).is_not(None))
    else:
        stmt = stmt.where(col(Contact.consent_at).is_(None))
    if collectivity_id is not None:
        stmt = stmt.where(Contact.collectivity_id == collectivity_id)
    if active is not None:
        stmt = stmt.where(Contact.active == active)
    if q:
        stmt = stmt.where(*search_clause(Contact.search_text, q))
    return paginate(session, stmt, params, model=Contact, sortable=SORTABLE, default="full_name")
