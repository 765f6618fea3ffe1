"""The weekly digest to coordinators and admins: what needs them, without opening Jisr.

Sent once per ISO week per user (idempotency key ``digest:<year>-W<week>:<user id>``), from
``digest_weekday`` at ``digest_hour_utc`` on (a worker down on that day sends it at its next pass of the
week), to active admin and coordinator accounts in their language, unless their address opted out of
reminders. An empty section says so ("nothing new") rather than the digest being skipped: a digest that
arrives every week tells its reader that nothing was missed, and a missing one would look like a fault.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from jisr.auth.models import Role, User
from jisr.collectivities.models import Collectivity
from jisr.core.config import get_settings
from jisr.matching.models import WAITING, MatchProposal, MatchStatus
from jisr.needs.models import Need, NeedStatus
from jisr.notifications import unsubscribe
from jisr.notifications.proposals import _since
from jisr.notifications.service import queue
from jisr.notifications.templates import LIST_LIMIT, pick_language
from jisr.outbox.models import OutboxItem
from jisr.partnerships.models import Partnership, PartnershipStatus

NEW_NEEDS_DAYS = 7
EXPIRING_DAYS = 3
APPROACHED = sorted(WAITING | {MatchStatus.accepted, MatchStatus.meeting_scheduled})
"""A dormant partnership is "approached" when a proposal between its two sides is waiting or accepted."""

ROLE = {
    "fr": {"admin": "administrateur ou administratrice", "coordinator": "coordinateur ou coordinatrice"},
    "en": {"admin": "an administrator", "coordinator": "a coordinator"},
    "ar": {"admin": "من المسؤولين", "coordinator": "من المنسقين"},
}
STATUS = {
    "fr": {"proposed": "proposée", "shortlisted": "présélectionnée", "contacted": "contactée"},
    "en": {"proposed": "proposed", "shortlisted": "shortlisted", "contacted": "contacted"},
    "ar": {"proposed": "مقترحة", "shortlisted": "في القائمة المختصرة", "contacted": "تم التواصل"},
}
SINCE = {"fr": "depuis le", "en": "since", "ar": "منذ"}
UNTIL = {"fr": "expire le", "en": "expires on", "ar": "تنتهي في"}
LAST = {"fr": "dernière activité", "en": "last activity", "ar": "آخر نشاط"}


def week_of(now: datetime) -> str:
    iso = now.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@dataclass
class Facts:
    """What the digest says, the same for every reader; rendered per language by ``lines``."""

    new_needs: list[Need] = field(default_factory=list)
    new_needs_count: int = 0
    waiting: list[tuple[MatchProposal, datetime]] = field(default_factory=list)
    waiting_count: int = 0
    expiring: list[tuple[MatchProposal, datetime]] = field(default_factory=list)
    dormant: list[Partnership] = field(default_factory=list)
    names: dict[uuid.UUID, Collectivity] = field(default_factory=dict)
    titles: dict[uuid.UUID, str] = field(default_factory=dict)


def _deadline(session: Session, p: MatchProposal, since: datetime) -> datetime:
    """When the worker will expire it (see ``proposals.remind_and_expire``)."""
    settings = get_settings()
    answer = timedelta(days=settings.proposal_answer_days)
    grace = timedelta(days=settings.proposal_expiry_grace_days)
    prefix = f"email:proposal-reminder:{p.id}:{since.isoformat()}:"
    reminded = session.exec(
        select(OutboxItem.created_at).where(col(OutboxItem.idempotency_key).startswith(prefix, autoescape=True))
    ).first()
    due = since + answer + grace
    return max(due, reminded + grace) if reminded is not None else due


def gather(session: Session, *, now: datetime) -> Facts:
    facts = Facts()
    recent = select(Need).where(
        col(Need.created_at) > now - timedelta(days=NEW_NEEDS_DAYS), Need.status != NeedStatus.draft
    )
    facts.new_needs_count = session.exec(select(func.count()).select_from(recent.subquery())).one()
    facts.new_needs = list(session.exec(recent.order_by(col(Need.created_at).desc()).limit(LIST_LIMIT + 1)))

    waiting = select(MatchProposal).where(col(MatchProposal.status).in_(WAITING))
    facts.waiting_count = session.exec(select(func.count()).select_from(waiting.subquery())).one()
    oldest = session.exec(waiting.order_by(col(MatchProposal.created_at)).limit(LIST_LIMIT + 1))
    facts.waiting = [(p, _since(session, p)) for p in oldest]
    settings = get_settings()
    earliest = timedelta(days=settings.proposal_answer_days + settings.proposal_expiry_grace_days - EXPIRING_DAYS)
    soon = session.exec(waiting.where(col(MatchProposal.created_at) <= now - earliest))
    for p in soon:
        deadline = _deadline(session, p, _since(session, p))
        if now < deadline <= now + timedelta(days=EXPIRING_DAYS):
            facts.expiring.append((p, deadline))
    facts.expiring.sort(key=lambda t: (t[1], str(t[0].id)))

    approached: set[tuple[uuid.UUID, str]] = set()
    for lb, french in session.exec(
        select(MatchProposal.lebanese_collectivity_id, MatchProposal.french_collectivity_ids).where(
            col(MatchProposal.status).in_(APPROACHED)
        )
    ):
        approached.update((lb, f) for f in french)
    dormant = session.exec(
        select(Partnership)
        .where(Partnership.status == PartnershipStatus.dormant)
        .order_by(col(Partnership.last_activity_year).desc(), col(Partnership.id))
    )
    facts.dormant = [
        p for p in dormant if (p.lebanese_collectivity_id, str(p.french_collectivity_id)) not in approached
    ]

    ids: set[uuid.UUID] = {n.collectivity_id for n in facts.new_needs}
    for p, _ in facts.waiting + facts.expiring:
        ids.add(p.lebanese_collectivity_id)
        ids.update(uuid.UUID(f) for f in p.french_collectivity_ids)
    for d in facts.dormant[: LIST_LIMIT + 1]:
        ids.update((d.french_collectivity_id, d.lebanese_collectivity_id))
    if ids:
        facts.names = {c.id: c for c in session.exec(select(Collectivity).where(col(Collectivity.id).in_(ids)))}
    need_ids = {p.need_id for p, _ in facts.waiting + facts.expiring}
    if need_ids:
        facts.titles = dict(session.exec(select(Need.id, Need.title).where(col(Need.id).in_(need_ids))).all())
    return facts


def _name(facts: Facts, cid: uuid.UUID, lang: str) -> str:
    c = facts.names.get(cid)
    if c is None:
        return "?"
    return c.name_ar if lang == "ar" and c.name_ar else c.name


def _pair(facts: Facts, p: MatchProposal, lang: str) -> str:
    french = ", ".join(_name(facts, uuid.UUID(f), lang) for f in p.french_collectivity_ids)
    return f"{facts.titles.get(p.need_id, '')} — {_name(facts, p.lebanese_collectivity_id, lang)} ↔ {french}"


def lines(facts: Facts, lang: str) -> dict[str, object]:
    """The template values of the digest in ``lang``."""
    day = "%Y-%m-%d"
    return {
        "new_needs_count": facts.new_needs_count,
        "new_needs": [
            f"{n.title} — {_name(facts, n.collectivity_id, lang)} ({n.created_at:{day}})" for n in facts.new_needs
        ],
        "waiting_count": facts.waiting_count,
        "waiting": [
            f"{_pair(facts, p, lang)} ({STATUS[lang].get(p.status, p.status)}, {SINCE[lang]} {since:{day}})"
            for p, since in facts.waiting
        ],
        "expiring_days": EXPIRING_DAYS,
        "expiring_count": len(facts.expiring),
        "expiring": [f"{_pair(facts, p, lang)} ({UNTIL[lang]} {d:{day}})" for p, d in facts.expiring],
        "dormant_count": len(facts.dormant),
        "dormant": [
            f"{_name(facts, d.french_collectivity_id, lang)} ↔ {_name(facts, d.lebanese_collectivity_id, lang)}"
            + (f" ({LAST[lang]} {d.last_activity_year})" if d.last_activity_year else "")
            for d in facts.dormant
        ],
    }


def weekly_digests(session: Session, *, now: datetime) -> int:
    """Queue this week's digest for every staff account that has not had it. Returns e-mails queued."""
    settings = get_settings()
    iso = now.isocalendar()
    if (iso.weekday, now.hour) < (settings.digest_weekday, settings.digest_hour_utc):
        return 0
    week = week_of(now)
    prefix = f"email:digest:{week}:"
    done = {
        key[len(prefix) :].split(":", 1)[0]
        for key in session.exec(
            select(OutboxItem.idempotency_key).where(col(OutboxItem.idempotency_key).startswith(prefix))
        )
    }
    users = [
        u
        for u in session.exec(
            select(User)
            .where(col(User.is_active).is_(True), col(User.role).in_([Role.admin.value, Role.coordinator.value]))
            .order_by(col(User.email))
        )
        if str(u.id) not in done
    ]
    stopped = unsubscribe.opted_out(session, [u.email for u in users])
    users = [u for u in users if u.email.lower() not in stopped]
    if not users:
        return 0
    facts = gather(session, now=now)
    base = get_settings().public_url.rstrip("/")
    queued = 0
    for user in users:
        lang = pick_language(str(user.language) if user.language else None)
        role = Role(user.role).value
        queued += queue(
            session,
            to=user.email,
            lang=lang,
            template="weekly_digest",
            values={"name": user.full_name or user.email, "week": week, "role": ROLE[lang][role], **lines(facts, lang)},
            key=f"digest:{week}:{user.id}",
            link=f"{base}/",
            reminder=True,
        )
    return queued
