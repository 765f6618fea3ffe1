"""Proposals: each side is told when one concerns it; unanswered ones are reminded once, then expire.

A proposal waits for an answer while it is ``proposed``, ``shortlisted`` or ``contacted``. Its clock
starts when it entered its status (its last transition, else its creation; a run that merely proposes it
again with a new score does not restart it). After
``proposal_answer_days`` both sides get one reminder; ``proposal_expiry_grace_days`` after that reminder
(and never before the answer days plus the grace), it becomes ``expired`` through the matching service,
so the move is in its history and the next run may propose another candidate.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from jisr.auth.models import Role
from jisr.auth.service import Principal
from jisr.collectivities.geography import lebanon
from jisr.collectivities.models import Collectivity
from jisr.core.config import get_settings
from jisr.core.crud import etag
from jisr.core.db import utcnow
from jisr.core.errors import PreconditionFailed
from jisr.core.notes import NoteKey, NoteParams
from jisr.matching import scoring
from jisr.matching import service as matching
from jisr.matching.models import WAITING, MatchProposal, MatchStatus, MatchTransition
from jisr.needs.models import Need
from jisr.notifications import replacement
from jisr.notifications.service import _contacts, _first, _when, queue
from jisr.notifications.templates import pick_language
from jisr.outbox.models import OutboxItem

log = logging.getLogger("jisr.notifications")

SYSTEM = Principal(
    kind="user", id=uuid.UUID(int=0), role=Role.admin, collectivity_id=None, label="jisr (automatic expiry)"
)
_LANG_INDEX = {"fr": 0, "en": 1, "ar": 2}


def _name(c: Collectivity, lang: str) -> str:
    return c.name_ar if lang == "ar" and c.name_ar else c.name


def _sides(session: Session, p: MatchProposal) -> list[tuple[Collectivity, Collectivity]]:
    """(recipient collectivity, the other side) for the Lebanese side and every French member."""
    lebanese = session.get(Collectivity, p.lebanese_collectivity_id)
    french = [session.get(Collectivity, uuid.UUID(f)) for f in (p.french_collectivity_ids or [])]
    french = [f for f in french if f is not None] or [session.get(Collectivity, p.french_collectivity_id)]
    if lebanese is None:
        return []
    lead = french[0]
    out: list[tuple[Collectivity, Collectivity]] = []
    if lead is not None:
        out.append((lebanese, lead))
    out += [(f, lebanese) for f in french if f is not None]
    return out


def _reasons(session: Session, p: MatchProposal, lang: str, *, labels: dict[str, Any] | None = None) -> str:
    labels = labels if labels is not None else matching._tag_labels(session)
    govs = {g.code: (g.name_fr, g.name_en, g.name_ar) for g in lebanon().values()}
    sentences = [scoring.render(r, labels, govs)[_LANG_INDEX[lang]] for r in p.reasons]
    return " ; ".join(s for s in sentences if s) if lang == "fr" else "; ".join(s for s in sentences if s)


def _tell(session: Session, p: MatchProposal, *, template: str, key: str, deadline: datetime) -> int:
    need = session.get(Need, p.need_id)
    base = get_settings().public_url.rstrip("/")
    queued = 0
    for me, other in _sides(session, p):
        for contact in _contacts(session, me.id):
            lang = pick_language(_first(contact.languages), _first(me.languages))
            queued += queue(
                session,
                to=str(contact.email),
                lang=lang,
                template=template,
                values={
                    "collectivity": _name(me, lang),
                    "other": _name(other, lang),
                    "need": need.title if need else "",
                    "reasons": _reasons(session, p, lang),
                    "deadline": _when(deadline),
                },
                key=key,
                link=f"{base}/matches/{p.id}",
                reminder=template == "proposal_reminder",
            )
    return queued


def _since(session: Session, p: MatchProposal) -> datetime:
    """When the proposal entered its current status."""
    last = session.exec(select(func.max(MatchTransition.at)).where(MatchTransition.proposal_id == p.id)).first()
    return max(p.created_at, last) if last is not None else p.created_at


def _stint(since: datetime) -> str:
    return since.isoformat()


def notify_new(session: Session, *, run_id: uuid.UUID) -> int:
    """Tell both sides of the waiting proposals of a run: one e-mail per recipient address, listing every
    proposal of the run that concerns it (a contact of Tyr with six proposals gets one e-mail, not six).
    A proposal is announced once per stint: one the run left unchanged is not listed again. Returns the
    number of e-mails queued."""
    days = get_settings().proposal_answer_days
    rows = list(
        session.exec(
            select(MatchProposal).where(MatchProposal.run_id == run_id, col(MatchProposal.status).in_(WAITING))
        )
    )
    if not rows:
        return 0
    since = _since_many(session, rows)
    # Announcements are queued at or after their stint began (a worker's clock may run ahead in tests).
    told = _announced(session, after=min(*since.values(), utcnow()) - timedelta(hours=1))
    fresh = [p for p in rows if _mark(p, since[p.id]) not in told]
    if not fresh:
        return 0
    need_titles = {
        n.id: n.title
        for n in session.exec(select(Need).where(col(Need.id).in_({p.need_id for p in fresh})))  # type: ignore[arg-type]
    }
    labels = matching._tag_labels(session)
    base = get_settings().public_url.rstrip("/")
    contacts: dict[uuid.UUID, list[Any]] = {}
    # address -> (contact, [(proposal, recipient collectivity, other side)])
    inbox: dict[str, tuple[Any, list[tuple[MatchProposal, Collectivity, Collectivity]]]] = {}
    for p in sorted(fresh, key=lambda p: (str(p.need_id), p.rank)):
        for me, other in _sides(session, p):
            if me.id not in contacts:
                contacts[me.id] = _contacts(session, me.id)
            for contact in contacts[me.id]:
                address = str(contact.email).lower()
                inbox.setdefault(address, (contact, []))[1].append((p, me, other))
    queued = 0
    for _, (contact, items) in inbox.items():
        me = items[0][1]
        lang = pick_language(_first(contact.languages), _first(me.languages))
        deadline = min(since[p.id] for p, _, _ in items) + timedelta(days=days)
        marks = sorted({_mark(p, since[p.id]) for p, _, _ in items})
        names = sorted({_name(c, lang) for _, c, _ in items})
        if len(items) == 1:
            p, me, other = items[0]
            template = "proposal_new"
            values: dict[str, Any] = {
                "collectivity": _name(me, lang),
                "other": _name(other, lang),
                "need": need_titles.get(p.need_id, ""),
                "reasons": _reasons(session, p, lang, labels=labels),
                "deadline": _when(deadline),
            }
            link: str | None = f"{base}/matches/{p.id}"
        else:
            template = "proposals_new"
            values = {
                "collectivity": ", ".join(names),
                "count": len(items),
                "deadline": _when(deadline),
                "proposals": [
                    (
                        _proposal_line(
                            lang,
                            other=_name(other, lang),
                            need=need_titles.get(p.need_id, ""),
                            reasons=_reasons(session, p, lang, labels=labels),
                            me=_name(me, lang) if len(names) > 1 else None,
                        ),
                        f"{base}/matches/{p.id}",
                    )
                    for p, me, other in items
                ],
            }
            link = None
        queued += queue(
            session,
            to=str(contact.email),
            lang=lang,
            template=template,
            values=values,
            key=f"proposals:{run_id}",
            link=link,
            extra={"announced": marks},
        )
    return queued


_LINE = {
    "fr": "{other} — besoin « {need} ». Pourquoi : {reasons}",
    "en": "{other} — need “{need}”. Why: {reasons}",
    "ar": "{other} — الحاجة «{need}». الأسباب: {reasons}",
}
_FOR = {"fr": "Pour {me} : ", "en": "For {me}: ", "ar": "لـ{me}: "}


def _proposal_line(lang: str, *, other: str, need: str, reasons: str, me: str | None) -> str:
    line = _LINE[lang].format(other=other, need=need, reasons=reasons)
    return _FOR[lang].format(me=me) + line if me else line


def _mark(p: MatchProposal, since: datetime) -> str:
    """What an announcement of this proposal's current stint is recorded as."""
    return f"{p.id}:{_stint(since)}"


def _announced(session: Session, *, after: datetime) -> set[str]:
    """The proposal stints announced since ``after``: listed in a run's e-mails (payload ``announced``)
    or told one by one (key ``email:proposal:<id>:<stint>:<address>``)."""
    out: set[str] = set()
    rows = session.exec(
        select(OutboxItem.idempotency_key, OutboxItem.payload).where(
            col(OutboxItem.created_at) >= after,
            or_(
                col(OutboxItem.idempotency_key).startswith("email:proposals:"),
                col(OutboxItem.idempotency_key).startswith("email:proposal:"),
            ),
        )
    )
    for key, payload in rows:
        if key.startswith("email:proposals:"):
            out.update((payload or {}).get("announced") or [])
        else:
            out.add(key.removeprefix("email:proposal:").rsplit(":", 1)[0])
    return out


def _since_many(session: Session, rows: list[MatchProposal]) -> dict[uuid.UUID, datetime]:
    """``_since`` of many proposals, one query per thousand."""
    last: dict[uuid.UUID, datetime] = {}
    ids = [p.id for p in rows]
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        stmt = (
            select(MatchTransition.proposal_id, func.max(MatchTransition.at))
            .where(col(MatchTransition.proposal_id).in_(chunk))
            .group_by(col(MatchTransition.proposal_id))
        )
        last.update({pid: at for pid, at in session.exec(stmt)})
    return {p.id: max(p.created_at, last[p.id]) if p.id in last else p.created_at for p in rows}


def announce(session: Session, p: MatchProposal, *, answer_days: int) -> int:
    """Tell both sides of one waiting proposal (once per proposal and stint)."""
    since = _since(session, p)
    return _tell(
        session,
        p,
        template="proposal_new",
        key=f"proposal:{p.id}:{_stint(since)}",
        deadline=since + timedelta(days=answer_days),
    )


@dataclass
class ExpiryStats:
    reminded: int = 0
    expired: int = 0
    replaced: int = 0  # expired proposals whose place went to the next candidate


def remind_and_expire(session: Session, *, now: datetime | None = None) -> ExpiryStats:
    """The worker's pass over unanswered proposals (``now``: the clock, for tests). Flushes, never commits."""
    now = now or utcnow()
    settings = get_settings()
    answer = timedelta(days=settings.proposal_answer_days)
    grace = timedelta(days=settings.proposal_expiry_grace_days)
    stats = ExpiryStats()
    due = session.exec(
        select(MatchProposal)
        .where(col(MatchProposal.status).in_(WAITING), col(MatchProposal.created_at) <= now - answer)
        .order_by(col(MatchProposal.created_at))
    )
    for p in list(due):
        since = _since(session, p)
        if now < since + answer:
            continue
        prefix = f"email:proposal-reminder:{p.id}:{_stint(since)}:"
        reminded_at = session.exec(
            select(OutboxItem.created_at).where(col(OutboxItem.idempotency_key).startswith(prefix)).limit(1)
        ).first()
        if reminded_at is None:
            queued = _tell(
                session,
                p,
                template="proposal_reminder",
                key=f"proposal-reminder:{p.id}:{_stint(since)}",
                deadline=max(now, since + answer) + grace,
            )
            if queued:
                stats.reminded += 1
                continue
            reminded_at = since + answer  # nobody to remind: the grace still applies
        if now >= since + answer + grace and now >= reminded_at + grace:
            days = settings.proposal_answer_days
            key = NoteKey.expired
            params: NoteParams = {"days": days}
            nxt = replacement.choose(session, p, now=now)
            if nxt is not None:
                key = NoteKey.expired_replaced
                params.update(nxt[1], proposal_id=str(nxt[0].id))
            try:
                with session.begin_nested():  # an answer given since this pass read the proposal wins
                    matching.transition(
                        session,
                        p,
                        to=MatchStatus.expired,
                        note="",
                        note_key=key,
                        note_params=params,
                        actor=SYSTEM,
                        if_match=etag(p),
                    )
            except PreconditionFailed:
                continue
            stats.expired += 1
            if nxt is not None:
                session.add(nxt[0])
                session.flush()
                announce(session, nxt[0], answer_days=days)
                stats.replaced += 1
    session.flush()
    return stats


def run_due(*, now: datetime | None = None) -> ExpiryStats:
    """One worker pass in its own transaction (``jisr worker`` calls it before sending the outbox)."""
    from jisr.core.db import new_session

    try:
        with new_session() as session:
            stats = remind_and_expire(session, now=now)
            session.commit()
    except Exception:  # the worker goes on sending the outbox; the next pass tries again
        log.exception("reminders and expiry of proposals failed")
        return ExpiryStats()
    return stats
