"""Events: webinars, workshops, field missions and meetings; registrations, attendance, questions."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from jisr.auth.deps import Authenticated, Editor, Staff, ensure_own_collectivity
from jisr.auth.models import Language
from jisr.collectivities.models import Country
from jisr.core.config import get_settings
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.models import Instant
from jisr.core.pagination import ListParams, SearchQ, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.core.spreadsheet import excel_csv
from jisr.events import ical, participants, service
from jisr.events.models import (
    AttendanceBulk,
    AttendanceResult,
    Audience,
    EventCreate,
    EventFaq,
    EventKind,
    EventList,
    EventPublic,
    EventStatus,
    EventUpdate,
    QuestionCreate,
    QuestionList,
    QuestionPublic,
    QuestionUpdate,
    RegistrationCreate,
    RegistrationList,
    RegistrationPublic,
    RegistrationStatus,
    RegistrationUpdate,
)
from jisr.needs import service as needs
from jisr.notifications import service as notify

EventListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]
RegistrationListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.REG_SORTABLE))]
QuestionListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.Q_SORTABLE))]

router = APIRouter(prefix="/api/v1/events", tags=["events"])

ICS = "text/calendar; charset=utf-8"
CSV = "text/csv; charset=utf-8"


def _ics_response(body: bytes, filename: str) -> Response:
    return Response(body, media_type=ICS, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _one(session: Any, event: Any, response: Response) -> EventPublic:
    set_etag(response, event)
    return service.public(session, [event])[0]


@router.get(
    "",
    operation_id="events-list",
    summary="List events",
    response_model=EventList,
    responses=responses(401, 422),
)
def list_events(
    _: Authenticated,
    session: SessionDep,
    params: EventListParams,
    kind: EventKind | None = None,
    status: EventStatus | None = None,
    audience: Audience | None = None,
    country: Country | None = None,
    starts_after: Annotated[Instant | None, Query(description="Events starting at or after this instant.")] = None,
    starts_before: Annotated[Instant | None, Query(description="Events starting before this instant.")] = None,
    q: SearchQ = None,
) -> EventList:
    """Ordered by start by default. The needs raised at an event: `GET /api/v1/needs?source_event_id={id}`."""
    filters = {"kind": kind, "status": status, "audience": audience, "country": country}
    rows, total = service.list_(
        session, params=params, filters=filters, starts_after=starts_after, starts_before=starts_before, q=q
    )
    return EventList(items=service.public(session, rows), total=total, limit=params.limit, offset=params.offset)


@router.post(
    "",
    operation_id="events-create",
    summary="Create an event",
    status_code=status.HTTP_201_CREATED,
    response_model=EventPublic,
    responses=responses(401, 403, 422),
)
def create_event(_: Staff, session: SessionDep, data: EventCreate, response: Response) -> EventPublic:
    obj = service.create(session, data=data)
    session.commit()
    created(response, obj, "events")
    return service.public(session, [obj])[0]


@router.get(
    "/calendar.ics",
    operation_id="events-calendar-feed",
    summary="Upcoming events as an iCalendar feed",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar"}, **responses(401)},
)
def calendar_feed(_: Authenticated, session: SessionDep) -> Response:
    """Every event that has not ended (at most 500), cancelled ones marked `STATUS:CANCELLED`."""
    body = ical.calendar(service.upcoming(session), public_url=get_settings().public_url, name="Jisr")
    return _ics_response(body, "jisr-events.ics")


@router.get(
    "/{event_id}",
    operation_id="events-get",
    summary="Read an event",
    response_model=EventPublic,
    responses=responses(401, 404, 422),
)
def get_event(_: Authenticated, session: SessionDep, event_id: uuid.UUID, response: Response) -> EventPublic:
    return _one(session, service.get(session, event_id), response)


@router.patch(
    "/{event_id}",
    operation_id="events-update",
    summary="Change an event",
    response_model=EventPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_event(
    _: Staff, session: SessionDep, event_id: uuid.UUID, data: EventUpdate, response: Response, if_match: IfMatch = None
) -> EventPublic:
    """Times without an offset are read in the event's time zone (the new one, when it changes too)."""
    obj = service.get(session, event_id)
    service.update_event(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    return _one(session, obj, response)


@router.delete(
    "/{event_id}",
    operation_id="events-delete",
    summary="Delete an event",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
)
def delete_event(_: Staff, session: SessionDep, event_id: uuid.UUID) -> None:
    """Removes its registrations and questions too; refused (409) when needs were raised at it."""
    obj = service.get(session, event_id)
    _rows, raised = needs.list_(
        session,
        params=ListParams(limit=0),
        filters={"source_event_id": obj.id},
        tag=None,
        country=None,
        governorate=None,
        q=None,
    )
    service.delete_event(session, obj, has_needs=raised > 0)
    session.commit()


@router.get(
    "/{event_id}/calendar.ics",
    operation_id="events-calendar",
    summary="One event as an iCalendar file",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar"}, **responses(401, 404, 422)},
)
def event_calendar(_: Authenticated, session: SessionDep, event_id: uuid.UUID) -> Response:
    obj = service.get(session, event_id)
    body = ical.calendar([obj], public_url=get_settings().public_url, name=obj.title)
    return _ics_response(body, f"event-{obj.id}.ics")


# --- registrations -----------------------------------------------------------------------


@router.get(
    "/{event_id}/registrations",
    operation_id="events-registrations-list",
    summary="List an event's registrations",
    response_model=RegistrationList,
    responses=responses(401, 403, 404, 422),
)
def list_registrations(
    principal: Editor,
    session: SessionDep,
    event_id: uuid.UUID,
    params: RegistrationListParams,
    status: RegistrationStatus | None = None,
    collectivity_id: uuid.UUID | None = None,
) -> RegistrationList:
    """Members see their own collectivity's registration only."""
    service.get(session, event_id)
    if not principal.is_staff:
        collectivity_id = principal.collectivity_id
    rows, total = service.list_registrations(
        session, event_id=event_id, params=params, status=status, collectivity_id=collectivity_id
    )
    return RegistrationList(
        items=service.registration_public(rows), total=total, limit=params.limit, offset=params.offset
    )


@router.post(
    "/{event_id}/registrations",
    operation_id="events-registrations-create",
    summary="Register a collectivity",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationPublic,
    responses={200: {"description": "A cancelled registration taken up again"}, **responses(401, 403, 404, 409, 422)},
)
def create_registration(
    principal: Editor, session: SessionDep, event_id: uuid.UUID, data: RegistrationCreate, response: Response
) -> RegistrationPublic:
    """One seat per collectivity. 201 for a new registration; 200 when the collectivity's cancelled
    registration is taken up again (same id). 409 when the event is full, takes no registrations, or the
    collectivity already holds a seat (registering twice is refused, never a second seat). Members
    register their own collectivity. `questions` are sent to the coordinators (see `/questions`)."""
    reg, new = service.register(session, event_id=event_id, data=data, actor=principal)
    notify.event_registration(session, registration=reg)
    session.commit()
    created(response, reg, f"events/{event_id}/registrations")
    if not new:
        response.status_code = status.HTTP_200_OK
    return service.registration_public([reg])[0]


@router.get(
    "/{event_id}/registrations/{registration_id}",
    operation_id="events-registrations-get",
    summary="Read a registration",
    response_model=RegistrationPublic,
    responses=responses(401, 403, 404, 422),
)
def get_registration(
    principal: Editor, session: SessionDep, event_id: uuid.UUID, registration_id: uuid.UUID, response: Response
) -> RegistrationPublic:
    reg = service.get_registration(session, event_id, registration_id)
    ensure_own_collectivity(principal, reg.collectivity_id)
    set_etag(response, reg)
    return service.registration_public([reg])[0]


@router.patch(
    "/{event_id}/registrations/{registration_id}",
    operation_id="events-registrations-update",
    summary="Change a registration (cancel, take up again, attendance, contact)",
    response_model=RegistrationPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_registration(
    principal: Editor,
    session: SessionDep,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    data: RegistrationUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> RegistrationPublic:
    """`cancelled` frees the seat. Back to `registered` needs a free seat (409 otherwise). Only
    coordinators set `attended` / `absent`; members change their own collectivity's registration."""
    reg = service.get_registration(session, event_id, registration_id)
    service.update_registration(session, reg, changes=changes_of(data), actor=principal, if_match=if_match)
    session.commit()
    set_etag(response, reg)
    return service.registration_public([reg])[0]


@router.post(
    "/{event_id}/attendance",
    operation_id="events-attendance-record",
    summary="Record attendance in bulk",
    response_model=AttendanceResult,
    responses=responses(401, 403, 404, 422),
)
def record_attendance(_: Staff, session: SessionDep, event_id: uuid.UUID, data: AttendanceBulk) -> AttendanceResult:
    """`{"items": [{"registration_id", "status": "attended" | "absent" | "registered"}]}`; all or nothing."""
    event = service.get(session, event_id)
    rows = service.record_attendance(session, event=event, items=data.items)
    session.commit()
    return AttendanceResult(updated=len(rows), items=service.registration_public(rows))


@router.get(
    "/{event_id}/participants.csv",
    operation_id="events-participants-csv",
    summary="Participants as CSV (French Excel)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV"}, **responses(401, 403, 404, 422)},
)
def participants_csv(_: Staff, session: SessionDep, event_id: uuid.UUID, lang: Language = Language.fr) -> Response:
    """UTF-8 with BOM, `;`-separated; cells that a spreadsheet would run as formulas start with `'`."""
    event = service.get(session, event_id)
    statuses = participants.STATUS_LABELS[lang.value]
    rows = [
        (
            c.name,
            c.name_ar or "",
            c.country,
            c.governorate or "",
            contact.full_name if contact else "",
            contact.role if contact else "",
            (contact.email or "") if contact else "",
            (contact.phone or "") if contact else "",
            statuses.get(reg.status, reg.status),
            reg.created_at.strftime("%Y-%m-%d %H:%M"),
        )
        for reg, c, contact in service.participants(session, event.id)
    ]
    body = excel_csv(participants.HEADERS[lang.value], rows)
    return Response(
        body, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="participants-{event.id}.csv"'}
    )


# --- questions and FAQ -------------------------------------------------------------------


@router.get(
    "/{event_id}/questions",
    operation_id="events-questions-list",
    summary="List the questions sent for an event",
    response_model=QuestionList,
    responses=responses(401, 404, 422),
)
def list_questions(
    principal: Authenticated,
    session: SessionDep,
    event_id: uuid.UUID,
    params: QuestionListParams,
    answered: bool | None = None,
) -> QuestionList:
    """Coordinators see every question; others the published answers, and members their own questions."""
    service.get(session, event_id)
    rows, total = service.list_questions(session, event_id=event_id, params=params, actor=principal, answered=answered)
    return QuestionList(items=service.question_public(rows), total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/{event_id}/questions",
    operation_id="events-questions-create",
    summary="Send a question for an event",
    status_code=status.HTTP_201_CREATED,
    response_model=QuestionPublic,
    responses=responses(401, 403, 404, 409, 422),
)
def create_question(
    principal: Editor, session: SessionDep, event_id: uuid.UUID, data: QuestionCreate, response: Response
) -> QuestionPublic:
    """The asking collectivity must be registered (409 otherwise)."""
    event = service.get(session, event_id)
    obj = service.ask(
        session, event=event, question=data.question, collectivity_id=data.collectivity_id, actor=principal
    )
    session.commit()
    created(response, obj, f"events/{event_id}/questions")
    return service.question_public([obj])[0]


@router.patch(
    "/{event_id}/questions/{question_id}",
    operation_id="events-questions-update",
    summary="Answer (or reword, unpublish) a question",
    response_model=QuestionPublic,
    responses=responses(401, 403, 404, 412, 422),
)
def update_question(
    _: Staff,
    session: SessionDep,
    event_id: uuid.UUID,
    question_id: uuid.UUID,
    data: QuestionUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> QuestionPublic:
    """Answered and published questions form the event's FAQ; `"answer": null` withdraws an answer."""
    obj = service.get_question(session, event_id, question_id)
    service.answer(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return service.question_public([obj])[0]


@router.get(
    "/{event_id}/faq",
    operation_id="events-faq",
    summary="The event's published FAQ",
    response_model=EventFaq,
    responses=responses(401, 404, 422),
)
def event_faq(_: Authenticated, session: SessionDep, event_id: uuid.UUID) -> EventFaq:
    service.get(session, event_id)
    return EventFaq(event_id=event_id, items=service.faq(session, event_id))
