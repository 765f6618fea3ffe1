"""Events, registrations (seats), attendance, questions and the FAQ."""

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from jisr.auth.deps import ensure_own_collectivity
from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity
from jisr.contacts import service as contacts
from jisr.core.crud import get_or_404, save_changes
from jisr.core.db import utcnow
from jisr.core.errors import Conflict, Forbidden, Invalid, NotFound
from jisr.core.models import as_dict
from jisr.core.pagination import ListParams, paginate, search_clause
from jisr.core.text import search_blob
from jisr.events.models import (
    REGISTRABLE,
    AttendanceItem,
    Audience,
    Event,
    EventCreate,
    EventPublic,
    EventQuestion,
    EventRegistration,
    FaqItem,
    QuestionPublic,
    RegistrationCreate,
    RegistrationPublic,
    RegistrationStatus,
)

SORTABLE = {
    "starts_at": Event.starts_at,
    "title": Event.title,
    "status": Event.status,
    "created_at": Event.created_at,
    "updated_at": Event.updated_at,
}
REG_SORTABLE = {
    "created_at": EventRegistration.created_at,
    "updated_at": EventRegistration.updated_at,
    "status": EventRegistration.status,
}
Q_SORTABLE = {
    "created_at": EventQuestion.created_at,
    "updated_at": EventQuestion.updated_at,
    "answered_at": EventQuestion.answered_at,
}
HOLDS_SEAT = [s.value for s in RegistrationStatus if s != RegistrationStatus.cancelled]


def _bad(field: str, message: str, detail: str | None = None) -> Invalid:
    return Invalid(detail or message, errors=[{"loc": ["body", field], "msg": message}])


# --- time zones --------------------------------------------------------------------------


def to_utc(value: datetime, zone_name: str, field: str) -> datetime:
    """An aware instant as is; a naive one is the wall time in ``zone_name`` (it must exist there)."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    zone = ZoneInfo(zone_name)
    local = value.replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != value:
        raise _bad(
            field,
            f"{value.isoformat()} does not exist in {zone_name} (the clocks skip it when summer time starts)",
        )
    return instant


def local_iso(value: datetime, zone_name: str) -> str:
    return value.astimezone(ZoneInfo(zone_name)).isoformat()


def _times(values: dict[str, Any], changes: dict[str, Any]) -> None:
    """Normalise the times present in ``changes`` to UTC, and check that the event ends after it starts."""
    zone = changes.get("timezone") or values["timezone"]
    for field in ("starts_at", "ends_at"):
        if changes.get(field) is not None:
            changes[field] = to_utc(changes[field], zone, field)
    starts = changes.get("starts_at", values.get("starts_at"))
    ends = changes.get("ends_at", values.get("ends_at"))
    if starts is not None and ends is not None and ends <= starts:
        raise _bad("ends_at", "must be after starts_at", "The event must end after it starts.")


# --- events ------------------------------------------------------------------------------


def _search_text(e: Event) -> str:
    blob = search_blob(e.title, e.description, e.location, [str(s.get("name", "")) for s in e.speakers])
    return blob[:12000]  # the column's size; speakers' names come last


def create(session: Session, *, data: EventCreate) -> Event:
    values = data.model_dump(mode="python")
    _times(values, values)
    obj = Event(**values)
    obj.search_text = _search_text(obj)
    session.add(obj)
    session.flush()
    return obj


def get(session: Session, id: uuid.UUID) -> Event:
    return get_or_404(session, Event, id, "event")


def lock(session: Session, event_id: uuid.UUID) -> Event:
    """Take the event's row lock until the transaction ends; seat counting happens under it.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has no row locks: a no-op UPDATE of the row opens
    the write transaction, which SQLite serialises, before anything is counted.
    """
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(Event).where(Event.id == event_id).with_for_update().execution_options(populate_existing=True)
        obj = session.exec(stmt).first()
    else:
        session.execute(
            update(Event)
            .where(col(Event.id) == event_id)
            .values(capacity=Event.capacity)
            .execution_options(synchronize_session=False)
        )
        obj = session.get(Event, event_id, populate_existing=True)
    if obj is None:
        raise NotFound(f"No event with id {event_id}.")
    return obj


def seats_taken(session: Session, event_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(EventRegistration)
        .where(EventRegistration.event_id == event_id, col(EventRegistration.status).in_(HOLDS_SEAT))
    )
    return int(session.exec(stmt).one())


def update_event(session: Session, obj: Event, *, changes: dict[str, Any], if_match: str | None) -> Event:
    if "speakers" in changes and changes["speakers"] is not None:
        changes["speakers"] = [dict(s) for s in changes["speakers"]]
    _times(as_dict(obj), changes)
    if changes.get("capacity") is not None:
        lock(session, obj.id)
        taken = seats_taken(session, obj.id)
        if taken > changes["capacity"]:
            raise Conflict(
                f"{taken} collectivities hold a seat: the capacity cannot go below that. Cancel registrations first."
            )
    save_changes(session, obj, changes, if_match=if_match)
    obj.search_text = _search_text(obj)
    session.flush()
    return obj


def delete_event(session: Session, obj: Event, *, has_needs: bool) -> None:
    if has_needs:
        raise Conflict("Needs were raised at this event and keep a link to it: set its status to cancelled instead.")
    for model in (EventQuestion, EventRegistration):
        for row in session.exec(select(model).where(model.event_id == obj.id)):
            session.delete(row)
    session.flush()
    session.delete(obj)
    session.flush()


def list_(
    session: Session,
    *,
    params: ListParams,
    filters: dict[str, Any],
    starts_after: datetime | None,
    starts_before: datetime | None,
    q: str | None,
) -> tuple[list[Event], int]:
    stmt = select(Event)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Event, name) == value)
    if starts_after is not None:
        stmt = stmt.where(Event.starts_at >= starts_after)
    if starts_before is not None:
        stmt = stmt.where(Event.starts_at < starts_before)
    if q:
        stmt = stmt.where(*search_clause(Event.search_text, q))
    return paginate(session, stmt, params, model=Event, sortable=SORTABLE, default="starts_at")


def upcoming(session: Session, *, limit: int = 500) -> list[Event]:
    """Events that have not ended yet (cancelled ones too: calendar apps then show them as cancelled)."""
    stmt = select(Event).where(Event.ends_at >= utcnow()).order_by(col(Event.starts_at), col(Event.id)).limit(limit)
    return list(session.exec(stmt))


def public(session: Session, rows: list[Event]) -> list[EventPublic]:
    ids = [r.id for r in rows]
    counts: dict[uuid.UUID, int] = {}
    if ids:
        stmt = (
            select(EventRegistration.event_id, func.count())
            .where(col(EventRegistration.event_id).in_(ids), col(EventRegistration.status).in_(HOLDS_SEAT))
            .group_by(col(EventRegistration.event_id))
        )
        counts = {event_id: int(n) for event_id, n in session.exec(stmt)}
    out = []
    for row in rows:
        taken = counts.get(row.id, 0)
        out.append(
            EventPublic.model_validate(
                {
                    **as_dict(row),
                    "starts_at_local": local_iso(row.starts_at, row.timezone),
                    "ends_at_local": local_iso(row.ends_at, row.timezone),
                    "registered_count": taken,
                    "seats_left": None if row.capacity is None else max(row.capacity - taken, 0),
                }
            )
        )
    return out


# --- registrations -----------------------------------------------------------------------


def _check_registrable(event: Event) -> None:
    if event.status not in REGISTRABLE:
        raise Conflict(
            f"This event is {event.status}: it takes no registrations.",
            code=f"event_{event.status}",  # event_done, event_closed, event_cancelled
            params={"status": str(event.status)},
        )
    if event.ends_at <= utcnow():
        raise Conflict("This event is over: it takes no registrations.", code="event_over", params={})


def _check_audience(event: Event, collectivity: Collectivity) -> None:
    if event.audience != Audience.both and collectivity.country != event.audience:
        raise _bad(
            "collectivity_id",
            f"this event is for {event.audience} collectivities",
            f"{collectivity.name} cannot register: this event is for collectivities of {event.audience} only.",
        )


def _check_contact(session: Session, contact_id: uuid.UUID | None, collectivity_id: uuid.UUID) -> None:
    if contact_id is None:
        return
    try:
        contact = contacts.get(session, contact_id)
    except NotFound as exc:
        raise _bad("contact_id", "unknown contact") from exc
    if contact.collectivity_id != collectivity_id:
        raise _bad("contact_id", "this contact belongs to another collectivity")


def _take_seat(session: Session, event: Event) -> None:
    """Under the event's lock: 409 when no seat is left."""
    if event.capacity is not None and seats_taken(session, event.id) >= event.capacity:
        raise Conflict(
            f"This event is full: all {event.capacity} seats are taken.",
            code="event_full",
            params={"capacity": event.capacity},
        )


def register(
    session: Session, *, event_id: uuid.UUID, data: RegistrationCreate, actor: Principal
) -> tuple[EventRegistration, bool]:
    """Register a collectivity. Returns the registration and whether it is new.

    A collectivity holds one registration per event: registering it again while it holds a seat
    is a 409; a cancelled registration is reused (same id) when a seat is free.
    """
    ensure_own_collectivity(actor, data.collectivity_id)
    collectivity = collectivities.get(session, data.collectivity_id)
    _check_contact(session, data.contact_id, data.collectivity_id)
    event = lock(session, event_id)
    _check_registrable(event)
    _check_audience(event, collectivity)
    existing = session.exec(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.collectivity_id == data.collectivity_id
        )
    ).first()
    if existing is not None and existing.status != RegistrationStatus.cancelled:
        raise Conflict(
            f"{collectivity.name} is already registered for this event (registration {existing.id}); "
            "a collectivity holds one seat.",
            code="already_registered",
            params={"collectivity": collectivity.name, "registration_id": str(existing.id)},
        )
    _take_seat(session, event)
    if existing is None:
        reg = EventRegistration(event_id=event.id, collectivity_id=data.collectivity_id, contact_id=data.contact_id)
        session.add(reg)
        session.flush()
        new = True
    else:
        changes: dict[str, Any] = {"status": RegistrationStatus.registered.value}
        if data.contact_id is not None:
            changes["contact_id"] = data.contact_id
        reg = save_changes(session, existing, changes)
        new = False
    for text in data.questions:
        session.add(EventQuestion(event_id=event.id, collectivity_id=data.collectivity_id, question=text))
    session.flush()
    return reg, new


def get_registration(session: Session, event_id: uuid.UUID, registration_id: uuid.UUID) -> EventRegistration:
    reg = session.get(EventRegistration, registration_id)
    if reg is None or reg.event_id != event_id:
        raise NotFound(f"No registration {registration_id} for this event.")
    return reg


def update_registration(
    session: Session,
    reg: EventRegistration,
    *,
    changes: dict[str, Any],
    actor: Principal,
    if_match: str | None,
) -> EventRegistration:
    ensure_own_collectivity(actor, reg.collectivity_id)
    status = changes.get("status")
    if status is None:
        changes.pop("status", None)
    if status in (RegistrationStatus.attended, RegistrationStatus.absent) and not actor.is_staff:
        raise Forbidden("Only coordinators record attendance.")
    if "contact_id" in changes:
        _check_contact(session, changes["contact_id"], reg.collectivity_id)
    if status is not None and status != RegistrationStatus.cancelled and reg.status == RegistrationStatus.cancelled:
        event = lock(session, reg.event_id)
        if not actor.is_staff:  # staff record what happened, after the event too (attended, absent)
            _check_registrable(event)
        _take_seat(session, event)
    if status is not None:
        changes["status"] = RegistrationStatus(status).value
    return save_changes(session, reg, changes, if_match=if_match)


def list_registrations(
    session: Session,
    *,
    event_id: uuid.UUID,
    params: ListParams,
    status: RegistrationStatus | None,
    collectivity_id: uuid.UUID | None,
) -> tuple[list[EventRegistration], int]:
    stmt = select(EventRegistration).where(EventRegistration.event_id == event_id)
    if status is not None:
        stmt = stmt.where(EventRegistration.status == status)
    if collectivity_id is not None:
        stmt = stmt.where(EventRegistration.collectivity_id == collectivity_id)
    return paginate(session, stmt, params, model=EventRegistration, sortable=REG_SORTABLE, default="created_at")


def registration_public(rows: list[EventRegistration]) -> list[RegistrationPublic]:
    return [RegistrationPublic.model_validate(as_dict(r)) for r in rows]


def record_attendance(session: Session, *, event: Event, items: list[AttendanceItem]) -> list[EventRegistration]:
    """Set the attendance of many registrations at once; all of them or none."""
    wanted: dict[uuid.UUID, str] = {}
    for item in items:
        wanted[item.registration_id] = item.status
    rows = {
        r.id: r
        for r in session.exec(select(EventRegistration).where(col(EventRegistration.id).in_(list(wanted))))
        if r.event_id == event.id
    }
    errors = []
    for i, item in enumerate(items):
        reg = rows.get(item.registration_id)
        if reg is None:
            errors.append({"loc": ["body", "items", i, "registration_id"], "msg": "no such registration at this event"})
        elif reg.status == RegistrationStatus.cancelled:
            errors.append({"loc": ["body", "items", i, "registration_id"], "msg": "this registration was cancelled"})
    if errors:
        raise Invalid("Some registrations cannot take attendance: nothing was changed.", errors=errors)
    now = utcnow()
    for status in set(wanted.values()):
        ids = [rid for rid, s in wanted.items() if s == status]
        session.execute(
            update(EventRegistration)
            .where(col(EventRegistration.id).in_(ids))
            .values(status=status, version=EventRegistration.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    for reg in rows.values():
        session.refresh(reg)
    return [rows[rid] for rid in wanted]


def participants(session: Session, event_id: uuid.UUID) -> list[tuple[EventRegistration, Collectivity, Any]]:
    """Registrations with their collectivity and contact, by collectivity name."""
    regs = list(session.exec(select(EventRegistration).where(EventRegistration.event_id == event_id)))
    out = []
    for reg in regs:
        collectivity = collectivities.get(session, reg.collectivity_id)
        contact = contacts.get(session, reg.contact_id) if reg.contact_id else None
        out.append((reg, collectivity, contact))
    out.sort(key=lambda t: (t[1].name.casefold(), str(t[1].id)))
    return out


# --- questions ---------------------------------------------------------------------------


def ask(
    session: Session, *, event: Event, question: str, collectivity_id: uuid.UUID | None, actor: Principal
) -> EventQuestion:
    if collectivity_id is None:
        if actor.collectivity_id is None:
            raise _bad("collectivity_id", "required", "Say which registered collectivity asks the question.")
        collectivity_id = actor.collectivity_id
    ensure_own_collectivity(actor, collectivity_id)
    registered = session.exec(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id,
            EventRegistration.collectivity_id == collectivity_id,
            col(EventRegistration.status).in_(HOLDS_SEAT),
        )
    ).first()
    if registered is None:
        raise Conflict("Only collectivities registered for this event can send questions: register first.")
    obj = EventQuestion(event_id=event.id, collectivity_id=collectivity_id, question=question.strip())
    session.add(obj)
    session.flush()
    return obj


def get_question(session: Session, event_id: uuid.UUID, question_id: uuid.UUID) -> EventQuestion:
    obj = session.get(EventQuestion, question_id)
    if obj is None or obj.event_id != event_id:
        raise NotFound(f"No question {question_id} for this event.")
    return obj


def answer(session: Session, obj: EventQuestion, *, changes: dict[str, Any], if_match: str | None) -> EventQuestion:
    changes = {k: v for k, v in changes.items() if v is not None or k == "answer"}
    if "answer" in changes:
        changes["answered_at"] = utcnow() if changes["answer"] else None
    obj = save_changes(session, obj, changes, if_match=if_match)
    from jisr.notifications import service as notify  # the Q&A, by e-mail, once published (issue 8)

    notify.event_faq(session, question=obj)
    return obj


def list_questions(
    session: Session, *, event_id: uuid.UUID, params: ListParams, actor: Principal, answered: bool | None
) -> tuple[list[EventQuestion], int]:
    """Staff see every question; others the published answers, and members their own questions too."""
    stmt = select(EventQuestion).where(EventQuestion.event_id == event_id)
    faq = col(EventQuestion.answer).is_not(None) & col(EventQuestion.published)
    if not actor.is_staff:
        if actor.collectivity_id is not None:
            stmt = stmt.where(faq | (col(EventQuestion.collectivity_id) == actor.collectivity_id))
        else:
            stmt = stmt.where(faq)
    if answered is not None:
        stmt = stmt.where(col(EventQuestion.answer).is_not(None) if answered else col(EventQuestion.answer).is_(None))
    return paginate(session, stmt, params, model=EventQuestion, sortable=Q_SORTABLE, default="created_at")


def question_public(rows: list[EventQuestion]) -> list[QuestionPublic]:
    return [QuestionPublic.model_validate(as_dict(r)) for r in rows]


def faq(session: Session, event_id: uuid.UUID) -> list[FaqItem]:
    rows = session.exec(
        select(EventQuestion)
        .where(
            EventQuestion.event_id == event_id,
            col(EventQuestion.answer).is_not(None),
            col(EventQuestion.published),
        )
        .order_by(col(EventQuestion.answered_at), col(EventQuestion.id))
    )
    return [
        FaqItem(question=r.question, answer=r.answer or "", answered_at=r.answered_at or r.updated_at) for r in rows
    ]
