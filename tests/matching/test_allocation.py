"""The allocation is the exhaustive optimum on small cases; pruning plus prices loses nothing; pools follow the rule."""

from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jisr.matching import allocation, scoring
from tests.matching.strategies import inputs


def feasible(
    edges: list[allocation.Edge], chosen: tuple[int, ...], need_cap: dict[int, int], french_cap: dict[int, int]
) -> bool:
    per_need: dict[int, int] = {}
    per_french: dict[int, int] = {}
    pairs: set[tuple[int, int]] = set()
    for j in chosen:
        e = edges[j]
        per_need[e.need] = per_need.get(e.need, 0) + 1
        for f in e.members:
            per_french[f] = per_french.get(f, 0) + 1
            if (e.need, f) in pairs:
                return False
            pairs.add((e.need, f))
    return all(c <= need_cap.get(n, 0) for n, c in per_need.items()) and all(
        c <= french_cap.get(f, 0) for f, c in per_french.items()
    )


def exhaustive(edges: list[allocation.Edge], need_cap: dict[int, int], french_cap: dict[int, int]) -> float:
    best = 0.0
    for k in range(1, len(edges) + 1):
        for chosen in combinations(range(len(edges)), k):
            if feasible(edges, chosen, need_cap, french_cap):
                best = max(best, sum(edges[j].score for j in chosen))
    return best


@st.composite
def instances(draw: Any, pools: bool) -> tuple[list[allocation.Edge], dict[int, int], dict[int, int]]:
    n_need, n_fr = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    edges: list[allocation.Edge] = []
    seen: set[tuple[int, tuple[int, ...]]] = set()
    for _ in range(draw(st.integers(0, 10))):
        need = draw(st.integers(0, n_need - 1))
        size = draw(st.sampled_from([1, 1, 2, 3])) if pools else 1
        members = tuple(
            sorted(draw(st.sets(st.integers(0, n_fr - 1), min_size=min(size, n_fr), max_size=min(size, n_fr))))
        )
        if (need, members) in seen:
            continue
        seen.add((need, members))
        edges.append(allocation.Edge(need, members, draw(st.integers(1, 100)) / 100))
    need_cap = {n: draw(st.integers(0, 2)) for n in range(n_need)}
    french_cap = {f: draw(st.integers(0, 2)) for f in range(n_fr)}
    return edges, need_cap, french_cap


@settings(max_examples=200, deadline=None)
@given(instances(pools=False))
def test_allocation_equals_the_exhaustive_optimum(case: Any) -> None:
    edges, need_cap, french_cap = case
    result = allocation.allocate(edges, need_cap, french_cap)
    assert feasible(edges, tuple(result.selected), need_cap, french_cap)
    assert result.total == pytest.approx(exhaustive(edges, need_cap, french_cap), abs=1e-9)
    assert result.exact and not result.used_mip  # bipartite: the LP vertex is integral


@settings(max_examples=200, deadline=None)
@given(instances(pools=True))
def test_allocation_with_pools_equals_the_exhaustive_optimum(case: Any) -> None:
    edges, need_cap, french_cap = case
    result = allocation.allocate(edges, need_cap, french_cap)
    assert feasible(edges, tuple(result.selected), need_cap, french_cap)
    assert result.total == pytest.approx(exhaustive(edges, need_cap, french_cap), abs=1e-9)


def test_a_fractional_lp_falls_back_to_the_integer_programme() -> None:
    # Three pools pairwise sharing one French collectivity (cap 1 each): the LP takes each at 1/2.
    edges = [allocation.Edge(0, (0, 1), 1.0), allocation.Edge(1, (1, 2), 1.0), allocation.Edge(2, (0, 2), 1.0)]
    result = allocation.allocate(edges, {0: 1, 1: 1, 2: 1}, {0: 1, 1: 1, 2: 1})
    assert result.used_mip and result.exact and len(result.selected) == 1


def all_edges(inp: scoring.ScoringInput, weights: dict[str, float]) -> list[allocation.Edge]:
    ref = scoring.PairScorer(inp)
    out = []
    for n, need in enumerate(inp.needs):
        for f, fr in enumerate(inp.french):
            s = scoring.score_pair(ref, n, f, weights)
            if s is not None and scoring.capacity_units(fr.capacity) >= scoring.need_size(need.estimated_budget_eur):
                out.append(allocation.Edge(n, (f,), s))
    return out


@settings(max_examples=120, deadline=None)
@given(inputs(max_french=6, max_needs=5, budgets=False), st.integers(1, 3), st.integers(1, 3))
def test_pruned_plan_reaches_the_optimum_over_every_candidate(inp: scoring.ScoringInput, top_k: int, cap: int) -> None:
    w = scoring.DEFAULT_WEIGHTS
    need_cap = dict.fromkeys(range(len(inp.needs)), top_k)
    french_cap = dict.fromkeys(range(len(inp.french)), cap)
    plan = allocation.plan(scoring.Prepared(inp), w, top_k=top_k, need_cap=need_cap, french_cap=french_cap, keep=1)
    full = allocation.allocate(all_edges(inp, w), need_cap, french_cap)
    assert plan.optimal
    assert sum(e.score for e in plan.chosen) == pytest.approx(full.total, abs=1e-4)  # float32 scores
    chosen = [allocation.Edge(e.need, e.members, e.score) for e in plan.chosen]
    assert feasible(chosen, tuple(range(len(chosen))), need_cap, french_cap)


@settings(max_examples=40, deadline=None)
@given(inputs())
def test_plans_are_deterministic(inp: scoring.ScoringInput) -> None:
    def once() -> list[allocation.Planned]:
        need_cap = dict.fromkeys(range(len(inp.needs)), 2)
        french_cap = dict.fromkeys(range(len(inp.french)), 1)
        return allocation.plan(
            scoring.Prepared(inp), scoring.DEFAULT_WEIGHTS, top_k=2, need_cap=need_cap, french_cap=french_cap, keep=2
        ).chosen

    assert once() == once()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 4),
    st.lists(st.tuples(st.integers(1, 99), st.integers(1, 3), st.sampled_from([None, "11", "84"])), max_size=8),
)
def test_pools_follow_the_rule(size: int, raw: list[tuple[int, int, str | None]]) -> None:
    cands = [allocation.PoolCandidate(i, s / 100, u, r) for i, (s, u, r) in enumerate(raw)]
    by_id = {c.french: c for c in cands}
    pools = allocation.make_pools(size, cands, keep=50)
    assert len({p[0] for p in pools}) == len(pools)
    for members, score in pools:
        group = [by_id[m] for m in members]
        assert 2 <= len(group) <= 3
        assert len({c.region for c in group}) == 1 and group[0].region is not None
        total = sum(c.units for c in group)
        assert total >= size and all(total - c.units < size for c in group)  # enough, and minimal
        assert all(c.units < size for c in group)  # nobody who could carry the need alone
        assert score == pytest.approx(sum(c.score for c in group) / len(group))
        assert [c.score for c in group] == sorted((c.score for c in group), reverse=True)
    assert [p[1] for p in pools] == sorted((p[1] for p in pools), reverse=True)
    assert allocation.make_pools(1, cands, keep=50) == []
