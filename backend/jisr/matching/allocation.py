"""Global allocation of candidates to needs, and pooling of French partners. Pure: no database.

The allocation chooses, among candidate proposals (a need and one French collectivity, or a need and
a pool of two or three), the set with the largest total score such that

* a need gets at most ``need_cap[need]`` proposals (the run's ``top_k``),
* a French collectivity appears in at most ``french_cap[f]`` proposals (``max_per_french_collectivity``),
* a French collectivity appears at most once per need (a pool and a single, or two pools, sharing
  a member are not both proposed).

Without pools this is a bipartite b-matching, a min-cost flow whose linear programme has integral
vertices: HiGHS' dual simplex solves it exactly and gives the dual prices used to prove that
candidates left out before solving could not improve the total. Pools make it a set packing; the LP
is tried first and, if its optimum is fractional, the integer programme is solved (HiGHS MIP).
"""

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from jisr.matching import scoring

EPS = 1e-7
TOLERANCE = 1e-5  # a left-out candidate must raise the total by more than this to count
GAP = 1e-3  # stop adding candidates once the total is proven within this share of the optimum
EXACT_GAP = 1e-3  # absolute: below it the result counts as optimal
log = logging.getLogger("jisr.matching")


@dataclass(frozen=True)
class Edge:
    need: int
    members: tuple[int, ...]  # French collectivities: one, or a pool of two or three
    score: float


@dataclass
class Allocation:
    selected: list[int]  # indexes into the edges given, in the order given
    total: float
    need_price: dict[int, float] = field(default_factory=dict)  # LP dual of each need's cap (>= 0)
    french_price: dict[int, float] = field(default_factory=dict)  # LP dual of each French cap (>= 0)
    exact: bool = True  # LP vertex integral, or MIP solved to optimality
    used_mip: bool = False
    values: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # per edge, 0..1


def allocate(
    edges: Sequence[Edge], need_cap: dict[int, int], french_cap: dict[int, int], *, integer: bool = True
) -> Allocation:
    """The set of edges with the largest total score under the caps (see the module's docstring).

    Needs absent from ``need_cap`` and French collectivities absent from ``french_cap`` have no room.
    ``integer=False`` stops at the LP (``values`` may then be fractional, ``exact`` tells).
    """
    if not edges:
        return Allocation([], 0.0)
    needs = sorted({e.need for e in edges})
    french = sorted({f for e in edges for f in e.members})
    n_row = {n: i for i, n in enumerate(needs)}
    f_row = {f: len(needs) + i for i, f in enumerate(french)}
    rows: list[int] = []
    cols: list[int] = []
    pair_edges: dict[tuple[int, int], list[int]] = defaultdict(list)
    for j, e in enumerate(edges):
        rows.append(n_row[e.need])
        cols.append(j)
        for f in e.members:
            rows.append(f_row[f])
            cols.append(j)
            pair_edges[(e.need, f)].append(j)
    upper = [float(need_cap.get(n, 0)) for n in needs] + [float(french_cap.get(f, 0)) for f in french]
    next_row = len(upper)
    for (_, _), js in sorted(pair_edges.items()):
        if len(js) > 1:
            rows.extend([next_row] * len(js))
            cols.extend(js)
            upper.append(1.0)
            next_row += 1
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(next_row, len(edges)))
    score = np.array([e.score for e in edges], dtype=np.float64)
    b = np.array(upper)
    lp = linprog(-score, A_ub=a, b_ub=b, bounds=(0, 1), method="highs-ds")
    if lp.status != 0:  # pragma: no cover - a bounded feasible LP (x = 0 is feasible) always solves
        raise RuntimeError(f"allocation LP failed: {lp.message}")
    x = lp.x
    prices = -lp.ineqlin.marginals
    need_price = {n: max(0.0, float(prices[i])) for i, n in enumerate(needs)}
    french_price = {f: max(0.0, float(prices[len(needs) + i])) for i, f in enumerate(french)}
    integral = bool(np.all((x < EPS) | (x > 1 - EPS)))
    used_mip = False
    exact = integral
    if not integral and integer:
        used_mip = True
        x, exact = _integer(a, b, score, x, float(-lp.fun))
    selected = [j for j in range(len(edges)) if x[j] > 0.5]
    return Allocation(
        selected=selected,
        total=float(score[selected].sum()),
        need_price=need_price,
        french_price=french_price,
        exact=exact,
        used_mip=used_mip,
        values=np.asarray(x, dtype=np.float64),
    )


MIP_WHOLE = 5000  # variables: up to this size the integer programme is solved whole


def _integer(
    a: sp.csr_matrix,
    b: npt.NDArray[np.float64],
    score: npt.NDArray[np.float64],
    x_lp: npt.NDArray[np.float64],
    bound: float,
) -> tuple[npt.NDArray[np.float64], bool]:
    """An integral solution when the LP optimum is fractional (pools sharing members).

    Small programmes are solved whole. Large ones keep the LP's integral part (variables at 1) and
    solve the fractional remainder under the capacity left; should that fail within its time limit,
    the remainder is filled greedily by score. Exact when the total reaches the LP bound (or the
    whole programme was solved to optimality).
    """
    n = len(score)
    if n <= MIP_WHOLE:
        res = milp(
            -score,
            constraints=LinearConstraint(a, -np.inf, b),
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
            options={"time_limit": 10.0},
        )
        if res.x is not None:
            return np.round(res.x), res.status == 0
    fixed = x_lp > 1 - EPS
    frac = np.flatnonzero((x_lp > EPS) & ~fixed)
    left = b - a @ fixed.astype(np.float64)
    x = fixed.astype(np.float64)
    sub = a[:, frac]
    res = milp(
        -score[frac],
        constraints=LinearConstraint(sub, -np.inf, left),
        integrality=np.ones(len(frac)),
        bounds=Bounds(0, 1),
        options={"time_limit": 5.0},
    )
    if res.x is not None:
        x[frac] = np.round(res.x)
    else:  # pragma: no cover - only when HiGHS finds nothing in time
        for j in frac[np.argsort(-score[frac], kind="stable")]:
            col = a[:, j].toarray().ravel()
            if np.all(col <= left + EPS):
                x[j] = 1.0
                left -= col
    return x, float(score @ x) >= bound - 1e-6


def _need_prices(edges: list["Planned"], alloc: Allocation, need_cap: dict[int, int], n_needs: int) -> Any:
    """Dual prices of the needs that prove the most (with the French prices fixed).

    The LP's own prices are one optimal dual among many (the programme is degenerate); for a full
    need any price up to its cheapest assignment's margin (score minus its French sides' prices) is
    still optimal, and a higher price rules out more left-out candidates. A need with room left
    keeps price 0.
    """
    lp = np.zeros(n_needs)
    for n, u in alloc.need_price.items():
        lp[n] = u
    load = np.zeros(n_needs)
    margin = np.full(n_needs, np.inf)
    for e, x in zip(edges, alloc.values.tolist(), strict=True):
        if x > EPS:
            load[e.need] += x
            m = e.score - sum(alloc.french_price.get(f, 0.0) for f in e.members)
            margin[e.need] = min(margin[e.need], m)
    cap = np.zeros(n_needs)
    for n, c in need_cap.items():
        cap[n] = c
    full = (load >= cap - 1e-6) & np.isfinite(margin)
    return np.where(full, np.maximum(lp, margin), lp)


def reduced_gain(score: float, need: int, members: Sequence[int], alloc: Allocation) -> float:
    """How much a left-out candidate could add at the LP prices (> 0: it might improve the total)."""
    return score - alloc.need_price.get(need, 0.0) - sum(alloc.french_price.get(f, 0.0) for f in members)


# --- pooling ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolCandidate:
    french: int
    score: float
    units: int
    region: str | None


def make_pools(
    size: int, candidates: Sequence[PoolCandidate], *, keep: int, max_members: int = 3
) -> list[tuple[tuple[int, ...], float]]:
    """Groups of two or three French collectivities that together can carry a need of ``size`` units.

    The rule: members share a French région (pooling is organised regionally), their capacity units
    add up to at least ``size`` and the group is minimal (no member can be left out), so a member able
    to carry the need alone is never pooled. A group's score is the mean of its members' scores.
    Returns the ``keep`` best groups, members ordered by score (the lead first), ties broken by index.
    """
    if size <= 1 or keep <= 0:
        return []
    ordered = sorted(candidates, key=lambda c: (-c.score, c.french))
    by_region: dict[str, list[PoolCandidate]] = defaultdict(list)
    for c in ordered:
        if c.region and c.units < size:
            by_region[c.region].append(c)
    groups: list[tuple[tuple[int, ...], float]] = []
    for region in sorted(by_region):
        members = by_region[region]
        for k in range(2, max_members + 1):
            for combo in combinations(members, k):
                total = sum(c.units for c in combo)
                if total < size or any(total - c.units >= size for c in combo):
                    continue
                score = sum(c.score for c in combo) / k
                groups.append((tuple(c.french for c in combo), score))
    groups.sort(key=lambda g: (-g[1], g[0]))
    return groups[:keep]


# --- from scores to proposals ------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    need: int
    members: tuple[int, ...]
    score: float


@dataclass
class Plan:
    chosen: list[Planned]
    optimal: bool
    scored_pairs: int
    rounds: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds: score, allocate
    gap: float = 0.0  # proven upper bound on how much the total score could still rise


def plan(
    prep: scoring.Prepared,
    weights: dict[str, float],
    *,
    top_k: int,
    need_cap: dict[int, int],
    french_cap: dict[int, int],
    blocked: dict[int, set[int]] | None = None,
    keep: int,
    reserve: int = 0,
    pool_candidates: int = 10,
    max_rounds: int = 8,
) -> Plan:
    """Score, keep the best candidates of each need, form pools, allocate, then prove the result.

    Only the ``keep`` best single-partner candidates of each need enter the first programme (the
    next ``reserve`` ones wait aside). The LP prices then tell whether a candidate left out could
    still raise the total: its score beats its need's price plus its French side's price. Waiting
    candidates are priced first; a need whose best left-out score beats its price has all its
    candidates scored again and priced. Improving ones are added and the programme solved again,
    until none is left: the total is then the optimum over every single-partner candidate (and the
    pools formed). ``blocked[need]``: French collectivities not to propose for that need.
    """
    blocked = blocked or {}
    started = time.perf_counter()
    rows = [n for n, c in sorted(need_cap.items()) if c > 0]
    cand = scoring.score_candidates(prep, weights, keep=keep + reserve, keep_any=pool_candidates, rows=rows)
    inp = prep.inp
    scored = time.perf_counter()
    edges: list[Planned] = []
    have: set[tuple[int, int]] = set()
    have_by_need: dict[int, set[int]] = defaultdict(set)
    waiting: list[Planned] = []
    bounds = sum(1 for n in rows if cand.next_best[n] >= 0)
    fits_rank: dict[int, int] = defaultdict(int)
    by_need: dict[int, list[int]] = defaultdict(list)
    for i, (n, f, ok) in enumerate(zip(cand.need.tolist(), cand.french.tolist(), cand.fits.tolist(), strict=True)):
        by_need[n].append(i)
        if not ok or f in blocked.get(n, ()):
            continue
        e = Planned(n, (f,), float(cand.score[i]))
        if fits_rank[n] < keep:
            edges.append(e)
            have.add((n, f))
            have_by_need[n].add(f)
        else:
            waiting.append(e)
        fits_rank[n] += 1
    for n, idxs in sorted(by_need.items()):
        size = int(prep.need_size[n])
        if size <= 1:
            continue
        no = blocked.get(n, set())
        pool_in = [
            PoolCandidate(
                int(cand.french[i]),
                float(cand.score[i]),
                scoring.capacity_units(inp.french[int(cand.french[i])].capacity),
                inp.french[int(cand.french[i])].region,
            )
            for i in idxs
            if int(cand.french[i]) not in no
        ]
        for members, score in make_pools(size, pool_in, keep=top_k):
            edges.append(Planned(n, members, score))
    # Seed: a greedy allocation over every kept candidate (best score first) brings in the columns a
    # good solution uses, so that the first programme's prices are already close to the final ones.
    room_n = dict(need_cap)
    room_f = dict(french_cap)
    seeded: list[Planned] = []
    for e in sorted([*edges, *waiting], key=lambda e: (-e.score, e.need, e.members)):
        if room_n.get(e.need, 0) > 0 and all(room_f.get(f, 0) > 0 for f in e.members):
            room_n[e.need] -= 1
            for f in e.members:
                room_f[f] -= 1
            if len(e.members) == 1 and (e.need, e.members[0]) not in have:
                seeded.append(e)
    for e in seeded:
        have.add((e.need, e.members[0]))
        have_by_need[e.need].add(e.members[0])
    edges.extend(seeded)
    waiting = [e for e in waiting if (e.need, e.members[0]) not in have]
    optimal = False
    rounds = 0
    alloc = Allocation([], 0.0)
    solved: list[Planned] = []
    gap = 0.0
    n_needs = len(inp.needs)
    per_round = max(keep, 2 * top_k)
    # Candidates aside, per need, best score first: the reserve, then (once scored again) the rest.
    aside: dict[int, tuple[Any, Any]] = {}
    by_need_waiting: dict[int, list[Planned]] = defaultdict(list)
    for e in waiting:
        by_need_waiting[e.need].append(e)
    for n, es in by_need_waiting.items():
        aside[n] = (np.array([e.members[0] for e in es], dtype=np.int64), np.array([e.score for e in es]))
    expanded: set[int] = set()
    for rounds in range(1, max_rounds + 1):  # noqa: B007
        alloc = allocate([Edge(e.need, e.members, e.score) for e in edges], need_cap, french_cap, integer=False)
        solved = list(edges)
        need_price = _need_prices(edges, alloc, need_cap, n_needs)
        french_price = np.zeros(len(inp.french))
        for f, v in alloc.french_price.items():
            french_price[f] = v
        # Needs whose best candidate beyond the reserve might improve the total: score them whole.
        doubtful = [
            n
            for n in rows
            if n not in expanded and cand.next_best[n] >= 0 and cand.next_best[n] > need_price[n] + TOLERANCE
        ]
        for n, (fr_idx, scores) in scoring.full_rows(prep, weights, doubtful).items():
            no = have_by_need[n] | blocked.get(n, set())
            keep_mask = ~np.isin(fr_idx, np.fromiter(no, dtype=np.int64, count=len(no)))
            aside[n] = (fr_idx[keep_mask], scores[keep_mask].astype(np.float64))
            expanded.add(n)
        added: list[Planned] = []
        # How much the total could still rise (LP duality: raise each need's price by its worst
        # violation): an upper bound on the distance to the optimum.
        violation = np.zeros(n_needs)
        for n in rows:
            if n not in expanded and cand.next_best[n] >= 0:
                violation[n] = max(0.0, cand.next_best[n] - need_price[n])
        for n, (fr_idx, scores) in aside.items():
            if not len(fr_idx):
                continue
            gain = scores - need_price[n] - french_price[fr_idx]
            violation[n] = max(violation[n], float(gain.max()))
            better = np.flatnonzero(gain > TOLERANCE)
            if not len(better):
                continue
            best = better[np.lexsort((fr_idx[better], -gain[better]))][:per_round]
            for j in best.tolist():
                f = int(fr_idx[j])
                added.append(Planned(n, (f,), float(scores[j])))
                have.add((n, f))
                have_by_need[n].add(f)
            left = np.ones(len(fr_idx), dtype=bool)
            left[best] = False
            aside[n] = (fr_idx[left], scores[left])
        gap = float(sum(need_cap.get(n, 0) * v for n, v in enumerate(violation.tolist()) if v > 0))
        log.debug(
            "round %d: %d edges, LP total %.4f, gap <= %.4f, %d needs scored whole, %d candidates added",
            rounds,
            len(edges),
            alloc.total,
            gap,
            len(doubtful),
            len(added),
        )
        if not added or gap <= EXACT_GAP or gap <= GAP * alloc.total:
            optimal = not added or gap <= EXACT_GAP
            break
        edges.extend(added)
    if not optimal:
        gap = float(sum(need_cap.get(n, 0) * v for n, v in enumerate(violation.tolist()) if v > 0))
    if not alloc.exact:  # the last LP is fractional (pools sharing members): make it integral
        alloc = allocate([Edge(e.need, e.members, e.score) for e in solved], need_cap, french_cap)
        optimal = optimal and alloc.exact
    timings = {"score": scored - started, "allocate": time.perf_counter() - scored, "bounds": float(bounds)}
    return Plan([solved[j] for j in alloc.selected], optimal, cand.scored_pairs, rounds, timings, gap)
