"""Bilateral meetings of a field mission: availability, the schedule (``schedule``), agendas (CSV, iCalendar).

The mission's time is cut into slots of ``slot_minutes`` from the event's start; a collectivity is
available in a slot that lies wholly inside one of its windows. Scheduling replaces the event's
previous schedule: placed proposals become ``meeting_scheduled``, proposals that were scheduled here
and no longer are go back to ``accepted`` (each change is in the proposal's history).
"""

import uuid
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import delete
from sqlmodel import Session, col, select

from jisr.auth.models import Role
from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity
from jisr.core.crud import save_changes
from jisr.core.errors import Conflict, Forbidden, Invalid
from jisr.core.notes import NoteKey, NoteParams
from jisr.core.spreadsheet import excel_csv
from jisr.events import service as events
from jisr.events.models import Event, EventKind
from jisr.matching import schedule as scheduler
from jisr.matching.models import (
    AvailabilityPublic,
    MatchProposal,
    MatchStatus,
    MatchTransition,
    Meeting,
    MeetingAvailability,
    MeetingPublic,
    ScheduleRequest,
    ScheduleResult,
    UnplacedPublic,
    Window,
)

MAX_SLOTS = 2000


def field_mission(session: Session, event_id: uuid.UUID) -> Event:
    event = events.get(session, event_id)
    if event.kind != EventKind.field_mission:
        raise Conflict(f"Meetings are scheduled for field missions; this event is a {event.kind}.")
    return event


def ensure_own(actor: Principal, collectivity_id: uuid.UUID) -> None:
    if not actor.is_staff and not (actor.role == Role.member and actor.collectivity_id == collectivity_id):
        raise Forbidden("Members see and give the availability and agenda of their own collectivity only.")


# --- availability ------------------------------------------------------------------------------------


def set_availability(
    session: Session, event: Event, collectivity_id: uuid.UUID, *, windows: list[Window], actor: Principal
) -> MeetingAvailability:
    ensure_own(actor, collectivity_id)
    collectivities.get(session, collectivity_id)
    for i, w in enumerate(windows):
        if w.ends_at <= w.starts_at:
            raise Invalid(
                "A window must end after it starts.", errors=[{"loc": ["body", "windows", i], "msg": "empty"}]
            )
        if w.ends_at <= event.starts_at or w.starts_at >= event.ends_at:
            raise Invalid(
                "A window must overlap the field mission's dates.",
                errors=[{"loc": ["body", "windows", i], "msg": "outside the event"}],
            )
    stored = [{"starts_at": w.starts_at.isoformat(), "ends_at": w.ends_at.isoformat()} for w in windows]
    obj = session.exec(
        select(MeetingAvailability).where(
            MeetingAvailability.event_id == event.id, MeetingAvailability.collectivity_id == collectivity_id
        )
    ).first()
    if obj is None:
        obj = MeetingAvailability(event_id=event.id, collectivity_id=collectivity_id, windows=stored)
        session.add(obj)
        session.flush()
    else:
        save_changes(session, obj, {"windows": stored})
    return obj


def availability_public(rows: list[MeetingAvailability]) -> list[AvailabilityPublic]:
    return [
        AvailabilityPublic(
            id=r.id,
            created_at=r.created_at,
            updated_at=r.updated_at,
            event_id=r.event_id,
            collectivity_id=r.collectivity_id,
            windows=[Window.model_validate(w) for w in r.windows],
        )
        for r in rows
    ]


def list_availability(session: Session, event: Event, *, actor: Principal) -> list[MeetingAvailability]:
    stmt = select(MeetingAvailability).where(MeetingAvailability.event_id == event.id)
    if not actor.is_staff:
        stmt = stmt.where(MeetingAvailability.collectivity_id == (actor.collectivity_id or uuid.UUID(int=0)))
    return list(session.exec(stmt.order_by(col(MeetingAvailability.collectivity_id))))


# --- the schedule ---------------------------------------------------------------------------------------


def _slots(event: Event, minutes: int) -> list[tuple[datetime, datetime]]:
    step = timedelta(minutes=minutes)
    out = []
    start = event.starts_at
    while start + step <= event.ends_at:
        out.append((start, start + step))
        start += step
        if len(out) > MAX_SLOTS:
            raise Invalid(
                f"The mission would have more than {MAX_SLOTS} slots: choose longer meetings.",
                errors=[{"loc": ["body", "slot_minutes"], "msg": "too many slots"}],
            )
    return out


def participants(p: MatchProposal) -> tuple[uuid.UUID, ...]:
    return (p.lebanese_collectivity_id, *(uuid.UUID(f) for f in p.french_collectivity_ids))


def make_schedule(session: Session, event: Event, *, data: ScheduleRequest, actor: Principal) -> ScheduleResult:
    slots = _slots(event, data.slot_minutes)
    here = {m.proposal_id: m for m in session.exec(select(Meeting).where(Meeting.event_id == event.id))}
    if data.proposal_ids is not None:
        proposals = list(session.exec(select(MatchProposal).where(col(MatchProposal.id).in_(data.proposal_ids))))
        found = {p.id for p in proposals}
        bad = [i for i, pid in enumerate(data.proposal_ids) if pid not in found]
        bad += [
            data.proposal_ids.index(p.id)
            for p in proposals
            if p.status != MatchStatus.accepted and not (p.status == MatchStatus.meeting_scheduled and p.id in here)
        ]
        if bad:
            raise Invalid(
                "Only accepted proposals (or those already scheduled at this mission) can be scheduled.",
                errors=[{"loc": ["body", "proposal_ids", i], "msg": "not accepted"} for i in sorted(set(bad))],
            )
    else:
        proposals = list(
            session.exec(
                select(MatchProposal).where(
                    (col(MatchProposal.status) == MatchStatus.accepted)
                    | col(MatchProposal.id).in_(list(here) or [None])
                )
            )
        )
    proposals.sort(key=lambda p: (-p.score, str(p.id)))
    people = {c for p in proposals for c in participants(p)}
    avail_rows = session.exec(
        select(MeetingAvailability).where(
            MeetingAvailability.event_id == event.id,
            col(MeetingAvailability.collectivity_id).in_(list(people) or [None]),
        )
    )
    availability: dict[Hashable, set[int]] = {}
    for row in avail_rows:
        windows = [(datetime.fromisoformat(w["starts_at"]), datetime.fromisoformat(w["ends_at"])) for w in row.windows]
        availability[row.collectivity_id] = {
            i for i, (a, b) in enumerate(slots) if any(ws <= a and b <= we for ws, we in windows)
        }
    requests = [scheduler.Request(p.id, participants(p), p.score) for p in proposals]
    result = scheduler.schedule(len(slots), len(data.tables), requests, availability)

    # Replace the event's schedule and move the proposals' statuses.
    session.execute(delete(Meeting).where(col(Meeting.event_id) == event.id))
    by_id = {p.id: p for p in proposals}
    placed: dict[uuid.UUID, Meeting] = {}
    for pl in result.placed:
        start, end = slots[pl.slot]
        m = Meeting(
            event_id=event.id,
            proposal_id=uuid.UUID(str(pl.key)),
            starts_at=start,
            ends_at=end,
            table_label=data.tables[pl.table],
        )
        session.add(m)
        placed[m.proposal_id] = m
    about: NoteParams = {"event": event.title, "event_id": str(event.id)}
    for pid, m in placed.items():
        params: NoteParams = {
            **about,
            "starts_at": m.starts_at.isoformat(),
            "timezone": event.timezone,
            "table": m.table_label,
        }
        _move(session, by_id[pid], MatchStatus.meeting_scheduled, actor, NoteKey.meeting_scheduled, params)
    for pid in here:
        old = session.get(MatchProposal, pid)
        if pid not in placed and old is not None and old.status == MatchStatus.meeting_scheduled:
            _move(session, old, MatchStatus.accepted, actor, NoteKey.meeting_unscheduled, about)
    session.flush()
    names = dict(
        session.execute(
            select(Collectivity.id, Collectivity.name).where(col(Collectivity.id).in_(list(people) or [None]))
        ).all()
    )
    unplaced = []
    for u in result.unplaced:
        fr, en, ar = scheduler.reason_labels(u, names)
        unplaced.append(
            UnplacedPublic(
                proposal_id=u.key,  # type: ignore[arg-type]
                reason=u.reason,
                collectivity_ids=list(u.participants),  # type: ignore[arg-type]
                label_fr=fr,
                label_en=en,
                label_ar=ar,
            )
        )
    return ScheduleResult(
        event_id=event.id,
        slots=len(slots),
        placed=len(placed),
        optimal=result.optimal,
        meetings=meetings_public(session, sorted(placed.values(), key=lambda m: (m.starts_at, m.table_label))),
        unplaced=unplaced,
    )


def _move(
    session: Session, p: MatchProposal, to: MatchStatus, actor: Principal, key: NoteKey, params: NoteParams
) -> None:
    said: dict[str, Any] = {"by": actor.label, "by_id": actor.id, "note_key": key, "note_params": params}
    session.add(MatchTransition(proposal_id=p.id, from_status=p.status, to_status=to, **said))
    if p.status != to:
        save_changes(session, p, {"status": to})


def list_meetings(session: Session, event: Event, *, collectivity_id: uuid.UUID | None = None) -> list[Meeting]:
    rows = list(
        session.exec(
            select(Meeting)
            .where(Meeting.event_id == event.id)
            .order_by(col(Meeting.starts_at), col(Meeting.table_label))
        )
    )
    if collectivity_id is None:
        return rows
    proposals = {
        p.id: p
        for p in session.exec(
            select(MatchProposal).where(col(MatchProposal.id).in_([m.proposal_id for m in rows] or [None]))
        )
    }
    return [m for m in rows if collectivity_id in participants(proposals[m.proposal_id])]


def meetings_public(session: Session, rows: list[Meeting]) -> list[MeetingPublic]:
    proposals = {
        p.id: p
        for p in session.exec(
            select(MatchProposal).where(col(MatchProposal.id).in_([m.proposal_id for m in rows] or [None]))
        )
    }
    return [
        MeetingPublic(
            id=m.id,
            created_at=m.created_at,
            updated_at=m.updated_at,
            event_id=m.event_id,
            proposal_id=m.proposal_id,
            need_id=proposals[m.proposal_id].need_id,
            collectivity_ids=list(participants(proposals[m.proposal_id])),
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            table_label=m.table_label,
        )
        for m in rows
    ]


# --- agendas ------------------------------------------------------------------------------------------------


def _agenda_rows(session: Session, event: Event, collectivity_id: uuid.UUID) -> list[tuple[Meeting, str, str]]:
    """(meeting, who it is with, the need's title) for one collectivity."""
    from jisr.needs.models import Need

    rows = list_meetings(session, event, collectivity_id=collectivity_id)
    proposals = {
        p.id: p
        for p in session.exec(
            select(MatchProposal).where(col(MatchProposal.id).in_([m.proposal_id for m in rows] or [None]))
        )
    }
    ids = {c for p in proposals.values() for c in participants(p)}
    names = dict(
        session.execute(
            select(Collectivity.id, Collectivity.name).where(col(Collectivity.id).in_(list(ids) or [None]))
        ).all()
    )
    titles = dict(
        session.execute(
            select(Need.id, Need.title).where(col(Need.id).in_([p.need_id for p in proposals.values()] or [None]))
        ).all()
    )
    out = []
    for m in rows:
        p = proposals[m.proposal_id]
        others = ", ".join(names.get(c, str(c)) for c in participants(p) if c != collectivity_id)
        out.append((m, others, titles.get(p.need_id, "")))
    return out


def agenda_csv(session: Session, event: Event, collectivity_id: uuid.UUID) -> bytes:
    zone = ZoneInfo(event.timezone)
    header = ["début", "fin", "fuseau", "table", "avec", "besoin", "proposition"]
    rows = [
        [
            m.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            m.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            event.timezone,
            m.table_label,
            others,
            title,
            str(m.proposal_id),
        ]
        for m, others, title in _agenda_rows(session, event, collectivity_id)
    ]
    return excel_csv(header, rows)


def agenda_ics(session: Session, event: Event, collectivity_id: uuid.UUID, *, public_url: str) -> bytes:
    zone = ZoneInfo(event.timezone)
    domain = public_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "jisr"
    name = collectivities.get(session, collectivity_id).name
    cal = icalendar.Calendar.new(prodid="-//Jisr//Meetings//FR", name=f"{event.title} — {name}")
    cal.add("METHOD", "PUBLISH")
    rows = _agenda_rows(session, event, collectivity_id)
    for m, others, title in rows:
        cal.add_component(
            icalendar.Event.new(
                uid=f"{m.id}@{domain}",
                summary=f"Rencontre : {others}",
                description=f"{title}\n{m.table_label}".strip(),
                start=m.starts_at.astimezone(zone),
                end=m.ends_at.astimezone(zone),
                location=f"{event.location} — {m.table_label}".strip(" —"),
                stamp=m.updated_at,
                sequence=m.version,
            )
        )
    if rows:
        first = min(m.starts_at for m, _, _ in rows).astimezone(zone).date()
        last = max(m.ends_at for m, _, _ in rows).astimezone(zone).date()
        cal.add_missing_timezones(first_date=first - timedelta(days=366), last_date=last + timedelta(days=366))
    return bytes(cal.to_ical())
