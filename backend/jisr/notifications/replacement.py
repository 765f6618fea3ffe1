"""The next candidate when a proposal expires: its place goes to the best French collectivity left.

The matching service allocates proposals globally in runs; between runs, an expiry frees one place of
one need. Rather than wait for a coordinator's next run, the worker scores that need against every
French collectivity with the matching's own scorer and the weights of the run that made the expired
proposal, and records the best one that is eligible (theme, partnership history, a pair declined or
rejected before), not already in a proposal of this need (whatever its status: proposed, declined,
expired…), and whose cap (the run's ``max_per_french_collectivity``, counted over proposals waiting for
an answer or being worked on) allows it. The need must still be an open request with fewer than the
run's ``top_k`` proposals waiting or worked on. The new proposal is stored as a run stores one (same
run, the expired one's rank, reasons in the three languages) and both sides are told.
"""

import uuid
from datetime import datetime
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from jisr.collectivities.models import Collectivity
from jisr.matching import scoring
from jisr.matching import service as matching
from jisr.matching.models import LIVE, REFUSED, WAITING, MatchKind, MatchProposal, MatchRun, MatchStatus, pair_key

OPEN = sorted(s.value for s in WAITING | LIVE)
"""Proposals that hold a place: waiting for an answer or being worked on."""


def _load(session: Session, french_id: uuid.UUID) -> int:
    """Proposals the French collectivity is in (alone or in a pool) that hold a place."""
    rows = session.exec(
        select(MatchProposal.id).where(
            col(MatchProposal.status).in_(OPEN), col(MatchProposal.pair_key).contains(french_id.hex, autoescape=True)
        )
    )
    return len(list(rows))


def choose(
    session: Session, expiring: MatchProposal, *, now: datetime
) -> tuple[MatchProposal, dict[str, str | None]] | None:
    """The proposal to put in ``expiring``'s place (not yet added to the session) and the French side's
    names (``french``, ``french_ar``, ``french_id``: a note's parameters), or None. Call it before ``expiring``
    leaves its status or after: it is never chosen again.
    ``now`` (the worker's clock) is its creation: its answer time starts then."""
    run = session.get(MatchRun, expiring.run_id)
    top_k, cap = (run.top_k, run.max_per_french_collectivity) if run is not None else (5, 3)
    weights = scoring.normalise_weights(dict((run.weights if run is not None else None) or scoring.DEFAULT_WEIGHTS))
    loaded = matching.load(session, [expiring.need_id])
    if not loaded.need_ids:  # no longer an open request of a Lebanese collectivity
        return None
    same_need = list(session.exec(select(MatchProposal).where(MatchProposal.need_id == expiring.need_id)))
    taken = {f for p in same_need for f in p.french_collectivity_ids}
    holding = [p for p in same_need if p.id != expiring.id and p.status in OPEN]
    if len(holding) >= top_k:
        return None
    refused = session.exec(
        select(MatchProposal.french_collectivity_ids).where(
            MatchProposal.lebanese_collectivity_id == expiring.lebanese_collectivity_id,
            col(MatchProposal.status).in_(sorted(s.value for s in REFUSED)),
        )
    )
    lb = loaded.lebanese_index[expiring.lebanese_collectivity_id]
    inp = loaded.inp
    inp.excluded_pairs = frozenset(
        (lb, loaded.french_index[uuid.UUID(f)]) for ids in refused for f in ids if uuid.UUID(f) in loaded.french_index
    )
    prep = scoring.Prepared(inp)
    if not len(prep.cols):
        return None
    row = prep.scores(np.array([0], dtype=np.int64), weights)[0]
    ranked = sorted(
        ((float(row[j]), int(prep.cols[j])) for j in range(len(prep.cols)) if row[j] >= 0),
        key=lambda t: (-t[0], loaded.french_ids[t[1]]),
    )
    scorer = scoring.PairScorer(inp)
    for _, f in ranked:
        french_id = loaded.french_ids[f]
        if str(french_id) in taken:
            continue
        exact = scoring.score_pair(scorer, 0, f, weights)
        if exact is None or _load(session, french_id) >= cap:
            continue
        reasons: list[dict[str, Any]] = matching._reasons(scorer, inp, 0, (f,), weights)
        proposal = MatchProposal(
            need_id=expiring.need_id,
            lebanese_collectivity_id=expiring.lebanese_collectivity_id,
            french_collectivity_id=french_id,
            french_collectivity_ids=[str(french_id)],
            pair_key=pair_key([french_id]),
            score=round(min(1.0, max(0.0, exact)), 6),
            rank=expiring.rank,
            reasons=reasons,
            kind=MatchKind.relaunch if scorer.is_relaunch(0, f) else MatchKind.new,
            status=MatchStatus.proposed,
            run_id=expiring.run_id,
            created_at=now,
            updated_at=now,
        )
        french = session.get(Collectivity, french_id)
        name = french.name if french else str(french_id)
        name_ar = (french.name_ar if french else None) or None
        return proposal, {"french": name, "french_ar": name_ar, "french_id": str(french_id)}
    return None
