"""Census campaigns: invitations and their private links, the public form, review of the responses.

A link's token is random (256 bits), shown once, and kept only as a hash. Whoever holds it may read
and answer the form until the campaign closes or the invitation is revoked; any other token gets the
same 404. The answer's needs go through the needs service as drafts from the census; a coordinator
validates them (they open) or rejects them (they close).
"""

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from jisr.auth.models import Language, Role
from jisr.auth.service import Principal
from jisr.census import labels
from jisr.census.models import (
    CampaignCreate,
    CampaignProgress,
    CampaignPublic,
    CensusAnswer,
    CensusCampaign,
    CensusForm,
    CensusInvitation,
    CensusResponse,
    CensusResponseNeed,
    CensusSubmission,
    ContactAnswer,
    FormCampaign,
    FormCollectivity,
    InvitationMail,
    InvitationPublic,
    InvitationsCreate,
    MailStatus,
    NeedAnswer,
    Option,
    ProgressRow,
    RateHit,
    ResponseDetail,
    ResponsePublic,
    ResponseStatus,
    ThemeOption,
)
from jisr.collectivities import service as collectivities
from jisr.collectivities.geography import lebanon
from jisr.collectivities.models import Collectivity, Country, Kind
from jisr.contacts import service as contacts
from jisr.contacts.models import ConsentFilter, ContactCreate
from jisr.core.config import get_settings
from jisr.core.crud import get_or_404, save_changes
from jisr.core.db import utcnow
from jisr.core.errors import Conflict, Invalid, NotFound, TooManyRequests
from jisr.core.models import as_dict
from jisr.core.notes import NoteKey
from jisr.core.pagination import ListParams, paginate
from jisr.core.security import hash_secret, new_secret, throttle_address
from jisr.core.text import fold
from jisr.needs import service as needs
from jisr.needs.models import Direction, Need, NeedCreate, NeedSource, NeedStatus
from jisr.partnerships import service as partnerships
from jisr.partnerships.models import PartnershipCreate, PartnershipStatus
from jisr.tags import service as tags

# Public form endpoints: requests per client address in a sliding window, counted in the database.
RATE_LIMIT = 60
RATE_WINDOW = timedelta(minutes=10)
# Bodies of the public form (the answer): far below the API's general limit.
FORM_MAX_BYTES = 256 * 1024
TOKEN_BYTES = 32

INVALID_LINK = "This link is not valid: it may be mistyped, withdrawn or expired. Ask the programme team for a new one."

CAMPAIGN_SORTABLE = {
    "closes_at": CensusCampaign.closes_at,
    "title": CensusCampaign.title,
    "created_at": CensusCampaign.created_at,
    "updated_at": CensusCampaign.updated_at,
}
INVITATION_SORTABLE = {
    "created_at": CensusInvitation.created_at,
    "updated_at": CensusInvitation.updated_at,
    "governorate": CensusInvitation.governorate,
    "submitted_at": CensusInvitation.submitted_at,
}
RESPONSE_SORTABLE = {
    "submitted_at": CensusResponse.submitted_at,
    "status": CensusResponse.status,
    "created_at": CensusResponse.created_at,
    "updated_at": CensusResponse.updated_at,
}


def _invalid(errors: list[dict[str, Any]], detail: str) -> Invalid:
    return Invalid(detail, errors=errors)


def _lock_row(session: Session, model: Any, id: uuid.UUID) -> None:
    """Serialise writers of one row until the transaction ends (see events.service.lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(model.id).where(model.id == id).with_for_update()).first()
    else:
        session.execute(
            update(model)
            .where(model.id == id)
            .values(version=model.version)
            .execution_options(synchronize_session=False)
        )


# --- campaigns ---------------------------------------------------------------------------


def is_open(campaign: CensusCampaign) -> bool:
    return campaign.closes_at > utcnow()


def campaign_text(campaign: CensusCampaign, lang: str) -> tuple[str, str, str]:
    """The campaign's title and description in ``lang`` when it has a title there, else the French ones;
    and the language they are in."""
    if lang in ("en", "ar"):
        title = getattr(campaign, f"title_{lang}", "") or ""
        if title.strip():
            return title, getattr(campaign, f"description_{lang}", "") or "", lang
    return campaign.title, campaign.description, "fr"


def create_campaign(session: Session, *, data: CampaignCreate) -> CensusCampaign:
    if data.closes_at <= utcnow():
        raise _invalid([{"loc": ["body", "closes_at"], "msg": "must be in the future"}], "The closing date is past.")
    values = data.model_dump(mode="json")
    values["closes_at"] = data.closes_at
    obj = CensusCampaign(**values)
    session.add(obj)
    session.flush()
    return obj


def get_campaign(session: Session, id: uuid.UUID) -> CensusCampaign:
    return get_or_404(session, CensusCampaign, id, "census campaign")


def update_campaign(
    session: Session, obj: CensusCampaign, *, changes: dict[str, Any], if_match: str | None
) -> CensusCampaign:
    """A closing date in the past closes the campaign now: its links stop working."""
    if changes.get("languages") is not None:
        changes["languages"] = [Language(v).value for v in changes["languages"]]
    return save_changes(session, obj, changes, if_match=if_match)


def delete_campaign(session: Session, obj: CensusCampaign) -> None:
    answered = session.exec(
        select(func.count()).select_from(CensusResponse).where(CensusResponse.campaign_id == obj.id)
    ).one()
    if answered:
        raise Conflict(f"{answered} collectivities answered this campaign: close it (closes_at) instead of deleting.")
    session.execute(delete(CensusInvitation).where(col(CensusInvitation.campaign_id) == obj.id))
    session.delete(obj)
    session.flush()


def list_campaigns(session: Session, *, params: ListParams) -> tuple[list[CensusCampaign], int]:
    return paginate(
        session, select(CensusCampaign), params, model=CensusCampaign, sortable=CAMPAIGN_SORTABLE, default="-closes_at"
    )


def campaign_public(rows: list[CensusCampaign]) -> list[CampaignPublic]:
    return [CampaignPublic.model_validate({**as_dict(r), "is_open": is_open(r)}) for r in rows]


def progress(session: Session, campaign: CensusCampaign) -> CampaignProgress:
    """Invited, opened, submitted, validated — per governorate (revoked invitations do not count)."""
    stmt = (
        select(CensusInvitation.governorate, CensusInvitation.opened_at, CensusResponse.status)
        .select_from(CensusInvitation)
        .outerjoin(CensusResponse, col(CensusResponse.invitation_id) == CensusInvitation.id)
        .where(CensusInvitation.campaign_id == campaign.id, col(CensusInvitation.revoked_at).is_(None))
    )
    rows: dict[str | None, ProgressRow] = {}
    total = ProgressRow(governorate=None)
    for governorate, opened_at, status in session.exec(stmt):
        row = rows.setdefault(governorate, ProgressRow(governorate=governorate))
        for target in (row, total):
            target.invited += 1
            target.opened += int(opened_at is not None or status is not None)
            target.submitted += int(status is not None)
            target.validated += int(status == ResponseStatus.validated)
    names = lebanon()
    for code, row in rows.items():
        if code in names:
            row.name_fr, row.name_en, row.name_ar = names[code].name_fr, names[code].name_en, names[code].name_ar
    ordered = sorted(rows.values(), key=lambda r: (r.governorate is None, r.governorate or ""))
    return CampaignProgress(campaign_id=campaign.id, total=total, by_governorate=ordered)


# --- invitations -------------------------------------------------------------------------


def form_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/census/{token}"


def invite(
    session: Session, *, campaign: CensusCampaign, data: InvitationsCreate
) -> tuple[list[tuple[CensusInvitation, str]], list[uuid.UUID]]:
    """New invitations with their tokens (returned once), and the collectivities invited before."""
    if not is_open(campaign):
        raise Conflict("This campaign is closed: reopen it (a later closes_at) before inviting.")
    if not data.collectivity_ids and not data.governorates:
        raise _invalid(
            [{"loc": ["body", "collectivity_ids"], "msg": "give collectivity_ids or governorates"}],
            "Say whom to invite: a list of collectivities, or governorates.",
        )
    errors: list[dict[str, Any]] = []
    targets: dict[uuid.UUID, Collectivity] = {}
    for i, cid in enumerate(data.collectivity_ids):
        try:
            c = collectivities.get(session, cid)
        except NotFound:
            errors.append({"loc": ["body", "collectivity_ids", i], "msg": "unknown collectivity"})
            continue
        if c.country != Country.LB:
            errors.append({"loc": ["body", "collectivity_ids", i], "msg": f"{c.name} is not Lebanese"})
            continue
        targets[c.id] = c
    known = lebanon()
    for i, code in enumerate(data.governorates):
        if code not in known:
            errors.append({"loc": ["body", "governorates", i], "msg": f"unknown governorate {code}"})
            continue
        rows, _ = collectivities.list_(
            session,
            params=ListParams(limit=100_000),
            filters={"country": Country.LB, "kind": Kind.municipality, "governorate": code},
            tag=None,
            expertise=None,
            interest=None,
            external_ref=None,
            q=None,
        )
        targets.update({c.id: c for c in rows})
    if errors:
        raise _invalid(errors, "Some invitations cannot be made: nothing was created.")
    before = set(
        session.exec(select(CensusInvitation.collectivity_id).where(CensusInvitation.campaign_id == campaign.id))
    )
    issued: list[tuple[CensusInvitation, str]] = []
    for c in targets.values():
        if c.id in before:
            continue
        token = new_secret(TOKEN_BYTES)
        inv = CensusInvitation(
            campaign_id=campaign.id, collectivity_id=c.id, governorate=c.governorate, token_hash=hash_secret(token)
        )
        session.add(inv)
        issued.append((inv, token))
    session.flush()
    return issued, [cid for cid in targets if cid in before]


def get_invitation(session: Session, campaign_id: uuid.UUID, invitation_id: uuid.UUID) -> CensusInvitation:
    inv = session.get(CensusInvitation, invitation_id)
    if inv is None or inv.campaign_id != campaign_id:
        raise NotFound(f"No invitation {invitation_id} in this campaign.")
    return inv


def revoke(session: Session, inv: CensusInvitation) -> CensusInvitation:
    if inv.revoked_at is None:
        save_changes(session, inv, {"revoked_at": utcnow()})
    return inv


def reissue(session: Session, campaign: CensusCampaign, inv: CensusInvitation) -> str:
    """A new link for the invitation (the old one stops working; a revoked invitation works again)."""
    if not is_open(campaign):
        raise Conflict("This campaign is closed: reopen it (a later closes_at) before sending new links.")
    token = new_secret(TOKEN_BYTES)
    save_changes(session, inv, {"token_hash": hash_secret(token), "revoked_at": None})
    return token


def _invitations_query(campaign_id: uuid.UUID, governorate: str | None, state: str | None) -> Any:
    stmt = select(CensusInvitation).where(CensusInvitation.campaign_id == campaign_id)
    if governorate:
        stmt = stmt.where(CensusInvitation.governorate == governorate)
    if state == "revoked":
        stmt = stmt.where(col(CensusInvitation.revoked_at).is_not(None))
    elif state == "pending":
        stmt = stmt.where(col(CensusInvitation.revoked_at).is_(None), col(CensusInvitation.submitted_at).is_(None))
    elif state == "submitted":
        stmt = stmt.where(col(CensusInvitation.submitted_at).is_not(None))
    return stmt


def all_invitations(
    session: Session, *, campaign_id: uuid.UUID, governorate: str | None, state: str | None
) -> list[CensusInvitation]:
    """Every invitation of the campaign under these filters (at most the municipalities of Lebanon)."""
    return list(session.exec(_invitations_query(campaign_id, governorate, state)))


def list_invitations(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    params: ListParams,
    governorate: str | None,
    state: str | None,
    only: list[uuid.UUID] | None = None,
) -> tuple[list[CensusInvitation], int]:
    """``only``: restrict to these invitations (a filter computed elsewhere, such as the e-mail status)."""
    stmt = _invitations_query(campaign_id, governorate, state)
    if only is not None:
        stmt = stmt.where(col(CensusInvitation.id).in_(only))
    return paginate(session, stmt, params, model=CensusInvitation, sortable=INVITATION_SORTABLE, default="created_at")


def invitation_public(rows: list[CensusInvitation], mail: dict[uuid.UUID, InvitationMail]) -> list[InvitationPublic]:
    """``mail``: each invitation's e-mail status (from the notifications, which own the outbox keys)."""
    none = InvitationMail(status=MailStatus.no_address)
    return [InvitationPublic.model_validate({**as_dict(r), "mail": mail.get(r.id, none)}) for r in rows]


# --- the public form ---------------------------------------------------------------------


def throttle(session: Session, *, address: str) -> None:
    """Count this request against the address's budget; 429 past it. The caller commits at once."""
    now = utcnow()
    key = f"census-form:{throttle_address(address)}"
    session.execute(delete(RateHit).where(col(RateHit.at) < now - RATE_WINDOW))
    seen = session.exec(
        select(func.count()).select_from(RateHit).where(RateHit.key == key, RateHit.at >= now - RATE_WINDOW)
    ).one()
    if seen >= RATE_LIMIT:
        raise TooManyRequests(
            "Too many requests from your address: wait a few minutes, then try again.",
            headers={"Retry-After": str(int(RATE_WINDOW.total_seconds()))},
        )
    session.add(RateHit(key=key, at=now))
    session.flush()


def by_token(session: Session, token: str) -> tuple[CensusInvitation, CensusCampaign]:
    """The invitation a live link points to. Unknown, revoked and expired links look the same: 404."""
    if not 20 <= len(token) <= 100:
        raise NotFound(INVALID_LINK)
    inv = session.exec(select(CensusInvitation).where(CensusInvitation.token_hash == hash_secret(token))).first()
    if inv is None or inv.revoked_at is not None:
        raise NotFound(INVALID_LINK)
    campaign = session.get(CensusCampaign, inv.campaign_id)
    if campaign is None or not is_open(campaign):
        raise NotFound(INVALID_LINK)
    return inv, campaign


def _response_of(session: Session, invitation_id: uuid.UUID) -> CensusResponse | None:
    return session.exec(select(CensusResponse).where(CensusResponse.invitation_id == invitation_id)).first()


def _linked_needs(session: Session, response_id: uuid.UUID) -> list[Need]:
    links = session.exec(
        select(CensusResponseNeed)
        .where(CensusResponseNeed.response_id == response_id)
        .order_by(col(CensusResponseNeed.position))
    )
    return [needs.get(session, link.need_id) for link in links]


def _answer_of(session: Session, response: CensusResponse) -> CensusAnswer:
    rows = needs.public(session, _linked_needs(session, response.id))
    return CensusAnswer(
        language=Language(response.language),
        contact=ContactAnswer.model_validate(response.contact),
        priorities=[uuid.UUID(t) for t in response.priorities],
        needs=[
            NeedAnswer(
                id=n.id,
                title=n.title,
                description=n.description,
                tag_ids=n.tag_ids,
                priority=n.priority,
                estimated_budget_eur=n.estimated_budget_eur,
            )
            for n in rows
        ],
        former_partners=[
            {k: v for k, v in p.items() if k != "french_collectivity_id"}  # type: ignore[misc]
            for p in response.former_partners
        ],
    )


def form(session: Session, *, token: str, lang: Language | None) -> CensusForm:
    """The form in one language (labels, themes), with the answer sent so far. Marks the link opened."""
    inv, campaign = by_token(session, token)
    if inv.opened_at is None:
        session.execute(
            update(CensusInvitation)
            .where(col(CensusInvitation.id) == inv.id, col(CensusInvitation.opened_at).is_(None))
            .values(opened_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    language = (lang or Language(campaign.languages[0] if campaign.languages else "fr")).value
    collectivity = collectivities.get(session, inv.collectivity_id)
    themes, _ = tags.list_tags(session, params=ListParams(limit=500), parent=None, q=None)
    response = _response_of(session, inv.id)
    title, description, text_language = campaign_text(campaign, language)
    return CensusForm(
        campaign=FormCampaign(
            title=title,
            description=description,
            text_language=Language(text_language),
            closes_at=campaign.closes_at,
            timezone=campaign.timezone,
            languages=[Language(v) for v in campaign.languages],
        ),
        collectivity=FormCollectivity(
            name=collectivity.name, name_ar=collectivity.name_ar, governorate=collectivity.governorate
        ),
        language=Language(language),
        direction=labels.DIRECTION[language],
        labels=labels.LABELS[language],
        themes=[
            ThemeOption(id=t.id, slug=t.slug, parent_id=t.parent_id, label=getattr(t, f"label_{language}"))
            for t in themes
        ],
        priorities=[Option(value=k, label=v) for k, v in labels.PRIORITIES[language].items()],
        status=response.status if response else "not_submitted",
        editable=response is None or response.status == ResponseStatus.submitted,
        submitted_at=response.submitted_at if response else None,
        answer=_answer_of(session, response) if response else None,
    )


def _check_tags(session: Session, answer: CensusAnswer) -> None:
    themes, _ = tags.list_tags(session, params=ListParams(limit=500), parent=None, q=None)
    known = {t.id for t in themes}
    errors: list[dict[str, Any]] = []
    for i, tag_id in enumerate(answer.priorities):
        if tag_id not in known:
            errors.append({"loc": ["body", "priorities", i], "msg": "unknown theme"})
    for i, need in enumerate(answer.needs):
        for j, tag_id in enumerate(need.tag_ids):
            if tag_id not in known:
                errors.append({"loc": ["body", "needs", i, "tag_ids", j], "msg": "unknown theme"})
    if errors:
        raise _invalid(errors, "Some themes are unknown: reload the form.")


def _census_actor(inv: CensusInvitation) -> Principal:
    """Who writes the needs of a census answer: the invited collectivity, as a member would."""
    return Principal("census", inv.id, Role.member, inv.collectivity_id, f"census-invitation:{inv.id}")


def _partners(answer: CensusAnswer, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer's former partners, keeping a coordinator's match of a name already given."""
    matched = {fold(p["name"]): p.get("french_collectivity_id") for p in before if p.get("french_collectivity_id")}
    out = []
    for p in answer.former_partners:
        item = p.model_dump(mode="json")
        if fold(p.name) in matched:
            item["french_collectivity_id"] = matched[fold(p.name)]
        out.append(item)
    return out


def submit(session: Session, *, token: str, answer: CensusAnswer) -> tuple[CensusSubmission, bool]:
    """Record the answer; again before closing updates the same response and needs. True when new."""
    inv, _campaign = by_token(session, token)
    _lock_row(session, CensusInvitation, inv.id)
    session.refresh(inv)
    if inv.revoked_at is not None:
        raise NotFound(INVALID_LINK)
    _check_tags(session, answer)
    response = _response_of(session, inv.id)
    if response is not None and response.status != ResponseStatus.submitted:
        raise Conflict("The programme team has already reviewed this answer: contact them to change it.")
    links = (
        {
            link.need_id: link
            for link in session.exec(select(CensusResponseNeed).where(CensusResponseNeed.response_id == response.id))
        }
        if response is not None
        else {}
    )
    errors = []
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(answer.needs):
        if item.id is not None and (item.id not in links or item.id in seen):
            errors.append({"loc": ["body", "needs", i, "id"], "msg": "not a need of this answer"})
        if item.id is not None:
            seen.add(item.id)
    if errors:
        raise _invalid(errors, "Some needs are not part of this answer: reload the form.")

    now = utcnow()
    values = {
        "language": answer.language.value,
        "contact": answer.contact.model_dump(mode="json"),
        "priorities": [str(t) for t in dict.fromkeys(answer.priorities)],
        "former_partners": _partners(answer, response.former_partners if response else []),
        "submitted_at": now,
    }
    new = response is None
    if response is None:
        response = CensusResponse(
            invitation_id=inv.id, campaign_id=inv.campaign_id, collectivity_id=inv.collectivity_id
        )
        for key, value in values.items():
            setattr(response, key, value)
        session.add(response)
        session.flush()
    else:
        save_changes(session, response, {**values, "submissions": response.submissions + 1})

    actor = _census_actor(inv)
    for position, item in enumerate(answer.needs):
        fields: dict[str, Any] = {
            "title": item.title,
            "description": item.description,
            "priority": item.priority,
            "estimated_budget_eur": item.estimated_budget_eur,
            "tag_ids": list(dict.fromkeys(item.tag_ids)),
        }
        if item.id is not None:
            needs.update(session, needs.get(session, item.id), changes=fields, actor=actor, if_match=None)
            links[item.id].position = position
            session.add(links[item.id])
        else:
            need = needs.create(
                session,
                data=NeedCreate.model_validate(
                    {
                        **fields,
                        "collectivity_id": inv.collectivity_id,
                        "direction": Direction.request,
                        "status": NeedStatus.draft,
                        "source": NeedSource.census,
                    }
                ),
                actor=actor,
            )
            session.add(CensusResponseNeed(response_id=response.id, need_id=need.id, position=position))
    for need_id, link in links.items():
        if need_id not in seen:
            session.delete(link)
            session.flush()
            needs.delete(session, needs.get(session, need_id), actor=actor)
    save_changes(session, inv, {"submitted_at": now, "opened_at": inv.opened_at or now})
    session.flush()
    return CensusSubmission(status=response.status, submitted_at=now, answer=_answer_of(session, response)), new


# --- responses (coordinators) ------------------------------------------------------------


def get_response(session: Session, id: uuid.UUID) -> CensusResponse:
    return get_or_404(session, CensusResponse, id, "census response")


def list_responses(
    session: Session,
    *,
    params: ListParams,
    campaign_id: uuid.UUID | None,
    status: ResponseStatus | None,
    collectivity_id: uuid.UUID | None,
    governorate: str | None,
) -> tuple[list[CensusResponse], int]:
    stmt = select(CensusResponse)
    if campaign_id is not None:
        stmt = stmt.where(CensusResponse.campaign_id == campaign_id)
    if status is not None:
        stmt = stmt.where(CensusResponse.status == status)
    if collectivity_id is not None:
        stmt = stmt.where(CensusResponse.collectivity_id == collectivity_id)
    if governorate:
        invited = select(CensusInvitation.id).where(CensusInvitation.governorate == governorate)
        stmt = stmt.where(col(CensusResponse.invitation_id).in_(invited))
    return paginate(session, stmt, params, model=CensusResponse, sortable=RESPONSE_SORTABLE, default="-submitted_at")


def response_public(session: Session, rows: list[CensusResponse]) -> list[ResponsePublic]:
    ids = [r.id for r in rows]
    need_ids: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        links = session.exec(
            select(CensusResponseNeed)
            .where(col(CensusResponseNeed.response_id).in_(ids))
            .order_by(col(CensusResponseNeed.position))
        )
        for link in links:
            need_ids[link.response_id].append(link.need_id)
    return [ResponsePublic.model_validate({**as_dict(r), "need_ids": need_ids.get(r.id, [])}) for r in rows]


def response_detail(session: Session, response: CensusResponse) -> ResponseDetail:
    base = response_public(session, [response])[0]
    return ResponseDetail(**base.model_dump(), needs=needs.public(session, _linked_needs(session, response.id)))


def _require_submitted(response: CensusResponse) -> None:
    if response.status != ResponseStatus.submitted:
        raise Conflict(f"This response is already {response.status}.")


def update_response(
    session: Session, response: CensusResponse, *, changes: dict[str, Any], if_match: str | None
) -> CensusResponse:
    """Coordinators correct a response before reviewing it (its needs: through the needs API)."""
    _require_submitted(response)
    values: dict[str, Any] = {}
    errors = []
    if changes.get("contact") is not None:
        values["contact"] = ContactAnswer.model_validate(changes["contact"]).model_dump(mode="json")
    if changes.get("priorities") is not None:
        tags.check_tag_ids(session, list(changes["priorities"]), "priorities")
        values["priorities"] = [str(t) for t in dict.fromkeys(changes["priorities"])]
    if changes.get("former_partners") is not None:
        partners = []
        for i, p in enumerate(changes["former_partners"]):
            item = dict(p) if isinstance(p, dict) else p.model_dump()
            fid = item.get("french_collectivity_id")
            if fid is not None:
                try:
                    french = collectivities.get(session, fid)
                except NotFound:
                    french = None
                if french is None or french.country != Country.FR:
                    errors.append(
                        {"loc": ["body", "former_partners", i, "french_collectivity_id"], "msg": "not a French one"}
                    )
            partners.append({k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in item.items()})
        values["former_partners"] = partners
    if errors:
        raise _invalid(errors, "Former partners must be French collectivities of the directory.")
    return save_changes(session, response, values, if_match=if_match)


def _find_french(session: Session, name: str) -> uuid.UUID | None:
    """The one French collectivity whose name (or another spelling) is ``name``, folded; else None."""
    rows, _ = collectivities.list_(
        session,
        params=ListParams(limit=50),
        filters={"country": Country.FR},
        tag=None,
        expertise=None,
        interest=None,
        external_ref=None,
        q=name,
    )
    wanted = fold(name)
    hits = [c.id for c in rows if wanted in {fold(c.name), *(fold(a) for a in c.name_alt)}]
    return hits[0] if len(hits) == 1 else None


def _respondent_contact(session: Session, response: CensusResponse) -> uuid.UUID:
    """The collectivity's contact for the respondent: the one with the same e-mail, else a new one whose
    consent date is the answer's (the form's consent box was ticked when it was sent)."""
    answer = ContactAnswer.model_validate(response.contact)
    if not answer.consent:
        raise Conflict(
            "The respondent did not agree on the form to be kept as a contact: validate without adding them."
        )
    if answer.email:
        for consent in (ConsentFilter.given, ConsentFilter.missing):
            rows, _ = contacts.list_(
                session,
                params=ListParams(limit=50),
                collectivity_id=response.collectivity_id,
                active=None,
                q=str(answer.email),
                consent=consent,
            )
            for row in rows:
                if (row.email or "").lower() == str(answer.email).lower():
                    return row.id
    obj = contacts.create(
        session,
        data=ContactCreate(
            collectivity_id=response.collectivity_id,
            full_name=answer.full_name,
            role=answer.role,
            email=answer.email,
            phone=answer.phone,
            languages=[Language(response.language)],
            consent_at=response.submitted_at,
        ),
    )
    return obj.id


def validate(
    session: Session, response: CensusResponse, *, actor: Principal, add_contact: bool = False
) -> CensusResponse:
    """Open the response's draft needs; turn its former partners into dormant partnerships; with
    ``add_contact``, make the respondent a contact of the collectivity (they must have agreed)."""
    _require_submitted(response)
    contact_id = _respondent_contact(session, response) if add_contact else None
    for need in _linked_needs(session, response.id):
        if need.status == NeedStatus.draft:
            needs.update(session, need, changes={"status": NeedStatus.open}, actor=actor, if_match=None)
    campaign = get_campaign(session, response.campaign_id)
    created: list[str] = []
    unresolved: list[str] = []
    for partner in response.former_partners:
        raw = partner.get("french_collectivity_id")
        french_id = uuid.UUID(raw) if raw else _find_french(session, partner["name"])
        if french_id is None:
            unresolved.append(partner["name"])
            continue
        _, existing = partnerships.list_(
            session,
            params=ListParams(limit=0),
            filters={"french_collectivity_id": french_id, "lebanese_collectivity_id": response.collectivity_id},
            collectivity_id=None,
            tag=None,
            q=None,
        )
        if existing:
            continue
        until, since = partner.get("until_year"), partner.get("since_year")
        obj = partnerships.create(
            session,
            data=PartnershipCreate(
                french_collectivity_id=french_id,
                lebanese_collectivity_id=response.collectivity_id,
                status=PartnershipStatus.dormant,
                started_year=since,
                ended_year=until,
                last_activity_year=until,
            ),
            note_key=NoteKey.partnership_census,
            note_params={
                "campaign": campaign.title,
                "campaign_en": campaign.title_en or None,
                "campaign_ar": campaign.title_ar or None,
                "campaign_id": str(campaign.id),
            },
        )
        created.append(str(obj.id))
    return save_changes(
        session,
        response,
        {
            "status": ResponseStatus.validated.value,
            "reviewed_at": utcnow(),
            "reviewed_by": actor.label,
            "partnership_ids": created,
            "unresolved_partners": unresolved,
            "contact_id": contact_id,
        },
    )


def reject(session: Session, response: CensusResponse, *, reason: str, actor: Principal) -> CensusResponse:
    """The response's draft needs are closed (kept, for the record)."""
    _require_submitted(response)
    for need in _linked_needs(session, response.id):
        if need.status == NeedStatus.draft:
            needs.update(session, need, changes={"status": NeedStatus.closed}, actor=actor, if_match=None)
    return save_changes(
        session,
        response,
        {
            "status": ResponseStatus.rejected.value,
            "reviewed_at": utcnow(),
            "reviewed_by": actor.label,
            "rejection_reason": reason or None,
        },
    )
