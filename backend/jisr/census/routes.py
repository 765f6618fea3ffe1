"""Census of Lebanese local authorities' needs: campaigns, invitations, the public form, review."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from jisr.auth.deps import Staff
from jisr.auth.models import Language
from jisr.census import service
from jisr.census.models import (
    CampaignCreate,
    CampaignList,
    CampaignProgress,
    CampaignPublic,
    CampaignUpdate,
    CensusAnswer,
    CensusForm,
    CensusInvitation,
    CensusSubmission,
    InvitationIssued,
    InvitationList,
    InvitationPublic,
    InvitationsCreate,
    InvitationsCreated,
    MailStatus,
    ResponseDetail,
    ResponseList,
    ResponseReject,
    ResponseStatus,
    ResponseUpdate,
    ResponseValidate,
)
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import PayloadTooLarge, responses
from jisr.core.models import as_dict
from jisr.core.pagination import ListParams, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.notifications import service as notify

CampaignListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.CAMPAIGN_SORTABLE))]
InvitationListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.INVITATION_SORTABLE))]
ResponseListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.RESPONSE_SORTABLE))]

router = APIRouter(prefix="/api/v1/census", tags=["census"])

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


# --- campaigns ---------------------------------------------------------------------------


@router.get(
    "/campaigns",
    operation_id="census-campaigns-list",
    summary="List census campaigns",
    response_model=CampaignList,
    responses=responses(401, 403, 422),
)
def list_campaigns(_: Staff, session: SessionDep, params: CampaignListParams) -> CampaignList:
    rows, total = service.list_campaigns(session, params=params)
    return CampaignList(items=service.campaign_public(rows), total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/campaigns",
    operation_id="census-campaigns-create",
    summary="Create a census campaign",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignPublic,
    responses=responses(401, 403, 422),
)
def create_campaign(_: Staff, session: SessionDep, data: CampaignCreate, response: Response) -> CampaignPublic:
    obj = service.create_campaign(session, data=data)
    session.commit()
    created(response, obj, "census/campaigns")
    return service.campaign_public([obj])[0]


@router.get(
    "/campaigns/{campaign_id}",
    operation_id="census-campaigns-get",
    summary="Read a census campaign",
    response_model=CampaignPublic,
    responses=responses(401, 403, 404, 422),
)
def get_campaign(_: Staff, session: SessionDep, campaign_id: uuid.UUID, response: Response) -> CampaignPublic:
    obj = service.get_campaign(session, campaign_id)
    set_etag(response, obj)
    return service.campaign_public([obj])[0]


@router.patch(
    "/campaigns/{campaign_id}",
    operation_id="census-campaigns-update",
    summary="Change a census campaign (a past closes_at closes it now)",
    response_model=CampaignPublic,
    responses=responses(401, 403, 404, 412, 422),
)
def update_campaign(
    _: Staff,
    session: SessionDep,
    campaign_id: uuid.UUID,
    data: CampaignUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CampaignPublic:
    obj = service.get_campaign(session, campaign_id)
    service.update_campaign(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return service.campaign_public([obj])[0]


@router.delete(
    "/campaigns/{campaign_id}",
    operation_id="census-campaigns-delete",
    summary="Delete a census campaign nobody answered",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
)
def delete_campaign(_: Staff, session: SessionDep, campaign_id: uuid.UUID) -> None:
    service.delete_campaign(session, service.get_campaign(session, campaign_id))
    session.commit()


@router.get(
    "/campaigns/{campaign_id}/progress",
    operation_id="census-campaigns-progress",
    summary="Campaign progress per governorate",
    response_model=CampaignProgress,
    responses=responses(401, 403, 404, 422),
)
def campaign_progress(_: Staff, session: SessionDep, campaign_id: uuid.UUID) -> CampaignProgress:
    """Invited, opened, submitted and validated, per governorate and in total (revoked links excluded)."""
    return service.progress(session, service.get_campaign(session, campaign_id))


# --- invitations -------------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/invitations",
    operation_id="census-invitations-list",
    summary="List a campaign's invitations",
    response_model=InvitationList,
    responses=responses(401, 403, 404, 422),
)
def list_invitations(
    _: Staff,
    session: SessionDep,
    campaign_id: uuid.UUID,
    params: InvitationListParams,
    governorate: Annotated[str | None, Query(max_length=8)] = None,
    state: Literal["pending", "submitted", "revoked"] | None = None,
    mail: Annotated[
        MailStatus | None, Query(description="Only invitations whose current link's e-mails are in this state.")
    ] = None,
) -> InvitationList:
    """Each invitation says what became of its e-mails (`mail`): mailed, queued, failed, or no address."""
    service.get_campaign(session, campaign_id)
    only = None
    if mail is not None:
        every = service.all_invitations(session, campaign_id=campaign_id, governorate=governorate, state=state)
        only = [i for i, m in notify.census_invitation_mail(session, every).items() if m.status == mail]
    rows, total = service.list_invitations(
        session, campaign_id=campaign_id, params=params, governorate=governorate, state=state, only=only
    )
    return InvitationList(items=_public(session, rows), total=total, limit=params.limit, offset=params.offset)


def _public(session: SessionDep, rows: list[CensusInvitation]) -> list[InvitationPublic]:
    return service.invitation_public(rows, notify.census_invitation_mail(session, rows))


@router.post(
    "/campaigns/{campaign_id}/invitations",
    operation_id="census-invitations-create",
    summary="Invite Lebanese collectivities (returns each private link once)",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationsCreated,
    responses=responses(401, 403, 404, 409, 422),
)
def create_invitations(
    _: Staff, session: SessionDep, campaign_id: uuid.UUID, data: InvitationsCreate, response: Response
) -> InvitationsCreated:
    """`collectivity_ids` (Lebanese) and/or `governorates` (every municipality in them). Each new
    invitation comes with its `token` and `url` — shown this once; only a hash is kept. Collectivities
    invited before are listed in `already_invited` and keep their link (reissue one with `/token`)."""
    campaign = service.get_campaign(session, campaign_id)
    issued, before = service.invite(session, campaign=campaign, data=data)
    notify.census_invitations(session, campaign=campaign, issued=issued)
    session.commit()
    response.headers["Cache-Control"] = "no-store"
    response.headers["Location"] = f"/api/v1/census/campaigns/{campaign_id}/invitations"
    mail = notify.census_invitation_mail(session, [inv for inv, _ in issued])
    items = [
        InvitationIssued.model_validate(
            {**as_dict(inv), "token": token, "url": service.form_url(token), "mail": mail[inv.id]}
        )
        for inv, token in issued
    ]
    return InvitationsCreated(created=len(items), items=items, already_invited=before)


@router.post(
    "/campaigns/{campaign_id}/invitations/{invitation_id}/revoke",
    operation_id="census-invitations-revoke",
    summary="Revoke an invitation's link",
    response_model=InvitationPublic,
    responses=responses(401, 403, 404, 422),
)
def revoke_invitation(
    _: Staff, session: SessionDep, campaign_id: uuid.UUID, invitation_id: uuid.UUID
) -> InvitationPublic:
    inv = service.revoke(session, service.get_invitation(session, campaign_id, invitation_id))
    session.commit()
    return _public(session, [inv])[0]


@router.post(
    "/campaigns/{campaign_id}/invitations/{invitation_id}/token",
    operation_id="census-invitations-reissue",
    summary="Issue a new link for an invitation (the old one stops working)",
    response_model=InvitationIssued,
    responses=responses(401, 403, 404, 409, 422),
)
def reissue_invitation(
    _: Staff, session: SessionDep, campaign_id: uuid.UUID, invitation_id: uuid.UUID, response: Response
) -> InvitationIssued:
    campaign = service.get_campaign(session, campaign_id)
    inv = service.get_invitation(session, campaign_id, invitation_id)
    token = service.reissue(session, campaign, inv)
    notify.census_invitations(session, campaign=campaign, issued=[(inv, token)])
    session.commit()
    response.headers["Cache-Control"] = "no-store"
    mail = notify.census_invitation_mail(session, [inv])[inv.id]
    return InvitationIssued.model_validate(
        {**as_dict(inv), "token": token, "url": service.form_url(token), "mail": mail}
    )


# --- responses ---------------------------------------------------------------------------


@router.get(
    "/responses",
    operation_id="census-responses-list",
    summary="List census responses",
    response_model=ResponseList,
    responses=responses(401, 403, 422),
)
def list_responses(
    _: Staff,
    session: SessionDep,
    params: ResponseListParams,
    campaign_id: uuid.UUID | None = None,
    status: ResponseStatus | None = None,
    collectivity_id: uuid.UUID | None = None,
    governorate: Annotated[str | None, Query(max_length=8)] = None,
) -> ResponseList:
    rows, total = service.list_responses(
        session,
        params=params,
        campaign_id=campaign_id,
        status=status,
        collectivity_id=collectivity_id,
        governorate=governorate,
    )
    return ResponseList(
        items=service.response_public(session, rows), total=total, limit=params.limit, offset=params.offset
    )


@router.get(
    "/responses/{response_id}",
    operation_id="census-responses-get",
    summary="Read a census response with its needs",
    response_model=ResponseDetail,
    responses=responses(401, 403, 404, 422),
)
def get_response(_: Staff, session: SessionDep, response_id: uuid.UUID, response: Response) -> ResponseDetail:
    obj = service.get_response(session, response_id)
    set_etag(response, obj)
    return service.response_detail(session, obj)


@router.patch(
    "/responses/{response_id}",
    operation_id="census-responses-update",
    summary="Correct a census response before review",
    response_model=ResponseDetail,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_response(
    _: Staff,
    session: SessionDep,
    response_id: uuid.UUID,
    data: ResponseUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ResponseDetail:
    """Contact, priorities, former partners (set `french_collectivity_id` to name the French side).
    The response's needs are drafts: edit them through `/api/v1/needs`."""
    obj = service.get_response(session, response_id)
    service.update_response(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return service.response_detail(session, obj)


@router.post(
    "/responses/{response_id}/validate",
    operation_id="census-responses-validate",
    summary="Validate a census response",
    response_model=ResponseDetail,
    responses=responses(401, 403, 404, 409, 422),
)
def validate_response(
    principal: Staff, session: SessionDep, response_id: uuid.UUID, data: ResponseValidate | None = None
) -> ResponseDetail:
    """Its draft needs become `open`; each former partner found among French collectivities becomes a
    `dormant` partnership (unless the pair already has one); the others are listed in `unresolved_partners`.
    With `add_contact`, the respondent becomes a contact of the collectivity (`contact_id`) if they agreed on
    the form (`contact.consent`; else 409), or the contact with the same e-mail is linked. The body is optional."""
    obj = service.validate(
        session,
        service.get_response(session, response_id),
        actor=principal,
        add_contact=bool(data and data.add_contact),
    )
    session.commit()
    return service.response_detail(session, obj)


@router.post(
    "/responses/{response_id}/reject",
    operation_id="census-responses-reject",
    summary="Reject a census response",
    response_model=ResponseDetail,
    responses=responses(401, 403, 404, 409, 422),
)
def reject_response(
    principal: Staff, session: SessionDep, response_id: uuid.UUID, data: ResponseReject
) -> ResponseDetail:
    """Its draft needs are closed; the form cannot be sent again."""
    obj = service.reject(session, service.get_response(session, response_id), reason=data.reason, actor=principal)
    session.commit()
    return service.response_detail(session, obj)


# --- the public form ---------------------------------------------------------------------


async def _small_body(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > service.FORM_MAX_BYTES:
        raise PayloadTooLarge(f"The answer is larger than {service.FORM_MAX_BYTES // 1024} KiB.")
    if len(await request.body()) > service.FORM_MAX_BYTES:
        raise PayloadTooLarge(f"The answer is larger than {service.FORM_MAX_BYTES // 1024} KiB.")


def _throttle(request: Request, session: SessionDep) -> None:
    """Every public request counts, valid link or not; the count is committed at once."""
    service.throttle(session, address=request.client.host if request.client else "unknown")
    session.commit()


@router.get(
    "/forms/{token}",
    operation_id="census-forms-get",
    summary="The census form of a private link (no account)",
    response_model=CensusForm,
    dependencies=[Depends(_throttle)],
    responses=responses(404, 422, 429),
)
def get_form(session: SessionDep, token: str, response: Response, lang: Language | None = None) -> CensusForm:
    """Labels and themes in `lang` (`fr`, `en`, `ar`; default: the campaign's first language; `ar` is
    right-to-left, see `direction`), and the answer sent so far. A wrong, revoked or expired link: 404."""
    form = service.form(session, token=token, lang=lang)
    session.commit()
    response.headers.update(PRIVATE)
    return form


@router.put(
    "/forms/{token}",
    operation_id="census-forms-submit",
    summary="Send (or send again) the census answer of a private link",
    response_model=CensusSubmission,
    dependencies=[Depends(_small_body), Depends(_throttle)],
    responses={201: {"description": "First answer"}, **responses(404, 409, 413, 422, 429)},
)
def submit_form(session: SessionDep, token: str, data: CensusAnswer, response: Response) -> CensusSubmission:
    """200 when it updates the earlier answer (the same needs, edited: send back their `id`; needs left
    out are removed), 201 the first time. Unknown fields are refused. After review by the programme team:
    409. Bodies over 256 KiB: 413."""
    result, new = service.submit(session, token=token, answer=data)
    notify.census_receipt(session, token=token, submission=result)
    session.commit()
    response.headers.update(PRIVATE)
    if new:
        response.status_code = status.HTTP_201_CREATED
    return result
