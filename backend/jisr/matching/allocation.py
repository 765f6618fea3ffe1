"""Global allocation of candidates to needs, and pooling of French partners. Pure: no database.

The allocation chooses, among candidate proposals (a need and one French collectivity, or a need and
a pool of two or three), the set with the largest total score such that

* a need gets at most ``need_cap[need]`` proposals (the run's ``top_k``),
* a French collectivity appears in at most ``french_cap[f]`` proposals (``max_per_french_collectivity``),
* a French collectivity appears at most once per need (a pool and a single, or two pools, sharing
  a member are not both proposed).

Without pools this is a bipartite b-matching, i.e. a min-cost flow: OR-Tools' ``SimpleMinCostFlow``
solves it exactly on integer costs (scores × 2^30), and shortest paths over the optimal flow's
residual graph give dual prices that prove candidates left out before solving could not improve the
total. Pools make it a set packing: an LP (HiGHS dual simplex) is then solved and, if its optimum is
fractional, the integer programme (HiGHS MIP).
"""

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from jisr.matching import scoring

EPS = 1e-7
TOLERANCE = 1e-5  # a left-out candidate must raise the total by more than this to count
GAP = 1e-3  # stop adding candidates once the total is proven within this share of the optimum
EXACT_GAP = 1e-3  # absolute: below it the result counts as optimal
SCALE = 1 << 30  # scores to integer costs: float32 scores >= 1/64 are exact multiples of 2^-30
log = logging.getLogger("jisr.matching")
Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]


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
    lp: tuple[sp.csr_matrix, Float, float] | None = None  # the LP's constraints, bounds and optimum


def allocate(
    edges: Sequence[Edge], need_cap: dict[int, int], french_cap: dict[int, int], *, integer: bool = True
) -> Allocation:
    """The set of edges with the largest total score under the caps (see the module's docstring).

    Needs absent from ``need_cap`` and French collectivities absent from ``french_cap`` have no room.
    ``integer=False`` stops at the LP (``values`` may then be fractional, ``exact`` tells).
    """
    if not edges:
        return Allocation([], 0.0)
    width = max(len(e.members) for e in edges)
    members = np.full((len(edges), width), -1, dtype=np.int64)
    for j, e in enumerate(edges):
        members[j, : len(e.members)] = e.members
    need = np.fromiter((e.need for e in edges), dtype=np.int64, count=len(edges))
    score = np.fromiter((e.score for e in edges), dtype=np.float64, count=len(edges))
    return allocate_arrays(need, members, score, need_cap, french_cap, integer=integer)


def allocate_arrays(
    need: npt.NDArray[np.int64],
    members: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    need_cap: dict[int, int],
    french_cap: dict[int, int],
    *,
    integer: bool = True,
    method: Literal["auto", "flow", "lp"] = "auto",
) -> Allocation:
    """:func:`allocate` on arrays: edge ``j`` is need ``need[j]``, French sides ``members[j]`` (padded
    with -1) and ``score[j]``. Without pools (``auto``) the min-cost flow solves it, else the LP, whose
    constraint matrix is built with numpy, not edge by edge. ``lp`` forces the LP (tests compare)."""
    n_edges = len(need)
    if not n_edges:
        return Allocation([], 0.0)
    single = members.shape[1] == 1 or bool(np.all(members[:, 1:] < 0))
    if method == "flow" or (method == "auto" and single):
        if not single:
            raise ValueError("the min-cost flow takes single-partner candidates only")
        return allocate_flow(need, members[:, 0], score, need_cap, french_cap)
    needs, need_row = np.unique(need, return_inverse=True)
    present = members >= 0
    edge_of = np.broadcast_to(np.arange(n_edges)[:, None], members.shape)[present]
    fr_of = members[present]
    french, fr_row = np.unique(fr_of, return_inverse=True)
    rows = [need_row, len(needs) + fr_row]
    cols = [np.arange(n_edges), edge_of]
    upper = [
        np.array([float(need_cap.get(int(n), 0)) for n in needs]),
        np.array([float(french_cap.get(int(f), 0)) for f in french]),
    ]
    next_row = len(needs) + len(french)
    if members.shape[1] > 1:  # pools: a French side at most once per need
        key = need[edge_of] * (int(fr_of.max()) + 1) + fr_of
        order = np.lexsort((edge_of, key))
        key_s, edge_s = key[order], edge_of[order]
        uniq, first, counts = np.unique(key_s, return_index=True, return_counts=True)
        shared = np.flatnonzero(counts > 1)
        if len(shared):
            group = np.repeat(np.arange(len(shared)), counts[shared])
            pos = np.concatenate([np.arange(first[g], first[g] + counts[g]) for g in shared])
            rows.append(next_row + group)
            cols.append(edge_s[pos])
            upper.append(np.ones(len(shared)))
            next_row += len(shared)
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    a = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(next_row, n_edges))
    b = np.concatenate(upper)
    lp = linprog(-score, A_ub=a, b_ub=b, bounds=(0, 1), method="highs-ds")
    if lp.status != 0:  # pragma: no cover - a bounded feasible LP (x = 0 is feasible) always solves
        raise RuntimeError(f"allocation LP failed: {lp.message}")
    x = lp.x
    prices = np.maximum(0.0, -lp.ineqlin.marginals)
    need_price = dict(zip(needs.tolist(), prices[: len(needs)].tolist(), strict=True))
    french_price = dict(zip(french.tolist(), prices[len(needs) : len(needs) + len(french)].tolist(), strict=True))
    integral = bool(np.all((x < EPS) | (x > 1 - EPS)))
    alloc = Allocation(
        selected=np.flatnonzero(x > 0.5).tolist(),
        total=0.0,
        need_price=need_price,
        french_price=french_price,
        exact=integral,
        values=np.asarray(x, dtype=np.float64),
        lp=(a, b, float(-lp.fun)),
    )
    if not integral and integer:
        return make_integral(alloc, score)
    alloc.total = float(score[alloc.selected].sum())
    return alloc


def make_integral(alloc: Allocation, score: Float) -> Allocation:
    """The integer programme of a fractional LP allocation (``alloc.lp``), from its LP solution."""
    assert alloc.lp is not None
    a, b, bound = alloc.lp
    x, exact = _integer(a, b, score, alloc.values, bound)
    selected = np.flatnonzero(x > 0.5).tolist()
    return Allocation(
        selected=selected,
        total=float(score[selected].sum()),
        need_price=alloc.need_price,
        french_price=alloc.french_price,
        exact=exact,
        used_mip=True,
        values=np.asarray(x, dtype=np.float64),
        lp=alloc.lp,
    )


def allocate_flow(
    need: Int, french: Int, score: Float, need_cap: dict[int, int], french_cap: dict[int, int]
) -> Allocation:
    """The single-partner allocation by min-cost flow, with dual prices (see :func:`_flow`)."""
    if not len(need):
        return Allocation([], 0.0)
    needs, n_idx = np.unique(need, return_inverse=True)
    frs, f_idx = np.unique(french, return_inverse=True)
    cap_n = np.array([need_cap.get(int(n), 0) for n in needs], dtype=np.int64)
    cap_f = np.array([french_cap.get(int(f), 0) for f in frs], dtype=np.int64)
    x, p, q = _flow(n_idx, f_idx, _scaled(score), cap_n, cap_f)
    selected = np.flatnonzero(x)
    return Allocation(
        selected=selected.tolist(),
        total=float(score[selected].sum()),
        need_price=dict(zip(needs.tolist(), (p / SCALE).tolist(), strict=True)),
        french_price=dict(zip(frs.tolist(), (q / SCALE).tolist(), strict=True)),
        values=x.astype(np.float64),
    )


def _scaled(score: Float) -> Int:
    return np.rint(np.asarray(score, dtype=np.float64) * SCALE).astype(np.int64)


def _flow(need: Int, french: Int, cost: Int, cap_n: Int, cap_f: Int) -> tuple[npt.NDArray[np.bool_], Int, Int]:
    """Max-weight b-matching as a min-cost flow, and an optimal dual. Indexes are dense (``cap_n[need]``).

    Network: source → need (capacity ``cap_n``, cost 0) → French (capacity 1, cost ``-cost``) → sink
    (capacity ``cap_f``); an arc source → sink (cost 0) takes the supply nobody profitably uses, so no
    unprofitable edge is forced. Costs are integers, so the optimum is exact (no tolerance) and the
    solver deterministic; arcs are added in (need, French) order so the result does not depend on the
    order given. Returns the chosen edges and integer prices ``p`` (needs) and ``q`` (French), >= 0,
    with ``p[n] + q[f] >= cost`` for every edge left out, ``<=`` for every chosen one, 0 for a side
    with room left: LP duality proves the optimum (Σ cap·price + Σ chosen margins == total). They are
    shortest distances in the difference-constraint graph, found by a vectorised Bellman-Ford; they
    make need prices as high and French prices as low as possible, which rules out the most
    candidates per need. A side with capacity 0 gets a price no score reaches.
    """
    live = np.flatnonzero(cost > 0)
    present = np.unique(french[live])
    if len(present) < len(cap_f):  # French sides without a candidate: no node (their price is 0)
        local = np.minimum(np.searchsorted(present, french), max(len(present) - 1, 0))
        x, p, q_present = _flow(need, local, np.where(cost > 0, cost, 0), cap_n, cap_f[present])
        q = np.zeros(len(cap_f), dtype=np.int64)
        q[present] = q_present
        return x, p, q
    n_needs, n_fr, m = len(cap_n), len(cap_f), len(need)
    x = np.zeros(m, dtype=bool)
    use = live[(cap_n[need[live]] > 0) & (cap_f[french[live]] > 0)]
    use = use[np.lexsort((french[use], need[use]))]
    if len(use):
        demand = int(cap_n[np.unique(need[use])].sum())
        src, sink = 0, 1
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([np.zeros(n_needs, np.int64), 2 + need[use], 2 + n_needs + np.arange(n_fr), [src]]),
            np.concatenate([2 + np.arange(n_needs), 2 + n_needs + french[use], np.full(n_fr, sink), [sink]]),
            np.concatenate([cap_n, np.ones(len(use), np.int64), cap_f, [demand]]),
            np.concatenate([np.zeros(n_needs, np.int64), -cost[use], np.zeros(n_fr, np.int64), [0]]),
        )
        mcf.set_node_supply(src, demand)
        mcf.set_node_supply(sink, -demand)
        status = mcf.solve()
        if status != mcf.OPTIMAL:  # pragma: no cover - a balanced network with a bypass always solves
            raise RuntimeError(f"allocation min-cost flow failed: {status}")
        x[use] = mcf.flows(np.arange(n_needs, n_needs + len(use))) > 0
    # Dual: a[n] = p[n], b[f] = -q[f]; each constraint u - v <= w is an arc v -> u of weight w,
    # node 0 is the zero. Chosen: a - b <= c; left out: b - a <= -c; a >= 0; b <= 0; room left: a <= 0, b >= 0.
    load_n = np.bincount(need[x], minlength=n_needs)
    load_f = np.bincount(french[x], minlength=n_fr)
    a_node, b_node = 1 + need[live], 1 + n_needs + french[live]
    chosen = x[live]
    nn, ff = np.arange(n_needs), np.arange(n_fr)
    room_n, room_f = nn[load_n < cap_n], ff[load_f < cap_f]
    zeros = np.zeros
    tail = np.concatenate(
        [
            np.where(chosen, b_node, a_node),
            1 + nn,
            zeros(len(room_n), np.int64),
            zeros(n_fr, np.int64),
            1 + n_needs + room_f,
        ]
    )
    head = np.concatenate(
        [
            np.where(chosen, a_node, b_node),
            zeros(n_needs, np.int64),
            1 + room_n,
            1 + n_needs + ff,
            zeros(len(room_f), np.int64),
        ]
    )
    weight = np.concatenate(
        [np.where(chosen, cost[live], -cost[live]), zeros(n_needs + len(room_n) + n_fr + len(room_f), np.int64)]
    )
    order = np.argsort(head, kind="stable")
    tail, head, weight = tail[order], head[order], weight[order]
    heads, start = np.unique(head, return_index=True)
    big = np.iinfo(np.int64).max // 4
    dist = np.full(1 + n_needs + n_fr, big, dtype=np.int64)
    dist[0] = 0
    for _ in range(len(dist) + 1):
        from_ = dist[tail]
        reach = np.where(from_ >= big, big, from_ + weight)
        new = dist.copy()
        new[heads] = np.minimum(dist[heads], np.minimum.reduceat(reach, start))
        if np.array_equal(new, dist):
            break
        dist = new
    else:  # pragma: no cover - only a non-optimal flow has a negative cycle
        raise RuntimeError("allocation prices did not converge")
    top = int(cost.max(initial=0)) + 1
    p = np.where(dist[1 : 1 + n_needs] >= big, top, dist[1 : 1 + n_needs])
    q = -dist[1 + n_needs :]
    return x, p, q


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


def _need_prices(need: Int, members: Int, score: Float, alloc: Allocation, cap_n: Float, french_price: Float) -> Float:
    """Dual prices of the needs that prove the most (with the French prices fixed).

    The LP's own prices are one optimal dual among many (the programme is degenerate); for a full
    need any price up to its cheapest assignment's margin (score minus its French sides' prices) is
    still optimal, and a higher price rules out more left-out candidates. A need with room left
    keeps price 0.
    """
    n_needs = len(cap_n)
    lp = np.zeros(n_needs)
    if alloc.need_price:
        keys = np.fromiter(alloc.need_price.keys(), dtype=np.int64, count=len(alloc.need_price))
        lp[keys] = np.fromiter(alloc.need_price.values(), dtype=np.float64, count=len(alloc.need_price))
    used = np.flatnonzero(alloc.values > EPS)
    load = np.bincount(need[used], weights=alloc.values[used], minlength=n_needs)
    mem = members[used]
    paid = np.where(mem >= 0, french_price[np.maximum(mem, 0)], 0.0).sum(axis=1)
    margin = np.full(n_needs, np.inf)
    np.minimum.at(margin, need[used], score[used] - paid)
    full = (load >= cap_n - 1e-6) & np.isfinite(margin)
    return np.where(full, np.maximum(lp, margin), lp)


def _best_per_need(need: Int, value: npt.NDArray[Any], french: Int, mask: npt.NDArray[np.bool_], k: Int) -> Int:
    """Indexes (into the arrays) of each need's ``k[need]`` best entries by ``value`` among ``mask``,
    ties broken by French index."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return idx
    n_i, f_i, v_i = need[idx], french[idx], value[idx]
    o = scoring.order_by_need_value(n_i, v_i, f_i)
    n_o = n_i[o]
    _, first, counts = np.unique(n_o, return_index=True, return_counts=True)
    within = np.arange(len(o)) - np.repeat(first, counts)
    return np.sort(idx[o[within < k[n_o]]])


@dataclass
class _Singles:
    """The single-partner candidates known so far; grows when a need is scored whole."""

    prep: scoring.Prepared
    weights: dict[str, float]
    need: Int
    french: Int
    score: Float
    blocked_keys: Int
    expanded: npt.NDArray[np.bool_]

    def score_whole(self, needs: Int) -> None:
        """Add every candidate of ``needs`` (all French collectivities with a theme), blocked pairs excepted."""
        n_french = len(self.prep.inp.french)
        add_n, add_f, add_s = [], [], []
        for n, (fr_idx, scores) in scoring.full_rows(self.prep, self.weights, needs.tolist()).items():
            add_n.append(np.full(len(fr_idx), n, dtype=np.int64))
            add_f.append(fr_idx.astype(np.int64))
            add_s.append(scores.astype(np.float64))
        self.expanded[needs] = True
        if not add_n:
            return
        new_n, new_f, new_s = np.concatenate(add_n), np.concatenate(add_f), np.concatenate(add_s)
        # Known or blocked pairs of these needs, as a dense mask (np.isin on millions of keys is slow).
        rows = np.unique(needs)
        known = np.zeros((len(rows), n_french), dtype=bool)
        for key_n, key_f in ((self.need, self.french), (self.blocked_keys // n_french, self.blocked_keys % n_french)):
            pos = np.minimum(np.searchsorted(rows, key_n), len(rows) - 1)
            hit = rows[pos] == key_n
            known[pos[hit], key_f[hit]] = True
        fresh = ~known[np.searchsorted(rows, new_n), new_f]
        self.need = np.concatenate([self.need, new_n[fresh]])
        self.french = np.concatenate([self.french, new_f[fresh]])
        self.score = np.concatenate([self.score, new_s[fresh]])


def _first_per_need(need: Int, k: int) -> npt.NDArray[np.bool_]:
    """Mask of each need's first ``k`` entries (the arrays are grouped by need, best first)."""
    out = np.zeros(len(need), dtype=bool)
    if len(need):
        _, first, counts = np.unique(need, return_index=True, return_counts=True)
        out[np.arange(len(need)) - np.repeat(first, counts) < k] = True
    return out


LP_EXTRA = 5  # per need: candidates beyond the flow's choice that enter the first LP (best at its prices)
# ... and every candidate this close to entering at the flow's prices (score units): at full scale the
# pools' LP then needs one round instead of two (36,000 columns instead of 30,000 then 34,000).
LP_NEAR = 0.0005


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

    Each need's ``keep + reserve`` best single-partner candidates are scored and kept (the score of
    the next one is remembered as a bound on all the others). A min-cost flow allocates each need's
    ``keep`` best; its prices tell which kept candidates would raise the total (each need's best
    ``per_round`` of them enter) and, for a need with none left to add, whether its unscored ones
    might (its bound beats its price: it is scored whole); the flow is solved again until nothing
    is added. The total is then the optimum over every single-partner candidate. If a pool beats its
    need's and members' prices, the LP takes over (:func:`_lp_rounds`): the flow's choice, each
    need's next best candidates at the flow's prices and the pools enter it, and candidates its
    prices call for are added until none is left. ``blocked[need]``: French collectivities not to
    propose for it.
    """
    blocked = blocked or {}
    started = time.perf_counter()
    inp = prep.inp
    n_needs, n_french = len(inp.needs), len(inp.french)
    rows = [n for n, c in sorted(need_cap.items()) if c > 0]
    cand = scoring.score_candidates(prep, weights, keep=keep + reserve, keep_any=pool_candidates, rows=rows)
    scored = time.perf_counter()
    cap_n = np.zeros(n_needs, dtype=np.int64)
    for n, c in need_cap.items():
        if 0 <= n < n_needs:
            cap_n[n] = c
    cap_f = np.zeros(n_french, dtype=np.int64)
    for f, c in french_cap.items():
        if 0 <= f < n_french:
            cap_f[f] = c
    blocked_keys = np.fromiter(
        (n * n_french + f for n, fs in sorted(blocked.items()) for f in sorted(fs)), dtype=np.int64
    )
    ok = cand.fits & ~np.isin(cand.need * n_french + cand.french, blocked_keys)
    singles = _Singles(
        prep,
        weights,
        cand.need[ok].astype(np.int64),
        cand.french[ok].astype(np.int64),
        cand.score[ok].astype(np.float64),
        blocked_keys,
        np.zeros(n_needs, dtype=bool),
    )

    pool_edges: list[Planned] = []
    if len(cand.need):
        # Members of a pool cannot carry the need alone: only the candidates that do not fit count.
        small = np.flatnonzero(~cand.fits)
        uniq, first, counts = np.unique(cand.need[small], return_index=True, return_counts=True)
        cand_fr = cand.french[small].tolist()
        cand_score = cand.score[small].tolist()
        for n, lo, cnt in zip(uniq.tolist(), first.tolist(), counts.tolist(), strict=True):
            size = int(prep.need_size[n])
            if size <= 1:
                continue
            no = blocked.get(n, set())
            pool_in = [
                PoolCandidate(
                    cand_fr[i],
                    cand_score[i],
                    scoring.capacity_units(inp.french[cand_fr[i]].capacity),
                    inp.french[cand_fr[i]].region,
                )
                for i in range(lo, lo + cnt)
                if cand_fr[i] not in no
            ]
            for members, score in make_pools(size, pool_in, keep=top_k):
                pool_edges.append(Planned(n, members, score))
    p_need = np.array([e.need for e in pool_edges], dtype=np.int64)
    p_members = np.full((len(pool_edges), 3), -1, dtype=np.int64)
    for j, e in enumerate(pool_edges):
        p_members[j, : len(e.members)] = e.members
    p_score = np.array([e.score for e in pool_edges], dtype=np.float64)

    next_best = np.asarray(cand.next_best, dtype=np.float64)
    next_int = np.where(next_best >= 0, _scaled(next_best), -1)
    rows_arr = np.asarray(rows, dtype=np.int64)
    # 1. The single-partner optimum over every candidate (min-cost flow, exact): the flow starts from
    # each need's ``keep`` best; its prices tell which known candidates would raise the total (they
    # are added, each need's best ``per_round``) and which needs' unscored candidates might (scored whole).
    per_round = np.full(n_needs, max(keep, 2 * top_k), dtype=np.int64)
    in_flow = _first_per_need(singles.need, keep)
    rounds = 0
    while True:
        rounds += 1
        idx = np.flatnonzero(in_flow)
        cost = _scaled(singles.score)
        x_in, p_int, q_int = _flow(singles.need[idx], singles.french[idx], cost[idx], cap_n, cap_f)
        gain = cost - p_int[singles.need] - q_int[singles.french]
        better = ~in_flow & (gain > 0)
        added = _best_per_need(singles.need, gain, singles.french, better, per_round)
        # Needs whose unscored candidates might raise the total, and none of whose known ones would:
        # scored whole (a need with known candidates to add waits: its price moves first).
        doubtful = rows_arr[~singles.expanded[rows_arr] & (next_int[rows_arr] > p_int[rows_arr])]
        doubtful = doubtful[np.bincount(singles.need[added], minlength=n_needs)[doubtful] == 0]
        if len(doubtful):
            before = len(singles.need)
            singles.score_whole(doubtful)
            in_flow = np.concatenate([in_flow, np.zeros(len(singles.need) - before, dtype=bool)])
            cost = _scaled(singles.score)
            new = np.arange(before, len(singles.need))
            gain_new = cost[new] - p_int[singles.need[new]] - q_int[singles.french[new]]
            new_added = _best_per_need(singles.need[new], gain_new, singles.french[new], gain_new > 0, per_round)
            added = np.concatenate([added, before + new_added])
        log.debug(
            "flow round %d: %d candidates, %d known, %d needs scored whole, %d added",
            rounds,
            len(idx),
            len(singles.need),
            len(doubtful),
            len(added),
        )
        if not len(added) and not len(doubtful):
            break
        in_flow[added] = True
    x = np.zeros(len(singles.need), dtype=bool)
    x[idx[x_in]] = True
    chosen_j = np.flatnonzero(x)
    e_need, e_score = singles.need[chosen_j], singles.score[chosen_j]
    e_members = np.full((len(chosen_j), 3), -1, dtype=np.int64)
    e_members[:, 0] = singles.french[chosen_j]
    optimal, gap = True, 0.0
    # 2. Pools: unless one beats its need's and members' prices, that optimum is the optimum.
    if len(pool_edges):
        paid = np.where(p_members >= 0, q_int[np.maximum(p_members, 0)], 0).sum(axis=1)
        if np.any(_scaled(p_score) - p_int[p_need] - paid > 0):
            at_flow = _scaled(singles.score) - p_int[singles.need] - q_int[singles.french]
            in_lp = x.copy()
            extra = np.full(n_needs, LP_EXTRA, dtype=np.int64)
            in_lp[_best_per_need(singles.need, at_flow, singles.french, ~x, extra)] = True
            in_lp |= at_flow > -LP_NEAR * SCALE
            e_need, e_members, e_score, optimal, gap, lp_rounds = _lp_rounds(
                singles, in_lp, (p_need, p_members, p_score), need_cap, french_cap, cap_n, next_best, rows_arr,
                per_round=max(keep, 2 * top_k), max_rounds=max_rounds,
            )  # fmt: skip
            rounds += lp_rounds
    timings = {"score": scored - started, "allocate": time.perf_counter() - scored}
    chosen = [
        Planned(int(e_need[j]), tuple(int(f) for f in e_members[j] if f >= 0), float(e_score[j]))
        for j in range(len(e_need))
    ]
    return Plan(chosen, optimal, cand.scored_pairs, rounds, timings, gap)


def _lp_rounds(
    singles: _Singles,
    in_lp: npt.NDArray[np.bool_],
    pools: tuple[Int, Int, Float],
    need_cap: dict[int, int],
    french_cap: dict[int, int],
    cap_n: Int,
    next_best: Float,
    rows_arr: Int,
    *,
    per_round: int,
    max_rounds: int,
) -> tuple[Int, Int, Float, bool, float, int]:
    """Column generation with the LP when pools compete: solve over the candidates ``in_lp`` and the
    pools, price every other candidate (and each need's unscored ones by its bound), add improving
    ones, until none is left or the proven gap (Σ top_k × worst violation) is under ``GAP`` of the
    total; then make the last LP integral. Returns the chosen edges, optimal, the gap, the rounds."""
    p_need, p_members, p_score = pools
    n_needs, n_french = len(cap_n), len(singles.prep.inp.french)
    cap_n_float = cap_n.astype(np.float64)
    per_need = np.full(n_needs, per_round, dtype=np.int64)
    optimal, gap, rounds = False, 0.0, 0
    alloc = Allocation([], 0.0)
    e_need, e_members, e_score = p_need, p_members, p_score
    for rounds in range(1, max_rounds + 1):  # noqa: B007
        e_need, e_members, e_score = _lp_edges(singles, in_lp, pools)
        alloc = allocate_arrays(e_need, e_members, e_score, need_cap, french_cap, integer=False, method="lp")
        french_price = np.zeros(n_french)
        if alloc.french_price:
            keys = np.fromiter(alloc.french_price.keys(), dtype=np.int64, count=len(alloc.french_price))
            french_price[keys] = np.fromiter(
                alloc.french_price.values(), dtype=np.float64, count=len(alloc.french_price)
            )
        need_price = _need_prices(e_need, e_members, e_score, alloc, cap_n_float, french_price)
        # Needs whose best candidate beyond those kept might improve the total: score them whole.
        expanded = singles.expanded
        doubtful = rows_arr[~expanded[rows_arr] & (next_best[rows_arr] >= 0)]
        doubtful = doubtful[next_best[doubtful] > need_price[doubtful] + TOLERANCE]
        if len(doubtful):
            before = len(singles.need)
            singles.score_whole(doubtful)
            in_lp = np.concatenate([in_lp, np.zeros(len(singles.need) - before, dtype=bool)])
        gain = singles.score - need_price[singles.need] - french_price[singles.french]
        out = ~in_lp
        # How much the total could still rise (LP duality: raise each need's price by its worst
        # violation): an upper bound on the distance to the optimum.
        violation = np.zeros(n_needs)
        bound = ~singles.expanded & (next_best >= 0)
        violation[bound] = np.maximum(0.0, next_best[bound] - need_price[bound])
        np.maximum.at(violation, singles.need[out], gain[out])
        gap = float(np.dot(cap_n, np.maximum(violation, 0.0)))
        better = out & (gain > TOLERANCE)
        added = _best_per_need(singles.need, gain, singles.french, better, per_need)
        log.debug(
            "LP round %d: %d edges, LP total %.4f, gap <= %.4f, %d needs scored whole, %d candidates added",
            rounds,
            len(e_need),
            alloc.total,
            gap,
            len(doubtful),
            len(added),
        )
        if not len(added) or gap <= EXACT_GAP or gap <= GAP * alloc.total:
            optimal = not len(added) or gap <= EXACT_GAP
            break
        in_lp[added] = True
    if not alloc.exact:  # the last LP is fractional (pools sharing members): make it integral
        alloc = make_integral(alloc, e_score)
        if alloc.exact and len(e_score) <= MIP_WHOLE:
            # Column generation bounds the LP's optimum, not the integer one: a better integral choice may
            # need candidates the LP never took. Any candidate able to be in one is priced within the slack
            # (bound - this total) of a feasible dual: add them all and solve the integer programme again.
            # Its exact answer is then the optimum, whether the LP rounds ended proven or on the GAP rule.
            redo = _within_slack(
                singles, in_lp, pools, alloc.total, need_price, french_price, (cap_n, french_cap), next_best, rows_arr
            )
            if redo is not None:
                in_lp = redo
                e_need, e_members, e_score = _lp_edges(singles, in_lp, pools)
                alloc = allocate_arrays(e_need, e_members, e_score, need_cap, french_cap, method="lp")
            optimal = alloc.exact
        else:
            optimal = optimal and alloc.exact
    sel = np.asarray(alloc.selected, dtype=np.int64)
    return e_need[sel], e_members[sel], e_score[sel], optimal, gap, rounds


def _lp_edges(singles: _Singles, in_lp: npt.NDArray[np.bool_], pools: tuple[Int, Int, Float]) -> tuple[Int, Int, Float]:
    """The LP's columns: the single candidates ``in_lp``, then every pool."""
    p_need, p_members, p_score = pools
    lp_idx = np.flatnonzero(in_lp)
    single = np.full((len(lp_idx), 3), -1, dtype=np.int64)
    single[:, 0] = singles.french[lp_idx]
    return (
        np.concatenate([singles.need[lp_idx], p_need]),
        np.concatenate([single, p_members]),
        np.concatenate([singles.score[lp_idx], p_score]),
    )


def _within_slack(
    singles: _Singles,
    in_lp: npt.NDArray[np.bool_],
    pools: tuple[Int, Int, Float],
    total: float,
    need_price: Float,
    french_price: Float,
    caps: tuple[Int, dict[int, int]],
    next_best: Float,
    rows_arr: Int,
) -> npt.NDArray[np.bool_] | None:
    """The LP's candidates plus every known one that could be in an integral choice better than
    ``total`` (None when none can). A feasible dual of the whole programme: the LP's prices, each need's
    raised by its worst violation (every candidate, pool and the bound on unscored ones); its value
    bounds every choice, and a choice using a candidate priced more than ``value - total`` below zero
    totals less than ``total`` (reduced-cost fixing). Needs whose unscored candidates could be such are
    scored whole."""
    p_need, p_members, p_score = pools
    cap_n, french_cap = caps
    n_needs, n_french = len(need_price), len(french_price)
    cap_f = np.zeros(n_french)
    for f, c in french_cap.items():
        if 0 <= f < n_french:
            cap_f[f] = c
    paid = np.where(p_members >= 0, french_price[np.maximum(p_members, 0)], 0.0).sum(axis=1)
    violation = np.zeros(n_needs)
    np.maximum.at(violation, singles.need, singles.score - need_price[singles.need] - french_price[singles.french])
    np.maximum.at(violation, p_need, p_score - need_price[p_need] - paid)
    unscored = rows_arr[~singles.expanded[rows_arr] & (next_best[rows_arr] >= 0)]
    violation[unscored] = np.maximum(violation[unscored], next_best[unscored] - need_price[unscored])
    dual = need_price + violation
    slack = float(np.dot(cap_n, dual) + np.dot(cap_f, french_price)) - total
    if slack <= EXACT_GAP:
        return None
    doubtful = unscored[next_best[unscored] - dual[unscored] > -slack - TOLERANCE]
    if len(doubtful):
        before = len(singles.need)
        singles.score_whole(doubtful)
        in_lp = np.concatenate([in_lp, np.zeros(len(singles.need) - before, dtype=bool)])
    gain = singles.score - dual[singles.need] - french_price[singles.french]
    return in_lp | (gain > -slack - TOLERANCE)
