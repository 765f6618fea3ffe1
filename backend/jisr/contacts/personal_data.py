"""Personal data (GDPR): everything Jisr holds about one person, found by e-mail address, and its erasure.

A person is known by an e-mail address: contacts with that address, a user account, census answers
whose contact gives it, registrations naming those contacts, messages to the address, and the audit
rows about those records. Erasure removes or scrubs all of it in one transaction and leaves a single
audit row (``erasure``) that says what was done, with counts and no personal data. Why each choice:

- contacts are deleted (registrations keep their seat without the person: ``contact_id`` → null);
- a user account is anonymised and deactivated, not deleted: its id is named by match runs,
  transitions and audit rows, whose history must stay readable;
- census answers and outbox messages are scrubbed in place (the answer's needs and the message's
  delivery record are no personal data); pending messages to the address are never sent;
- audit rows about those records keep who/when/what but their ``before``/``after`` become a marker;
- then every text and JSON column of every table is searched for the address (a generic sweep over
  the metadata), and what still names it is replaced: labels such as ``created_by``, throttling keys.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import EmailStr
from sqlalchemy import JSON, String, and_, cast, func, or_, select, update
from sqlmodel import Field, Session, SQLModel, col

from jisr.audit import service as audit
from jisr.audit.models import AuditEntry, AuditPublic
from jisr.auth.deps import AdminOnly
from jisr.auth.models import Role, User, UserPublic
from jisr.census.models import CensusResponse
from jisr.contacts.models import Contact, ContactPublic
from jisr.core.db import SessionDep
from jisr.core.errors import Conflict, responses
from jisr.events.models import EventRegistration, RegistrationPublic
from jisr.notifications.models import ReminderOptOut
from jisr.outbox.models import OutboxItem, OutboxStatus

router = APIRouter(prefix="/api/v1/personal-data", tags=["personal-data"])

ERASED = audit.ERASED
AUDIT_MARKER = {"erased": True}


class CensusAnswerHeld(SQLModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    collectivity_id: uuid.UUID
    status: str
    submitted_at: Any
    contact: dict[str, Any]


class OutboxMessageHeld(SQLModel):
    id: uuid.UUID
    kind: str
    status: str
    target: str
    created_at: Any
    payload: dict[str, Any]


class PersonalData(SQLModel):
    email: str
    contacts: list[ContactPublic]
    user: UserPublic | None
    census_answers: list[CensusAnswerHeld]
    event_registrations: list[RegistrationPublic]
    outbox: list[OutboxMessageHeld]
    reminders_opted_out_at: datetime | None = None
    audit: list[AuditPublic] = []


class ErasureRequest(SQLModel):
    email: EmailStr = Field(max_length=254)


class ErasureReport(SQLModel):
    audit_id: uuid.UUID
    counts: dict[str, int]


# --- finding -------------------------------------------------------------------------------------


@dataclass
class Held:
    email: str
    contacts: list[Contact] = field(default_factory=list)
    user: User | None = None
    census: list[CensusResponse] = field(default_factory=list)
    registrations: list[EventRegistration] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    opt_out: ReminderOptOut | None = None

    def names(self) -> set[str]:
        out = {c.full_name for c in self.contacts} | {str(r.contact.get("full_name") or "") for r in self.census}
        if self.user is not None:
            out.add(self.user.full_name)
        return {n for n in out if len(n.strip()) >= 3}


def _mentions(column: Any, email: str) -> Any:
    return func.lower(cast(column, String)).contains(email, autoescape=True)


def find(session: Session, email: str) -> Held:
    email = email.strip().lower()
    held = Held(email)
    held.contacts = list(session.execute(select(Contact).where(func.lower(Contact.email) == email)).scalars())
    held.user = session.execute(select(User).where(func.lower(User.email) == email)).scalars().first()
    candidates = session.execute(select(CensusResponse).where(_mentions(CensusResponse.contact, email))).scalars()
    held.census = [r for r in candidates if str(r.contact.get("email") or "").lower() == email]
    ids = [c.id for c in held.contacts]
    if ids:
        stmt = select(EventRegistration).where(col(EventRegistration.contact_id).in_(ids))
        held.registrations = list(session.execute(stmt).scalars())
    held.outbox = list(session.execute(select(OutboxItem).where(func.lower(OutboxItem.target) == email)).scalars())
    held.opt_out = session.get(ReminderOptOut, email)
    return held


def _about(held: Held) -> Any:
    """Audit rows about the person's records."""
    pairs = [("contacts", [c.id for c in held.contacts]), ("census_responses", [r.id for r in held.census])]
    if held.user is not None:
        pairs.append(("users", [held.user.id]))
    conds = [
        and_(col(AuditEntry.resource_type) == kind, col(AuditEntry.resource_id).in_(ids)) for kind, ids in pairs if ids
    ]
    return conds


def export(session: Session, email: str) -> PersonalData:
    held = find(session, email)
    rows: list[AuditEntry] = []
    conds = _about(held)
    if conds:
        stmt = select(AuditEntry).where(or_(*conds)).order_by(AuditEntry.at)  # type: ignore[arg-type]
        rows = list(session.execute(stmt).scalars())
    return PersonalData(
        email=held.email,
        contacts=[ContactPublic.model_validate(c, from_attributes=True) for c in held.contacts],
        user=UserPublic.model_validate(held.user, from_attributes=True) if held.user else None,
        census_answers=[CensusAnswerHeld.model_validate(r, from_attributes=True) for r in held.census],
        event_registrations=[RegistrationPublic.model_validate(r, from_attributes=True) for r in held.registrations],
        outbox=[OutboxMessageHeld.model_validate(m, from_attributes=True) for m in held.outbox],
        reminders_opted_out_at=held.opt_out.opted_out_at if held.opt_out is not None else None,
        audit=[AuditPublic.model_validate(r, from_attributes=True) for r in rows],
    )


# --- erasing -------------------------------------------------------------------------------------


def _address(email: str) -> re.Pattern[str]:
    """The whole address and nothing else: erasing bob@x.org leaves jimbob@x.org alone."""
    return re.compile(r"(?<![\w.%+-])" + re.escape(email) + r"(?![\w%+-]|\.\w)", re.IGNORECASE)


def _scrub(value: Any, address: re.Pattern[str], names: set[str]) -> Any:
    """``value`` with every string that names the person replaced; a dict with the address as one of its
    values is that person's record (a census answer's contact): all its strings go."""
    if isinstance(value, dict):
        if any(isinstance(v, str) and address.fullmatch(v.strip()) for v in value.values()):
            return {k: (ERASED if isinstance(v, str) and v else v) for k, v in value.items()}
        return {k: _scrub(v, address, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, address, names) for v in value]
    if isinstance(value, str):
        low = value.lower()
        if address.search(value) or any(n.lower() in low for n in names):
            return ERASED
    return value


def text_column(column: Any) -> bool:
    """A column holding text or JSON (String, Text, SQLModel's AutoString, JSON)."""
    if isinstance(column.type, JSON):
        return True
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False


def _sweep(session: Session, email: str, names: set[str]) -> int:
    """Every text and JSON column of every table: replace what still names the address. Returns rows changed."""
    from jisr.models import metadata

    changed = 0
    address = _address(email)
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        for column in table.columns:
            if not text_column(column):
                continue
            is_json = isinstance(column.type, JSON)
            # LIKE narrows the rows; the pattern decides (a longer address containing this one is not it).
            for row in session.execute(select(*pk, column).where(_mentions(column, email))).all():
                old = row[-1]
                new = _scrub(old, address, names) if is_json else address.sub(ERASED, old)
                if new == old:
                    continue
                where = and_(*[c == v for c, v in zip(pk, row[:-1], strict=True)])
                session.execute(update(table).where(where).values({column.name: new}))
                changed += 1
    return changed


def _last_admin(session: Session, user: User) -> bool:
    others = select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active, User.id != user.id)  # type: ignore[arg-type]
    return user.role == Role.admin and user.is_active and session.execute(others).scalar_one() == 0


def erase(session: Session, email: str) -> AuditEntry:
    """Erase what Jisr holds about ``email`` in the session's transaction (the caller commits)."""
    held = find(session, email)
    email = held.email
    names = held.names()
    if held.user is not None and _last_admin(session, held.user):
        raise Conflict("This is the last active admin: name another admin before erasing this account.")
    counts = {
        "contacts": len(held.contacts),
        "user_accounts": int(held.user is not None),
        "census_answers": len(held.census),
        "event_registrations": len(held.registrations),
        "outbox_messages": len(held.outbox),
        "reminder_optouts": int(held.opt_out is not None),
    }
    session.info["audit_off"] = True  # one row for the whole erasure, below: none with the data erased
    try:
        contact_ids = [c.id for c in held.contacts]
        if contact_ids:
            session.execute(
                update(EventRegistration)
                .where(col(EventRegistration.contact_id).in_(contact_ids))
                .values(contact_id=None)
            )
        conds = _about(held)
        counts["audit_entries"] = 0
        if conds:
            result = session.execute(
                update(AuditEntry).where(or_(*conds)).values(before=AUDIT_MARKER, after=AUDIT_MARKER)
            )
            counts["audit_entries"] = int(result.rowcount)  # type: ignore[attr-defined]
        for contact in held.contacts:
            session.delete(contact)  # tombstoned (sync) by its own listener
        if held.opt_out is not None:  # no contact is left to remind; the address goes with the rest
            session.delete(held.opt_out)
        for response in held.census:
            response.contact = {"full_name": ERASED, "role": "", "email": None, "phone": None}
            session.add(response)
        for message in held.outbox:
            message.target = ERASED
            message.payload = _scrub(message.payload, _address(email), names)
            if message.status == OutboxStatus.pending:
                message.status = OutboxStatus.dead
                message.last_error = "Not sent: the recipient's personal data was erased."
            session.add(message)
        if held.user is not None:
            user = held.user
            user.email = f"erased-{user.id.hex}@erased.example.org"  # reserved (RFC 2606): never delivered
            user.full_name = ""
            user.is_active = False
            user.password_hash = "!erased"  # no password matches it
            session.add(user)
            session.execute(update(AuditEntry).where(col(AuditEntry.actor_id) == user.id).values(actor_label=ERASED))
        session.flush()
        counts["other_mentions"] = _sweep(session, email, names)
    finally:
        session.info.pop("audit_off", None)
    entry = AuditEntry(
        **_actor_fields(session),
        action="erasure",
        resource_type="personal_data",
        resource_id=None,
        before=None,
        after={"counts": counts},
        request_id=audit._request_id(),
    )
    session.add(entry)
    session.flush()
    return entry


def _actor_fields(session: Session) -> dict[str, Any]:
    actor = audit.actor_of(session)
    return {"actor_kind": actor.kind, "actor_id": actor.id, "actor_label": actor.label}


# --- routes --------------------------------------------------------------------------------------


@router.get(
    "",
    operation_id="personal-data-get",
    summary="Everything Jisr holds about one person",
    description=(
        "Found by e-mail address: contacts, user account (without its password hash), census answers naming "
        "the address, registrations naming those contacts, messages to the address, and audit entries about "
        "those records. For a subject access request."
    ),
    response_model=PersonalData,
    responses=responses(401, 403, 422),
)
def get_personal_data(_: AdminOnly, session: SessionDep, email: EmailStr = Query(max_length=254)) -> PersonalData:
    return export(session, str(email))


@router.post(
    "/erase",
    operation_id="personal-data-erase",
    summary="Erase everything Jisr holds about one person",
    description=(
        "In one transaction: deletes the contacts, anonymises and deactivates a user account, scrubs census "
        "answers and messages, and replaces the `before`/`after` of audit entries about those records with a "
        "marker. The audit trail keeps one `erasure` entry with counts and no personal data. "
        "409 when the address is the last active admin's."
    ),
    response_model=ErasureReport,
    responses=responses(401, 403, 409, 422),
)
def erase_personal_data(_: AdminOnly, session: SessionDep, data: ErasureRequest) -> ErasureReport:
    entry = erase(session, str(data.email))
    session.commit()
    return ErasureReport(audit_id=entry.id, counts=entry.after["counts"] if entry.after else {})
