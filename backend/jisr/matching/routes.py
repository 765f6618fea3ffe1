"""Matching: runs that propose French partners for Lebanese needs, and the proposals' workflow."""

import time
import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlmodel import col, select

from jisr.auth.deps import Authenticated, Editor, Staff, require
from jisr.auth.models import Role
from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.core.config import get_settings
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep, new_session
from jisr.core.errors import Conflict, responses
from jisr.core.pagination import ListParams, list_params_sorted_by
from jisr.core.routing import IfMatch
from jisr.matching import jobs, meetings, relaunch, service
from jisr.matching.models import (
    AvailabilityList,
    AvailabilityPublic,
    AvailabilitySet,
    MatchKind,
    MatchList,
    MatchPublic,
    MatchRun,
    MatchRunCreate,
    MatchRunDefaults,
    MatchRunList,
    MatchRunPublic,
    MatchStatus,
    MeetingList,
    RelaunchCreate,
    RunComparison,
    RunStatus,
    ScheduleRequest,
    ScheduleResult,
    TransitionCreate,
    transitions_table,
)
from jisr.notifications import proposals as notify_proposals

RunListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.RUN_SORTABLE))]
MatchListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/matches", tags=["matches"])


class AgendaFormat(StrEnum):
    csv = "csv"
    ics = "ics"


Reader = Annotated[Principal, Depends(require(Role.admin, Role.coordinator, Role.viewer))]


@router.post(
    "/runs",
    operation_id="matches-runs-create",
    summary="Run the matching",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchRunPublic,
    responses={
        202: {
            "description": "`wait=false`, or the run outlasted the wait: it is queued or running; "
            "follow Location (`GET /matches/runs/{id}`) until its status is done or failed.",
            "model": MatchRunPublic,
        },
        **responses(401, 403, 409, 422),
    },
)
def create_run(
    principal: Staff,
    session: SessionDep,
    data: MatchRunCreate,
    response: Response,
    wait: Annotated[
        bool, Query(description="Wait for the run to end (201, as before); false: 202 at once, with Location.")
    ] = True,
) -> MatchRunPublic:
    """Score every open request against every French collectivity, allocate proposals globally (the
    largest total score with at most `top_k` per need and `max_per_french_collectivity` per French
    collectivity) and store them. Proposals being worked on (shortlisted … meeting_scheduled) are kept
    and count against both caps; earlier `proposed` ones of the needs covered are replaced. The same
    data and parameters give the same proposals.

    The worker runs it (the request is checked first: 422 on bad input). By default the request waits
    for the end (up to `JISR_MATCH_RUN_WAIT_SECONDS`, then 202) and answers 201 with the run; 409 when
    the run failed (`error` says why; nothing of it was written)."""
    if not jobs.worker_runs_jobs():  # plain uvicorn, no worker: the request runs it (nothing would)
        run = service.run(session, data=data, actor=principal)
        notify_proposals.notify_new(session, run_id=run.id)
        session.commit()
    else:
        run = service.queue(session, data=data, actor=principal)
        session.commit()  # gives the connection back to the pool while the worker runs it
        if wait:
            _wait_for(run.id, get_settings().match_run_wait_seconds)
        session.refresh(run)
        if wait and run.status == RunStatus.failed.value:
            raise Conflict(run.error, code="match_run_failed", params={"run_id": str(run.id), "error": run.error})
    response.headers["Location"] = f"/api/v1/matches/runs/{run.id}"
    if not wait or run.status != RunStatus.done.value:
        response.status_code = status.HTTP_202_ACCEPTED
    set_etag(response, run)
    return service.run_public([run])[0]


def _wait_for(run_id: uuid.UUID, seconds: float) -> None:
    """Poll the run's status until it ends or ``seconds`` pass; a short session per look, so that no
    connection (nor its request-level statement timeout) is held while the worker runs it."""
    deadline = time.monotonic() + seconds
    pause = 0.1
    while True:
        with new_session() as s:
            state = s.execute(select(MatchRun.status).where(col(MatchRun.id) == run_id)).scalar()
        if state not in (RunStatus.queued.value, RunStatus.running.value) or time.monotonic() >= deadline:
            return
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, 1.0)


@router.post(
    "/relaunches",
    operation_id="matches-relaunch",
    summary="Relaunch a dormant partnership",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchPublic,
    responses={
        200: {"description": "The pair is already on the board: its proposal."},
        **responses(401, 403, 404, 409, 422),
    },
)
def create_relaunch(principal: Staff, session: SessionDep, data: RelaunchCreate, response: Response) -> MatchPublic:
    """Puts the pair of a dormant or ended partnership on the board as a `relaunch` proposal (stored
    `shortlisted`, so runs keep it) for the Lebanese side's open request it fits best, whatever the
    themes (the reasons say what fits), and tells both sides. 200 with the existing proposal when the
    pair is already waiting or being worked on (shortlisted now if a run had merely proposed it).
    409 says why it cannot, with a `code`: `relaunch_not_dormant`, `relaunch_no_open_need`,
    `relaunch_partner_cap` (the French side already holds `max_per_french_collectivity` proposals being
    worked on: shortlisted … meeting_scheduled), `relaunch_declined` (reopen the refused proposal)."""
    obj, new = relaunch.relaunch(
        session,
        partnership_id=data.partnership_id,
        actor=principal,
        max_per_french_collectivity=data.max_per_french_collectivity,
    )
    if new:
        notify_proposals.announce(session, obj, answer_days=get_settings().proposal_answer_days)
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/api/v1/matches/{obj.id}"
    else:
        response.status_code = status.HTTP_200_OK
    session.commit()
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.get(
    "/defaults",
    operation_id="matches-defaults",
    summary="Default parameters of a run",
    response_model=MatchRunDefaults,
    responses=responses(401, 403),
)
def run_defaults(_: Reader) -> MatchRunDefaults:
    """The weights and caps a run uses when its request leaves them out (`POST /matches/runs`); the web
    app starts from them."""
    return MatchRunDefaults.of_runs()


@router.get(
    "/runs",
    operation_id="matches-runs-list",
    summary="List matching runs",
    response_model=MatchRunList,
    responses=responses(401, 403, 422),
)
def list_runs(_: Reader, session: SessionDep, params: RunListParams) -> MatchRunList:
    rows, total = service.list_runs(session, params=params)
    return MatchRunList(items=service.run_public(rows), total=total, limit=params.limit, offset=params.offset)


@router.get(
    "/runs/{run_id}",
    operation_id="matches-runs-get",
    summary="Read a matching run",
    response_model=MatchRunPublic,
    responses=responses(401, 403, 404, 422),
)
def get_run(_: Reader, session: SessionDep, run_id: uuid.UUID, response: Response) -> MatchRunPublic:
    run = service.get_run(session, run_id)
    set_etag(response, run)
    return service.run_public([run])[0]


@router.get(
    "/runs/{run_id}/comparison",
    operation_id="matches-runs-compare",
    summary="Compare a run with another",
    response_model=RunComparison,
    responses=responses(401, 403, 404, 422),
)
def compare_runs(
    _: Reader,
    session: SessionDep,
    run_id: uuid.UUID,
    other: Annotated[
        uuid.UUID | None, Query(alias="with", description="The run to compare with; default: the run before.")
    ] = None,
    limit: Annotated[int, Query(ge=0, le=5000, description="Items listed per category at most.")] = 500,
) -> RunComparison:
    """New, dropped and re-ranked proposals, over the needs both runs covered (counts are complete;
    lists stop at `limit`)."""
    return service.compare(session, service.get_run(session, run_id), other_id=other, limit=limit)


@router.get(
    "",
    operation_id="matches-list",
    summary="List match proposals",
    response_model=MatchList,
    responses=responses(401, 404, 422),
)
def list_matches(
    principal: Authenticated,
    session: SessionDep,
    params: MatchListParams,
    need_id: uuid.UUID | None = None,
    status: MatchStatus | None = None,
    kind: MatchKind | None = None,
    run_id: uuid.UUID | None = None,
    collectivity_id: Annotated[
        uuid.UUID | None, Query(description="Proposals about this collectivity (either side, pool members too).")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=80, description="The need's theme (slug); sub-themes count too.")
    ] = None,
    governorate: Annotated[
        str | None, Query(max_length=8, description="The Lebanese side's governorate (ISO 3166-2, LB-JA).")
    ] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1, description="Score at least this (0 to 1).")] = None,
) -> MatchList:
    """Ordered by need, then rank (`sort=` changes it). Members see the proposals about their own
    collectivity only."""
    filters = {"need_id": need_id, "status": status, "kind": kind, "run_id": run_id}
    rows, total = service.list_(
        session,
        actor=principal,
        params=params,
        filters=filters,
        collectivity_id=collectivity_id,
        tag=tag,
        governorate=governorate,
        min_score=min_score,
    )
    return MatchList(items=service.public(session, rows), total=total, limit=params.limit, offset=params.offset)


@router.get(
    "/{match_id}",
    operation_id="matches-get",
    summary="Read a match proposal",
    response_model=MatchPublic,
    responses=responses(401, 403, 404, 422),
)
def get_match(principal: Authenticated, session: SessionDep, match_id: uuid.UUID, response: Response) -> MatchPublic:
    obj = service.get(session, match_id)
    service.ensure_visible(principal, obj)
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.post(
    "/{match_id}/transitions",
    operation_id="matches-transition",
    summary="Change a proposal's status",
    # The table is written from the one the service checks moves against.
    description=f"""Moves allowed (anything else is 409, naming the allowed ones):

{transitions_table()}

Members of either collectivity (pool members included) may accept or decline; coordinators make
every move. `partnership_formed` creates the Partnership of each French member with the Lebanese
side, or reactivates their dormant / ended one, and marks the need `matched`.""",
    response_model=MatchPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def transition(
    principal: Editor,
    session: SessionDep,
    match_id: uuid.UUID,
    data: TransitionCreate,
    response: Response,
    if_match: IfMatch = None,
) -> MatchPublic:
    obj = service.get(session, match_id)
    service.ensure_visible(principal, obj)
    service.transition(session, obj, to=data.to, note=data.note, actor=principal, if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return service.public(session, [obj])[0]


# --- field-mission meetings ------------------------------------------------------------------------------

meetings_router = APIRouter(prefix="/api/v1/events", tags=["meetings"])
CSV_ICS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}, "text/calendar": {"schema": {"type": "string"}}},
        "description": "The agenda.",
    }
}


@meetings_router.put(
    "/{event_id}/availability/{collectivity_id}",
    operation_id="meetings-availability-set",
    summary="Give a collectivity's availability",
    response_model=AvailabilityPublic,
    responses=responses(401, 403, 404, 409, 422),
)
def set_availability(
    principal: Editor,
    session: SessionDep,
    event_id: uuid.UUID,
    collectivity_id: uuid.UUID,
    data: AvailabilitySet,
    response: Response,
) -> AvailabilityPublic:
    """The windows (with an offset) in which the collectivity can meet during the field mission; a
    new call replaces them. Members give their own collectivity's. 409 for an event that is not a
    field mission."""
    event = meetings.field_mission(session, event_id)
    obj = meetings.set_availability(session, event, collectivity_id, windows=data.windows, actor=principal)
    session.commit()
    set_etag(response, obj)
    return meetings.availability_public([obj])[0]


@meetings_router.get(
    "/{event_id}/availability",
    operation_id="meetings-availability-list",
    summary="List availability for a field mission",
    response_model=AvailabilityList,
    responses=responses(401, 403, 404, 409, 422),
)
def list_availability(principal: Editor, session: SessionDep, event_id: uuid.UUID) -> AvailabilityList:
    """Members see their own collectivity's only."""
    event = meetings.field_mission(session, event_id)
    rows = meetings.list_availability(session, event, actor=principal)
    return AvailabilityList(items=meetings.availability_public(rows))


@meetings_router.post(
    "/{event_id}/meetings/schedule",
    operation_id="meetings-schedule",
    summary="Schedule the bilateral meetings",
    response_model=ScheduleResult,
    responses=responses(401, 403, 404, 409, 422),
)
def schedule_meetings(
    principal: Staff, session: SessionDep, event_id: uuid.UUID, data: ScheduleRequest
) -> ScheduleResult:
    """Places the accepted proposals in slots of `slot_minutes` from the mission's start, at the given
    tables: nobody in two places at once, no table twice in a slot, only slots every participant
    (the Lebanese side and each French one) is available in, and as many meetings as possible. The
    answer lists those left out with the reason. Replaces the mission's previous schedule: placed
    proposals become `meeting_scheduled`; ones no longer placed go back to `accepted`."""
    event = meetings.field_mission(session, event_id)
    result = meetings.make_schedule(session, event, data=data, actor=principal)
    session.commit()
    return result


@meetings_router.get(
    "/{event_id}/meetings",
    operation_id="meetings-list",
    summary="List a field mission's meetings",
    response_model=MeetingList,
    responses=responses(401, 403, 404, 409, 422),
)
def list_meetings(
    principal: Authenticated,
    session: SessionDep,
    event_id: uuid.UUID,
    collectivity_id: Annotated[uuid.UUID | None, Query(description="Only this collectivity's meetings.")] = None,
) -> MeetingList:
    """In time order. Members see their own collectivity's meetings only."""
    event = meetings.field_mission(session, event_id)
    if principal.role == Role.member:
        collectivity_id = principal.collectivity_id or uuid.UUID(int=0)
    rows = meetings.list_meetings(session, event, collectivity_id=collectivity_id)
    return MeetingList(items=meetings.meetings_public(session, rows))


@meetings_router.get(
    "/{event_id}/agenda/{collectivity_id}.{fmt}",
    operation_id="meetings-agenda",
    summary="A collectivity's agenda (CSV or iCalendar)",
    response_class=Response,
    responses={**CSV_ICS, **responses(401, 403, 404, 409, 422)},
)
def agenda(
    principal: Authenticated,
    session: SessionDep,
    event_id: uuid.UUID,
    collectivity_id: uuid.UUID,
    fmt: Annotated[AgendaFormat, Path(description="`csv` (French Excel: `;`, UTF-8 with BOM) or `ics`.")],
) -> Response:
    event = meetings.field_mission(session, event_id)
    meetings.ensure_own(principal, collectivity_id)
    collectivities.get(session, collectivity_id)
    name = f"agenda-{event_id}-{collectivity_id}"
    if fmt == AgendaFormat.csv:
        body = meetings.agenda_csv(session, event, collectivity_id)
        media = "text/csv; charset=utf-8"
    else:
        body = meetings.agenda_ics(session, event, collectivity_id, public_url=get_settings().public_url)
        media = "text/calendar; charset=utf-8"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'}
    )
