"""Matching runs, proposals and their workflow.

A run reads the directory, needs, offers, partnerships and tags in a handful of set-based queries,
scores every (open request, French collectivity) pair at once (``scoring``), allocates proposals
globally under the run's caps (``allocation``) and writes them in bulk.

What a run does to existing proposals of the needs it covers:

* ``proposed`` ones are replaced: a pair proposed again keeps its row (same id, new score, rank,
  reasons and run); a pair no longer proposed is deleted.
* ``shortlisted``, ``contacted``, ``accepted``, ``meeting_scheduled`` ones are being worked on: left
  as they are, they take their need's and their French collectivities' places under the caps.
* ``declined`` / ``rejected`` pairs (Lebanese and French collectivity, whatever the need) are not
  proposed again unless the run sets ``include_declined``; an ``expired`` pair (nobody answered; the
  worker offered its place to the next candidate) is not proposed again for the same need, though a
  coordinator may move it back to ``proposed``.
"""

import contextlib
import gc
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, String, cast, delete, insert, or_, true, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from jisr.audit import service as audit
from jisr.auth.models import Role
from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.geography import lebanon
from jisr.collectivities.models import Collectivity, Country
from jisr.core.crud import get_or_404, save_changes
from jisr.core.db import utcnow
from jisr.core.errors import Conflict, Forbidden, Invalid
from jisr.core.notes import NoteKey, NoteParams
from jisr.core.notes import note as system_note
from jisr.core.pagination import ListParams, paginate
from jisr.matching import allocation, scoring
from jisr.matching.models import (
    LIVE,
    MEMBER_MOVES,
    REFUSED,
    TRANSITIONS,
    ComparisonItem,
    HistoryEntry,
    MatchKind,
    MatchProposal,
    MatchPublic,
    MatchRun,
    MatchRunCreate,
    MatchRunEntry,
    MatchRunPublic,
    MatchStatus,
    MatchTransition,
    Reason,
    RunComparison,
    RunStatus,
    pair_key,
)
from jisr.needs import service as needs
from jisr.needs.models import Direction, Need, NeedStatus
from jisr.partnerships import service as partnerships
from jisr.partnerships.models import Partnership, PartnershipCreate, PartnershipStatus
from jisr.tags import service as tags
from jisr.tags.models import Relation, TagLink, ThematicTag
from jisr.webhooks import service as webhooks
from jisr.webhooks.models import WebhookEvent

SORTABLE = {
    "need_id": MatchProposal.need_id,
    "rank": MatchProposal.rank,
    "score": MatchProposal.score,
    "status": MatchProposal.status,
    "created_at": MatchProposal.created_at,
    "updated_at": MatchProposal.updated_at,
}
RUN_SORTABLE = {"created_at": MatchRun.created_at, "updated_at": MatchRun.updated_at}
POOL_CANDIDATES = 10  # best candidates of a need considered for pools
# Per unit of top_k: each need's best candidates the allocation starts from, and those scored and
# kept in reserve (priced each round, enter when they would raise the total; deep enough that the
# bound on the rest rarely asks for a need's whole row: at 40,000 French the deepest a price reached
# was ~270).
KEEP_PER_TOP_K = 6
RESERVE_PER_TOP_K = 60
BATCH = 2000


def columns(*cols: Any) -> Any:
    """SELECT of several columns (SQLModel's ``select`` types at most four)."""
    return sa_select(*cols)


# --- reading the other domains --------------------------------------------------------------------


@dataclass
class Loaded:
    inp: scoring.ScoringInput
    french_ids: list[uuid.UUID]
    lebanese_ids: list[uuid.UUID]
    need_ids: list[uuid.UUID]
    french_index: dict[uuid.UUID, int]
    lebanese_index: dict[uuid.UUID, int]
    need_index: dict[uuid.UUID, int]
    regions: list[str | None] = field(default_factory=list)


def _open_requests(need_ids: list[uuid.UUID] | None) -> Any:
    lebanese = select(Collectivity.id).where(Collectivity.country == Country.LB)
    stmt = select(Need.id, Need.collectivity_id, Need.estimated_budget_eur).where(
        Need.direction == Direction.request,
        Need.status == NeedStatus.open,
        col(Need.collectivity_id).in_(lebanese),
    )
    if need_ids is not None:
        stmt = stmt.where(col(Need.id).in_(need_ids))
    return stmt


def _has_themes() -> Any:
    """French collectivities that may have a theme: expertise tags, an open offer or a partnership."""
    return or_(
        col(Collectivity.id).in_(
            select(TagLink.resource_id).where(
                TagLink.resource_type == collectivities.RESOURCE, TagLink.relation == Relation.expertise
            )
        ),
        col(Collectivity.id).in_(
            select(Need.collectivity_id).where(Need.direction == Direction.offer, Need.status == NeedStatus.open)
        ),
        col(Collectivity.id).in_(select(Partnership.french_collectivity_id)),
    )


def _check_need_ids(session: Session, need_ids: list[uuid.UUID]) -> None:
    found = {row[0] for row in session.execute(_open_requests(need_ids))}
    bad = [(i, n) for i, n in enumerate(need_ids) if n not in found]
    if bad:
        raise Invalid(
            "need_ids must name open requests of Lebanese collectivities: "
            + ", ".join(str(n) for _, n in bad[:20])
            + (" …" if len(bad) > 20 else ""),
            errors=[{"loc": ["body", "need_ids", i], "msg": "not an open request"} for i, _ in bad[:100]],
        )


def _links(
    session: Session, resource_type: str, relation: Relation, ids_stmt: Any = None
) -> dict[uuid.UUID, list[uuid.UUID]]:
    stmt = select(TagLink.resource_id, TagLink.tag_id).where(
        TagLink.resource_type == resource_type, TagLink.relation == relation
    )
    if ids_stmt is not None:
        stmt = stmt.where(col(TagLink.resource_id).in_(ids_stmt))
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for rid, tid in session.execute(stmt):
        out[rid].append(tid)
    return out


def as_text(column: Any) -> Any:
    """A JSON column read as its text: a directory has few distinct lists (languages, governorates),
    so parsing each distinct text once (:func:`text_set`) beats the driver's parse per row."""
    return cast(column, String)


_TEXT_SETS: dict[str, frozenset[str]] = {}


def text_set(text: str | None) -> frozenset[str]:
    """The strings of a JSON list given as text (None or null: empty), parsed once per distinct text."""
    if not text:
        return frozenset()
    found = _TEXT_SETS.get(text)
    if found is None:
        if len(_TEXT_SETS) > 10_000:
            _TEXT_SETS.clear()
        found = _TEXT_SETS[text] = frozenset(json.loads(text) or ())
    return found


def load(session: Session, need_ids: list[uuid.UUID] | None, *, every_french: bool = False) -> Loaded:
    """Everything the scorer needs, in a fixed order (by id) so that runs are reproducible.

    French collectivities without any tag (no expertise, no open offer, no partnership) are left out
    unless ``every_french``: their theme value is 0 with every need, so they are never proposed (three
    quarters of the benchmark's 40,000)."""
    tag_rows = session.execute(
        columns(
            ThematicTag.id, ThematicTag.parent_id, ThematicTag.label_fr, ThematicTag.label_en, ThematicTag.label_ar
        ).order_by(ThematicTag.id)
    ).all()
    tag_index = {r[0]: i for i, r in enumerate(tag_rows)}
    tag_list = [scoring.Tag(r[0], tag_index.get(r[1], -1) if r[1] else -1, r[2], r[3], r[4]) for r in tag_rows]

    empty: frozenset[int] = frozenset()

    def tag_set(ids: Iterable[uuid.UUID] | None) -> frozenset[int]:
        return frozenset(tag_index[t] for t in ids if t in tag_index) if ids else empty

    expertise = _links(session, collectivities.RESOURCE, Relation.expertise)
    open_needs = select(Need.id).where(Need.status == NeedStatus.open)
    need_tags = _links(session, needs.RESOURCE, Relation.tag, open_needs)
    offers: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for nid, cid in session.execute(
        select(Need.id, Need.collectivity_id).where(Need.direction == Direction.offer, Need.status == NeedStatus.open)
    ):
        offers[cid].update(need_tags.get(nid, ()))

    fr_rows = session.execute(
        columns(
            Collectivity.id,
            Collectivity.name,
            Collectivity.kind,
            Collectivity.population,
            Collectivity.capacity,
            Collectivity.region,
            as_text(Collectivity.preferred_governorates),
            as_text(Collectivity.languages),
        )
        .where(Collectivity.country == Country.FR, true() if every_french else _has_themes())
        .order_by(Collectivity.id)
    ).all()
    french = [
        scoring.French(
            id=r[0],
            name=r[1],
            kind=r[2],
            population=r[3],
            capacity=r[4],
            region=r[5],
            preferred_governorates=text_set(r[6]),
            languages=text_set(r[7]),
            expertise=tag_set(expertise.get(r[0])),
            offers=tag_set(offers.get(r[0])),
        )
        for r in fr_rows
    ]
    lb_rows = session.execute(
        columns(
            Collectivity.id,
            Collectivity.name,
            Collectivity.kind,
            Collectivity.population,
            Collectivity.governorate,
            as_text(Collectivity.languages),
        )
        .where(Collectivity.country == Country.LB)
        .order_by(Collectivity.id)
    ).all()
    lebanese = [
        scoring.Lebanese(id=r[0], name=r[1], kind=r[2], population=r[3], governorate=r[4], languages=text_set(r[5]))
        for r in lb_rows
    ]
    fr_index = {c.id: i for i, c in enumerate(french)}
    lb_index = {c.id: i for i, c in enumerate(lebanese)}

    need_rows = sorted(session.execute(_open_requests(need_ids)).all(), key=lambda r: r[0])
    need_list = [
        scoring.NeedIn(
            id=r[0],
            lebanese=lb_index[r[1]],
            tags=tuple(sorted(tag_set(need_tags.get(r[0])))),
            estimated_budget_eur=r[2],
        )
        for r in need_rows
    ]
    p_rows = session.execute(
        columns(
            Partnership.id,
            Partnership.french_collectivity_id,
            Partnership.lebanese_collectivity_id,
            Partnership.status,
            Partnership.started_year,
            Partnership.ended_year,
            Partnership.last_activity_year,
        ).order_by(Partnership.id)
    ).all()
    p_tags = tags.links_for(session, partnerships.RESOURCE, [r[0] for r in p_rows])
    plist = [
        scoring.PartnershipIn(
            french=fr_index[r[1]],
            lebanese=lb_index[r[2]],
            status=r[3],
            tags=tag_set(p_tags.get((r[0], Relation.tag.value))),
            started_year=r[4],
            ended_year=r[5],
            last_activity_year=r[6],
        )
        for r in p_rows
        if r[1] in fr_index and r[2] in lb_index
    ]
    govs = {g.code: (g.name_fr, g.name_en, g.name_ar) for g in lebanon().values()}
    inp = scoring.ScoringInput(tag_list, french, lebanese, need_list, plist, govs)
    return Loaded(
        inp=inp,
        french_ids=[c.id for c in french],
        lebanese_ids=[c.id for c in lebanese],
        need_ids=[n.id for n in need_list],
        french_index=fr_index,
        lebanese_index=lb_index,
        need_index={n.id: i for i, n in enumerate(need_list)},
        regions=[c.region for c in french],
    )


# --- a run ------------------------------------------------------------------------------------------


@dataclass
class Existing:
    id: uuid.UUID
    need_id: uuid.UUID
    pair_key: str
    status: MatchStatus
    score: float
    rank: int
    french: list[uuid.UUID]
    lebanese: uuid.UUID
    version: int


def _existing(session: Session, need_ids: list[uuid.UUID] | None) -> list[Existing]:
    covered = select(_open_requests(need_ids).subquery().c.id)
    rows = session.execute(
        columns(
            MatchProposal.id,
            MatchProposal.need_id,
            MatchProposal.pair_key,
            MatchProposal.status,
            MatchProposal.score,
            MatchProposal.rank,
            MatchProposal.french_collectivity_ids,
            MatchProposal.lebanese_collectivity_id,
            MatchProposal.version,
        ).where(or_(col(MatchProposal.status) != MatchStatus.proposed, col(MatchProposal.need_id).in_(covered)))
    )
    return [
        Existing(r[0], r[1], r[2], MatchStatus(r[3]), r[4], r[5], [uuid.UUID(x) for x in r[6]], r[7], r[8])
        for r in rows
    ]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off, then back on if it was. A run allocates millions of small
    objects (rows, candidates, reasons) and leaves no cycle worth collecting midway; the collections
    it triggered scanned the whole heap each time: ~1.2 s of a 6 s run on France's directory. Process
    wide: other requests skip cycle collection for those seconds too (reference counting still frees
    the rest)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def run(
    session: Session,
    *,
    data: MatchRunCreate,
    actor: Principal,
    timings: dict[str, float] | None = None,
    run_obj: MatchRun | None = None,
) -> MatchRun:
    """One matching run (see the module's docstring). ``timings`` receives seconds per phase.
    ``run_obj``: the queued run to fill (the worker's job); a new row when absent."""
    with _gc_paused():
        return _run(session, data=data, actor=actor, timings=timings, run_obj=run_obj)


def check(session: Session, data: MatchRunCreate) -> dict[str, float]:
    """What makes a run's request invalid (422), checked before it is queued. Returns the weights."""
    try:
        weights = scoring.normalise_weights(dict(data.weights))
    except ValueError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["body", "weights"], "msg": str(exc)}]) from exc
    if data.need_ids is not None:
        _check_need_ids(session, data.need_ids)
    return weights


def queue(session: Session, *, data: MatchRunCreate, actor: Principal) -> MatchRun:
    """Store a run `queued` for the worker (after ``check``); the worker fills it in (``jisr.matching.jobs``)."""
    check(session, data)
    obj = MatchRun(
        weights=dict(data.weights),
        top_k=data.top_k,
        max_per_french_collectivity=data.max_per_french_collectivity,
        need_ids=[str(n) for n in data.need_ids] if data.need_ids is not None else None,
        include_declined=data.include_declined,
        created_by=actor.label,
        created_by_id=actor.id,
        status=RunStatus.queued.value,
    )
    session.add(obj)
    session.flush()
    return obj


def _run(
    session: Session,
    *,
    data: MatchRunCreate,
    actor: Principal,
    timings: dict[str, float] | None,
    run_obj: MatchRun | None,
) -> MatchRun:
    started = time.perf_counter()
    weights = check(session, data)
    loaded = load(session, data.need_ids)
    inp = loaded.inp
    existing = _existing(session, data.need_ids)

    # What earlier proposals mean for this run.
    live_fr_count: dict[int, int] = defaultdict(int)
    live_need: dict[int, list[Existing]] = defaultdict(list)
    blocked_fr: dict[int, set[int]] = defaultdict(set)  # per need: French sides already in a live/formed proposal
    refused: set[tuple[int, int]] = set()
    reusable: dict[tuple[uuid.UUID, str], Existing] = {}
    for e in existing:
        members = [loaded.french_index[f] for f in e.french if f in loaded.french_index]
        n = loaded.need_index.get(e.need_id)
        if e.status in LIVE:
            for f in members:
                live_fr_count[f] += 1
        if n is not None and (e.status in LIVE or e.status == MatchStatus.partnership_formed):
            blocked_fr[n].update(members)
            if e.status in LIVE:
                live_need[n].append(e)
        if n is not None and e.status == MatchStatus.expired:  # unanswered: not proposed again (issue 8)
            blocked_fr[n].update(members)
        if e.status in REFUSED and not data.include_declined:
            lb = loaded.lebanese_index.get(e.lebanese)
            if lb is not None:
                refused.update((lb, f) for f in members)
        if n is not None and (
            e.status == MatchStatus.proposed or e.status == MatchStatus.expired or e.status in REFUSED
        ):
            reusable[(e.need_id, e.pair_key)] = e
    inp.excluded_pairs = frozenset(refused)
    read_done = time.perf_counter()

    top_k, cap = data.top_k, data.max_per_french_collectivity
    need_cap = {n: max(0, top_k - len(live_need.get(n, []))) for n in range(len(inp.needs))}
    prep = scoring.Prepared(inp)
    plan = allocation.plan(
        prep,
        weights,
        top_k=top_k,
        need_cap=need_cap,
        french_cap={f: max(0, cap - live_fr_count.get(f, 0)) for f in range(len(inp.french))},
        blocked=blocked_fr,
        keep=KEEP_PER_TOP_K * top_k,
        reserve=RESERVE_PER_TOP_K * top_k,
        pool_candidates=POOL_CANDIDATES,
    )
    planned = time.perf_counter()
    stored = _store(
        session,
        data=data,
        actor=actor,
        weights=weights,
        loaded=loaded,
        prep=prep,
        chosen=plan.chosen,
        live_need=live_need,
        reusable=reusable,
        optimal=plan.optimal,
        gap=0.0 if plan.optimal else plan.gap,
        started=started,
        scored_pairs=plan.scored_pairs,
        run_obj=run_obj,
    )
    if timings is not None:
        timings.update(
            read=read_done - started,
            score=plan.timings["score"],
            allocate=plan.timings["allocate"],
            rounds=plan.rounds,
            store=time.perf_counter() - planned,
        )
    return stored


def _reasons(
    scorer: scoring.PairScorer, inp: scoring.ScoringInput, n: int, members: tuple[int, ...], weights: dict[str, float]
) -> list[dict[str, Any]]:
    per_member = [scoring.explain(scorer, n, f) for f in members]
    out: list[dict[str, Any]] = []
    for k, factor in enumerate(scoring.FACTORS):
        if len(members) == 1:
            r = per_member[0][k]
            out.append({**r, "weight": round(weights[factor], 6), "value": round(r["value"], 6)})
        else:
            subs = [
                {"name": inp.french[f].name, "code": pm[k]["code"], "params": pm[k]["params"], "value": pm[k]["value"]}
                for f, pm in zip(members, per_member, strict=True)
            ]
            value = sum(s["value"] for s in subs) / len(subs)
            out.append(
                {
                    "factor": factor,
                    "weight": round(weights[factor], 6),
                    "value": round(value, 6),
                    "code": "pool",
                    "params": {"members": subs},
                }
            )
    if len(members) > 1:
        out.append(
            {
                "factor": "pooling",
                "weight": 0.0,
                "value": 1.0,
                "code": "pool_bonus",
                "params": {"count": len(members), "region": inp.french[members[0]].region},
            }
        )
    return out


def _copy_escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_text(value: Any, is_json: bool) -> str:
    """One value in COPY's text format (NULL is ``\\N``; backslash, tab, newline, CR escaped). JSON
    columns get ``json.dumps`` of the value: the same text psycopg's ``Json`` would send."""
    if value is None:
        return "\\N"
    if is_json:
        return _copy_escape(json.dumps(value))
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return _copy_escape(value)
    return str(value)  # UUID, int, float


class _Rows:
    """Rows streamed into one table (all with the same keys), ``with _Rows(session, table) as rows:
    rows.add(row)``. On PostgreSQL a ``COPY … FROM STDIN`` on the session's own connection and
    transaction, open while the rows are built: each block of ``BATCH`` rows goes out in COPY's text
    format (built here: psycopg's per-row ``write_row`` and ``Json`` cost more) and the server stores it
    while the next is built. Nothing else may use the session meanwhile. Elsewhere executemany INSERTs."""

    def __init__(self, session: Session, table: Any):
        self.session, self.table = session, table
        self.pending: list[dict[str, Any]] = []
        self.count = 0
        self.kinds: list[tuple[str, bool]] | None = None
        self.stack = contextlib.ExitStack()
        self.copy: Any = None

    def __enter__(self) -> "_Rows":
        return self

    def add(self, row: dict[str, Any]) -> None:
        self.pending.append(row)
        self.count += 1
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            self.session.execute(insert(self.table), rows)
            return
        if self.kinds is None:
            names = list(rows[0])
            self.kinds = [(n, isinstance(self.table.c[n].type, JSON)) for n in names]
            raw = self.session.connection().connection.driver_connection
            assert raw is not None  # a live psycopg connection while the session's transaction is open
            cols = ", ".join(f'"{n}"' for n in names)
            cur = self.stack.enter_context(raw.cursor())
            self.copy = self.stack.enter_context(cur.copy(f'COPY "{self.table.name}" ({cols}) FROM STDIN'))
        kinds = self.kinds
        self.copy.write("".join("\t".join([_copy_text(row[n], j) for n, j in kinds]) + "\n" for row in rows))

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        with self.stack:
            if kind is None:
                self.flush()


def _store(
    session: Session,
    *,
    data: MatchRunCreate,
    actor: Principal,
    weights: dict[str, float],
    loaded: Loaded,
    prep: scoring.Prepared,
    chosen: list[allocation.Planned],
    live_need: dict[int, list[Existing]],
    reusable: dict[tuple[uuid.UUID, str], Existing],
    optimal: bool,
    gap: float,
    started: float,
    scored_pairs: int,
    run_obj: MatchRun | None,
) -> MatchRun:
    inp = loaded.inp
    earlier = select(MatchRun.id).where(col(MatchRun.status) == RunStatus.done.value)
    if run_obj is not None:
        earlier = earlier.where(col(MatchRun.id) != run_obj.id)
    previous = session.execute(earlier.order_by(col(MatchRun.created_at).desc()).limit(1)).scalar()
    if run_obj is None:
        run_obj = MatchRun(
            top_k=data.top_k,
            max_per_french_collectivity=data.max_per_french_collectivity,
            need_ids=[str(n) for n in data.need_ids] if data.need_ids is not None else None,
            include_declined=data.include_declined,
            created_by=actor.label,
            created_by_id=actor.id,
            started_at=utcnow(),
        )
    run_obj.weights = {k: round(v / sum(weights.values()), 6) for k, v in weights.items()}
    run_obj.previous_run_id = previous
    run_obj.covered_need_ids = [str(n) for n in loaded.need_ids]
    run_obj.status = RunStatus.done.value
    run_obj.finished_at = utcnow()
    session.add(run_obj)
    session.flush()

    scorer = prep.scorer
    now = utcnow()
    by_need: dict[int, list[tuple[float, str, allocation.Planned | Existing]]] = defaultdict(list)
    for e in chosen:
        fr_ids = [loaded.french_ids[f] for f in e.members]
        by_need[e.need].append((e.score, pair_key(fr_ids), e))
    for n, lives in live_need.items():
        for ex in lives:
            by_need[n].append((ex.score, ex.pair_key, ex))

    created = _Rows(session, MatchProposal.__table__)  # type: ignore[attr-defined]
    updates: list[dict[str, Any]] = []
    rank_updates: list[dict[str, Any]] = []
    reopened: list[tuple[uuid.UUID, MatchStatus]] = []
    entries: list[dict[str, Any]] = []
    kept_ids: set[uuid.UUID] = set()
    proposal_count = pooled = unfilled = 0
    with created:  # the new proposals go out while the next are built
        for n in range(len(inp.needs)):
            items = sorted(by_need.get(n, []), key=lambda t: (-t[0], t[1]))
            if len(items) < data.top_k:
                unfilled += 1
            need_id = loaded.need_ids[n]
            lb_id = loaded.lebanese_ids[inp.needs[n].lebanese]
            for rank, (score, key, item) in enumerate(items, start=1):
                if isinstance(item, Existing):
                    kept_ids.add(item.id)
                    if item.rank != rank:
                        rank_updates.append(
                            {"id": item.id, "rank": rank, "updated_at": now, "version": item.version + 1}
                        )
                    fr_strs = [str(f) for f in item.french]
                else:
                    proposal_count += 1
                    pooled += len(item.members) > 1
                    fr_ids = [loaded.french_ids[f] for f in item.members]
                    fr_strs = [str(f) for f in fr_ids]
                    relaunch = any(scorer.is_relaunch(n, f) for f in item.members)
                    values = {
                        "score": round(min(1.0, max(0.0, score)), 6),
                        "rank": rank,
                        "reasons": _reasons(scorer, inp, n, item.members, weights),
                        "kind": MatchKind.relaunch if relaunch else MatchKind.new,
                        "run_id": run_obj.id,
                        "updated_at": now,
                    }
                    old = reusable.get((need_id, key))
                    if old is not None:
                        kept_ids.add(old.id)
                        updates.append(
                            {"id": old.id, **values, "status": MatchStatus.proposed, "version": old.version + 1}
                        )
                        if old.status != MatchStatus.proposed:
                            reopened.append((old.id, old.status))
                    else:
                        created.add(
                            {
                                "id": uuid.uuid4(),
                                "created_at": now,
                                "version": 1,
                                "need_id": need_id,
                                "lebanese_collectivity_id": lb_id,
                                "french_collectivity_id": fr_ids[0],
                                "french_collectivity_ids": fr_strs,
                                "pair_key": key,
                                "status": MatchStatus.proposed,
                                "partnership_ids": [],
                                **values,
                            }
                        )
                entries.append(
                    {
                        "id": uuid.uuid4(),
                        "run_id": run_obj.id,
                        "need_id": need_id,
                        "pair_key": key,
                        "french_collectivity_ids": fr_strs,
                        "rank": rank,
                        "score": score,
                    }
                )
    stale = [e.id for (need_id, _), e in reusable.items() if e.status == MatchStatus.proposed and e.id not in kept_ids]
    for i in range(0, len(stale), BATCH):
        session.execute(
            delete(MatchTransition).where(col(MatchTransition.proposal_id).in_(stale[i : i + BATCH])),
        )
        session.execute(
            delete(MatchProposal).where(col(MatchProposal.id).in_(stale[i : i + BATCH])),
            execution_options={"synchronize_session": False},
        )
    for i in range(0, len(updates), BATCH):
        batch = updates[i : i + BATCH]
        session.execute(update(MatchProposal), batch)
    if rank_updates:
        session.execute(update(MatchProposal), rank_updates)
    with _Rows(session, MatchRunEntry.__table__) as rows:  # type: ignore[attr-defined]
        for entry in entries:
            rows.add(entry)
    if reopened:
        session.execute(
            insert(MatchTransition),
            [
                {
                    "id": uuid.uuid4(),
                    "proposal_id": pid,
                    "from_status": old,
                    "to_status": MatchStatus.proposed,
                    "by": actor.label,
                    "by_id": actor.id,
                    "at": now,
                    "note": f"Proposed again by run {run_obj.id}",
                }
                for pid, old in reopened
            ],
        )
    run_obj.need_count = len(inp.needs)
    run_obj.proposal_count = proposal_count
    run_obj.pooled_count = pooled
    run_obj.unfilled_need_count = unfilled
    run_obj.scored_pairs = scored_pairs
    run_obj.optimal = optimal
    run_obj.optimality_gap = gap
    run_obj.duration_ms = int((time.perf_counter() - started) * 1000)
    counts = {"created": created.count, "updated": len(updates), "deleted": len(stale)}
    audit.record_bulk(session, "match_proposals", "matching-run", counts, run_id=run_obj.id)
    session.add(run_obj)
    session.flush()
    return run_obj


# --- proposals ----------------------------------------------------------------------------------------


def get(session: Session, id: uuid.UUID) -> MatchProposal:
    return get_or_404(session, MatchProposal, id, "match proposal")


def involves(obj: MatchProposal, collectivity_id: uuid.UUID | None) -> bool:
    if collectivity_id is None:
        return False
    return obj.lebanese_collectivity_id == collectivity_id or str(collectivity_id) in obj.french_collectivity_ids


def ensure_visible(actor: Principal, obj: MatchProposal) -> None:
    if actor.role == Role.member and not involves(obj, actor.collectivity_id):
        raise Forbidden("Members see only the proposals about their own collectivity.")


def about(collectivity_id: uuid.UUID) -> Any:
    """The proposals about one collectivity (its side, or among the French side's pool), as SQL."""
    return or_(
        col(MatchProposal.lebanese_collectivity_id) == collectivity_id,
        col(MatchProposal.pair_key).contains(collectivity_id.hex, autoescape=True),
    )


def visible_to(actor: Principal) -> Any | None:
    """What `ensure_visible` lets this actor read, as SQL (None: everything); the list and the
    changes feed both use it."""
    if actor.role == Role.member:
        return about(actor.collectivity_id or uuid.UUID(int=0))
    return None


def list_(
    session: Session,
    *,
    actor: Principal,
    params: ListParams,
    filters: dict[str, Any],
    collectivity_id: uuid.UUID | None,
    tag: str | None = None,
    governorate: str | None = None,
    min_score: float | None = None,
) -> tuple[list[MatchProposal], int]:
    stmt = select(MatchProposal)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(MatchProposal, name) == value)
    if tag:
        stmt = stmt.where(col(MatchProposal.need_id).in_(needs.ids_matching(session, tag=tag)))
    if governorate:
        places = select(Collectivity.id).where(col(Collectivity.governorate) == governorate)
        stmt = stmt.where(col(MatchProposal.lebanese_collectivity_id).in_(places))
    if min_score is not None:
        stmt = stmt.where(col(MatchProposal.score) >= min_score)
    if collectivity_id is not None:
        stmt = stmt.where(about(collectivity_id))
    visible = visible_to(actor)
    if visible is not None:
        stmt = stmt.where(visible)
    return paginate(session, stmt, params, model=MatchProposal, sortable=SORTABLE, default="need_id,rank")


def _tag_labels(session: Session) -> dict[str, scoring.Labels]:
    rows = session.execute(select(ThematicTag.id, ThematicTag.label_fr, ThematicTag.label_en, ThematicTag.label_ar))
    return {str(r[0]): (r[1], r[2], r[3]) for r in rows}


def public(session: Session, rows: list[MatchProposal]) -> list[MatchPublic]:
    """Proposals as the API shows them: sentences rendered, history attached (two queries per page)."""
    if not rows:
        return []
    labels = _tag_labels(session)
    govs = {g.code: (g.name_fr, g.name_en, g.name_ar) for g in lebanon().values()}
    history: dict[uuid.UUID, list[HistoryEntry]] = defaultdict(list)
    for t in session.exec(
        select(MatchTransition)
        .where(col(MatchTransition.proposal_id).in_([r.id for r in rows]))
        .order_by(col(MatchTransition.at), col(MatchTransition.id))
    ):
        history[t.proposal_id].append(
            HistoryEntry(
                from_=MatchStatus(t.from_status),
                to=MatchStatus(t.to_status),
                by=t.by,
                at=t.at,
                note=t.note,
                system_note=system_note(t.note_key, t.note_params),
            )
        )
    out = []
    for r in rows:
        reasons = []
        for reason in r.reasons:
            fr, en, ar = scoring.render(reason, labels, govs)
            reasons.append(
                Reason(
                    factor=reason["factor"],
                    weight=reason["weight"],
                    value=reason["value"],
                    label_fr=fr,
                    label_en=en,
                    label_ar=ar,
                )
            )
        status = MatchStatus(r.status)
        out.append(
            MatchPublic(
                id=r.id,
                created_at=r.created_at,
                updated_at=r.updated_at,
                need_id=r.need_id,
                lebanese_collectivity_id=r.lebanese_collectivity_id,
                french_collectivity_id=r.french_collectivity_id,
                french_collectivity_ids=[uuid.UUID(x) for x in r.french_collectivity_ids],
                pooled=len(r.french_collectivity_ids) > 1,
                score=r.score,
                rank=r.rank,
                reasons=reasons,
                kind=MatchKind(r.kind),
                status=status,
                allowed_transitions=list(TRANSITIONS[status]),
                run_id=r.run_id,
                partnership_ids=[uuid.UUID(x) for x in r.partnership_ids],
                history=history.get(r.id, []),
            )
        )
    return out


def transition(
    session: Session,
    obj: MatchProposal,
    *,
    to: MatchStatus,
    note: str,
    actor: Principal,
    if_match: str | None,
    note_key: NoteKey | None = None,
    note_params: NoteParams | None = None,
) -> MatchProposal:
    """Move a proposal to status ``to`` if the transition table allows it; record who, when and why (``note``
    as a person wrote it; ``note_key`` and ``note_params`` when the server makes the move, see core.notes)."""
    if not actor.is_staff:
        if actor.role != Role.member or not involves(obj, actor.collectivity_id):
            raise Forbidden("Only coordinators and members of the collectivities concerned may answer a proposal.")
        if to not in MEMBER_MOVES:
            raise Forbidden("Members may accept or decline a proposal; coordinators make the other moves.")
    current = MatchStatus(obj.status)
    allowed = TRANSITIONS[current]
    if to not in allowed:
        nexts = ", ".join(allowed) if allowed else "none (this status is final)"
        raise Conflict(
            f"A proposal that is '{current}' cannot become '{to}'. Allowed next: {nexts}.",
            errors=[{"loc": ["body", "to"], "msg": f"allowed: {', '.join(allowed)}"}],
        )
    changes: dict[str, Any] = {"status": to}
    if to == MatchStatus.partnership_formed:
        changes["partnership_ids"] = [str(p) for p in _form_partnerships(session, obj, actor=actor)]
    save_changes(session, obj, changes, if_match=if_match)
    session.add(
        MatchTransition(
            proposal_id=obj.id,
            from_status=current,
            to_status=to,
            by=actor.label,
            by_id=actor.id,
            note=note,
            note_key=note_key,
            note_params=note_params,
        )
    )
    session.flush()
    change = {"id": obj.id, "need_id": obj.need_id, "from": current.value, "to": to.value, "by": actor.label}
    webhooks.emit(session, WebhookEvent.match_status_changed, change, key=f"match:{obj.id}:{obj.version}")
    if to == MatchStatus.partnership_formed:
        formed = {"proposal_id": obj.id, "partnership_ids": changes["partnership_ids"]}
        webhooks.emit(session, WebhookEvent.partnership_formed, formed, key=f"partnership-formed:{obj.id}")
    return obj


def _form_partnerships(session: Session, obj: MatchProposal, *, actor: Principal) -> list[uuid.UUID]:
    """Create the partnership of each French member with the Lebanese side, or reactivate the existing one."""
    year = datetime.now(UTC).year
    need = needs.get(session, obj.need_id)
    need_tags = tags.links_for(session, needs.RESOURCE, [need.id]).get((need.id, Relation.tag.value), [])
    out = []
    for fr in obj.french_collectivity_ids:
        french_id = uuid.UUID(fr)
        found = list(
            session.exec(
                select(Partnership).where(
                    Partnership.french_collectivity_id == french_id,
                    Partnership.lebanese_collectivity_id == obj.lebanese_collectivity_id,
                )
            )
        )
        order = {PartnershipStatus.active: 0, PartnershipStatus.planned: 1, PartnershipStatus.dormant: 2}
        found.sort(key=lambda p: (order.get(PartnershipStatus(p.status), 3), -(p.last_activity_year or 0), str(p.id)))
        if found and found[0].status == PartnershipStatus.active:
            out.append(found[0].id)
            continue
        if found:
            p = found[0]
            linked = tags.links_for(session, partnerships.RESOURCE, [p.id]).get((p.id, Relation.tag.value), [])
            partnerships.update(
                session,
                p,
                changes={
                    "status": PartnershipStatus.active,
                    "ended_year": None,
                    "last_activity_year": year,
                    "tag_ids": list(dict.fromkeys([*linked, *need_tags])),
                },
                if_match=None,
            )
            out.append(p.id)
            continue
        created = partnerships.create(
            session,
            data=PartnershipCreate(
                french_collectivity_id=french_id,
                lebanese_collectivity_id=obj.lebanese_collectivity_id,
                status=PartnershipStatus.active,
                started_year=year,
                last_activity_year=year,
                tag_ids=need_tags,
            ),
            note_key=NoteKey.partnership_matched,
            note_params={"need": need.title, "need_id": str(need.id), "proposal_id": str(obj.id)},
        )
        out.append(created.id)
    if need.status in (NeedStatus.open, NeedStatus.in_discussion):
        needs.update(session, need, changes={"status": NeedStatus.matched}, actor=actor, if_match=None)
    return out


# --- runs -----------------------------------------------------------------------------------------------


def get_run(session: Session, id: uuid.UUID) -> MatchRun:
    return get_or_404(session, MatchRun, id, "match run")


def list_runs(session: Session, *, params: ListParams) -> tuple[list[MatchRun], int]:
    return paginate(session, select(MatchRun), params, model=MatchRun, sortable=RUN_SORTABLE, default="-created_at")


def run_public(rows: list[MatchRun]) -> list[MatchRunPublic]:
    return [
        MatchRunPublic(
            id=r.id,
            created_at=r.created_at,
            updated_at=r.updated_at,
            weights=r.weights,
            top_k=r.top_k,
            max_per_french_collectivity=r.max_per_french_collectivity,
            need_ids=[uuid.UUID(x) for x in r.need_ids] if r.need_ids is not None else None,
            include_declined=r.include_declined,
            created_by=r.created_by,
            need_count=r.need_count,
            proposal_count=r.proposal_count,
            pooled_count=r.pooled_count,
            unfilled_need_count=r.unfilled_need_count,
            scored_pairs=r.scored_pairs,
            optimal=r.optimal,
            optimality_gap=round(r.optimality_gap, 6),
            duration_ms=r.duration_ms,
            previous_run_id=r.previous_run_id,
            status=RunStatus(r.status),
            error=r.error,
            worker=r.worker,
            started_at=r.started_at,
            finished_at=r.finished_at,
        )
        for r in rows
    ]


def _entries(session: Session, run_id: uuid.UUID) -> dict[tuple[uuid.UUID, str], tuple[int, float, list[str]]]:
    rows = session.execute(
        columns(
            MatchRunEntry.need_id,
            MatchRunEntry.pair_key,
            MatchRunEntry.rank,
            MatchRunEntry.score,
            MatchRunEntry.french_collectivity_ids,
        ).where(MatchRunEntry.run_id == run_id)
    )
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def compare(session: Session, run: MatchRun, *, other_id: uuid.UUID | None, limit: int) -> RunComparison:
    """What changed from another run (by default the one before): new, dropped and re-ranked proposals,
    over the needs both runs covered."""
    other_run = get_run(session, other_id) if other_id is not None else None
    if other_run is None and run.previous_run_id is not None:
        other_run = session.get(MatchRun, run.previous_run_id)
    if other_run is None:
        return RunComparison(
            run_id=run.id,
            previous_run_id=None,
            needs_compared=0,
            new_count=0,
            dropped_count=0,
            reranked_count=0,
            unchanged_count=0,
            new=[],
            dropped=[],
            reranked=[],
        )
    both = {uuid.UUID(n) for n in run.covered_need_ids} & {uuid.UUID(n) for n in other_run.covered_need_ids}
    mine = {k: v for k, v in _entries(session, run.id).items() if k[0] in both}
    theirs = {k: v for k, v in _entries(session, other_run.id).items() if k[0] in both}

    def item(key: tuple[uuid.UUID, str]) -> ComparisonItem:
        a, b = mine.get(key), theirs.get(key)
        members = (a or b)[2]  # type: ignore[index]
        return ComparisonItem(
            need_id=key[0],
            french_collectivity_ids=[uuid.UUID(x) for x in members],
            rank=a[0] if a else None,
            previous_rank=b[0] if b else None,
            score=a[1] if a else None,
            previous_score=b[1] if b else None,
        )

    def ordered(keys: set[tuple[uuid.UUID, str]]) -> list[tuple[uuid.UUID, str]]:
        return sorted(keys, key=lambda k: (str(k[0]), (mine.get(k) or theirs[k])[0], k[1]))

    new = ordered(mine.keys() - theirs.keys())
    dropped = ordered(theirs.keys() - mine.keys())
    common = mine.keys() & theirs.keys()
    reranked = ordered({k for k in common if mine[k][0] != theirs[k][0]})
    return RunComparison(
        run_id=run.id,
        previous_run_id=other_run.id,
        needs_compared=len(both),
        new_count=len(new),
        dropped_count=len(dropped),
        reranked_count=len(reranked),
        unchanged_count=len(common) - len(reranked),
        new=[item(k) for k in new[:limit]],
        dropped=[item(k) for k in dropped[:limit]],
        reranked=[item(k) for k in reranked[:limit]],
    )
