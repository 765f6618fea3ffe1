"""Relaunching a dormant (or ended) partnership: its pair goes on the board as a `relaunch` proposal.

A run proposes a pair only when the French side brings a theme of the need; a coordinator who relaunches
a dormant partnership asks for that pair whatever the themes. So the relaunch scores the pair against
each open request of the Lebanese side with the matching's scorer and default weights, and records a
proposal for the best one (its reasons say what fits and what does not). It is stored `shortlisted`
(a coordinator chose it), so the next runs keep it, and both sides are told.

It cannot be done, and the answer (409) names why with a code the web app translates:
``relaunch_not_dormant`` (the partnership is active or planned), ``relaunch_no_open_need`` (the Lebanese
side has no open request), ``relaunch_partner_cap`` (the French side already holds
``max_per_french_collectivity`` proposals being worked on: shortlisted, contacted, accepted or with a
meeting; a run's mere suggestions do not count), ``relaunch_declined`` (the pair declined
or was rejected before: reopen that proposal instead). A pair already on the board (a proposal waiting or
being worked on, for any need of the Lebanese side) is returned, shortlisted if a run had merely proposed it.
"""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity
from jisr.core.errors import Conflict
from jisr.core.notes import NoteKey
from jisr.matching import scoring
from jisr.matching import service as matching
from jisr.matching.models import LIVE, REFUSED, WAITING, MatchKind, MatchProposal, MatchRun, MatchStatus, pair_key
from jisr.needs.models import Direction, Need, NeedStatus
from jisr.partnerships import service as partnerships
from jisr.partnerships.models import PartnershipStatus

ON_BOARD = sorted(s.value for s in WAITING | LIVE)
WORKED_ON = sorted(s.value for s in LIVE)


def _names(french: Collectivity, lebanese: Collectivity) -> dict[str, Any]:
    return {
        "french": french.name,
        "lebanese": lebanese.name,
        "lebanese_ar": lebanese.name_ar or lebanese.name,
        "french_ar": french.name_ar or french.name,
    }


def _pair_proposals(session: Session, lebanese_id: uuid.UUID, french_id: uuid.UUID) -> list[MatchProposal]:
    rows = session.exec(
        select(MatchProposal)
        .where(
            MatchProposal.lebanese_collectivity_id == lebanese_id,
            col(MatchProposal.pair_key).contains(french_id.hex, autoescape=True),
        )
        .order_by(col(MatchProposal.updated_at).desc())
    )
    return list(rows)


def _held(session: Session, french_id: uuid.UUID) -> int:
    """Proposals of the French side that people work on (a run's mere suggestions, `proposed`, give way)."""
    rows = session.exec(
        select(MatchProposal.id).where(
            col(MatchProposal.status).in_(WORKED_ON),
            col(MatchProposal.pair_key).contains(french_id.hex, autoescape=True),
        )
    )
    return len(list(rows))


def relaunch(
    session: Session, *, partnership_id: uuid.UUID, actor: Principal, max_per_french_collectivity: int
) -> tuple[MatchProposal, bool]:
    """The pair's proposal on the board, and whether it was created now. Flushes, never commits."""
    partnership = partnerships.get(session, partnership_id)
    french = collectivities.get(session, partnership.french_collectivity_id)
    lebanese = collectivities.get(session, partnership.lebanese_collectivity_id)
    names = _names(french, lebanese)
    if partnership.status not in (PartnershipStatus.dormant, PartnershipStatus.ended):
        raise Conflict(
            f"The partnership of {french.name} and {lebanese.name} is {partnership.status}: only a dormant or "
            "ended partnership is relaunched.",
            code="relaunch_not_dormant",
            params={**names, "status": str(partnership.status)},
        )
    said: dict[str, Any] = {
        "note_key": NoteKey.relaunch,
        "note_params": {
            "status": str(partnership.status),
            "start": partnership.started_year,
            "end": partnership.last_activity_year or partnership.ended_year,
            "partnership_id": str(partnership.id),
        },
    }
    pair = _pair_proposals(session, lebanese.id, french.id)
    for p in pair:
        if p.status in ON_BOARD:
            if p.status == MatchStatus.proposed:  # a run's suggestion: the coordinator now asks for it
                matching.transition(session, p, to=MatchStatus.shortlisted, note="", actor=actor, if_match=None, **said)
            return p, False
    refused = [p for p in pair if p.status in REFUSED]
    if refused:
        raise Conflict(
            f"{french.name} and {lebanese.name} were proposed before and the proposal was {refused[0].status}: "
            f"reopen that proposal ({refused[0].id}) rather than relaunching.",
            code="relaunch_declined",
            params={**names, "proposal_id": str(refused[0].id), "status": str(refused[0].status)},
        )
    need_ids = list(
        session.exec(
            select(Need.id)
            .where(
                Need.collectivity_id == lebanese.id,
                Need.direction == Direction.request,
                Need.status == NeedStatus.open,
            )
            .order_by(col(Need.id))
        )
    )
    if not need_ids:
        raise Conflict(
            f"{lebanese.name} has no open request: create or open one of its needs, then relaunch.",
            code="relaunch_no_open_need",
            params={**names, "lebanese_id": str(lebanese.id)},
        )
    held = _held(session, french.id)
    if held >= max_per_french_collectivity:
        raise Conflict(
            f"{french.name} already holds {held} proposals being worked on (at most "
            f"{max_per_french_collectivity}): answer or close one of them first.",
            code="relaunch_partner_cap",
            params={**names, "held": held, "cap": max_per_french_collectivity},
        )
    loaded = matching.load(session, need_ids, every_french=True)
    f = loaded.french_index[french.id]
    weights = scoring.normalise_weights(dict(scoring.DEFAULT_WEIGHTS))
    scorer = scoring.PairScorer(loaded.inp)
    best: tuple[float, int] | None = None
    for n in range(len(loaded.need_ids)):
        values, _ = scorer.factors(n, f)  # eligible or not: the coordinator asked for this pair
        score = scoring.weighted(values, weights)
        if best is None or score > best[0] + 1e-9:
            best = (score, n)
    assert best is not None  # need_ids is not empty and they are open requests of a Lebanese collectivity
    score, n = best
    need_id = loaded.need_ids[n]
    ranked = session.exec(
        select(MatchProposal.id).where(MatchProposal.need_id == need_id, col(MatchProposal.status).in_(ON_BOARD))
    )
    run = MatchRun(
        weights=weights,
        top_k=1,
        max_per_french_collectivity=max_per_french_collectivity,
        need_ids=[str(need_id)],
        created_by=actor.label,
        created_by_id=actor.id,
        need_count=1,
        proposal_count=1,
        scored_pairs=len(loaded.need_ids),
        covered_need_ids=[],  # a relaunch is not a run to compare others with
    )
    session.add(run)
    session.flush()
    proposal = MatchProposal(
        need_id=need_id,
        lebanese_collectivity_id=lebanese.id,
        french_collectivity_id=french.id,
        french_collectivity_ids=[str(french.id)],
        pair_key=pair_key([french.id]),
        score=round(min(1.0, max(0.0, score)), 6),
        rank=len(list(ranked)) + 1,
        reasons=matching._reasons(scorer, loaded.inp, n, (f,), weights),
        kind=MatchKind.relaunch,
        status=MatchStatus.proposed,
        run_id=run.id,
    )
    session.add(proposal)
    session.flush()
    matching.transition(session, proposal, to=MatchStatus.shortlisted, note="", actor=actor, if_match=None, **said)
    return proposal, True
