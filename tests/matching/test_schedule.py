"""The meeting scheduler: constraints hold on random instances, and it places as many meetings as possible."""

from itertools import product
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jisr.matching.schedule import Request, check, reason_labels, schedule


@st.composite
def instances(
    draw: Any, max_requests: int = 8, max_slots: int = 5
) -> tuple[int, int, list[Request], dict[str, set[int]]]:
    n_slots = draw(st.integers(0, max_slots))
    n_tables = draw(st.integers(0, 3))
    lebanese = [f"L{i}" for i in range(draw(st.integers(1, 3)))]
    french = [f"F{i}" for i in range(draw(st.integers(1, 4)))]
    requests = []
    for i in range(draw(st.integers(0, max_requests))):
        pool = draw(st.sets(st.sampled_from(french), min_size=1, max_size=min(3, len(french))))
        requests.append(Request(f"r{i}", (draw(st.sampled_from(lebanese)), *sorted(pool)), draw(st.floats(0, 1))))
    availability = {
        who: draw(st.sets(st.integers(0, max(n_slots - 1, 0)), max_size=n_slots))
        for who in lebanese + french
        if draw(st.booleans()) or draw(st.booleans())
    }
    return n_slots, n_tables, requests, availability


def best_count(n_slots: int, n_tables: int, requests: list[Request], availability: dict[str, set[int]]) -> int:
    """Exhaustive: every request either left out (-1) or in one slot."""
    best = 0
    for choice in product(range(-1, n_slots), repeat=len(requests)):
        used: dict[int, int] = {}
        people: set[tuple[str, int]] = set()
        ok = True
        for r, s in zip(requests, choice, strict=True):
            if s < 0:
                continue
            used[s] = used.get(s, 0) + 1
            for p in r.participants:
                if s not in availability.get(p, set()) or (p, s) in people:  # type: ignore[arg-type]
                    ok = False
                people.add((p, s))  # type: ignore[arg-type]
        if ok and all(c <= n_tables for c in used.values()):
            best = max(best, sum(1 for s in choice if s >= 0))
    return best


@settings(max_examples=300, deadline=None)
@given(instances())
def test_no_one_in_two_places_no_table_double_booked_everyone_accounted_for(case: Any) -> None:
    n_slots, n_tables, requests, availability = case
    result = schedule(n_slots, n_tables, requests, availability)
    assert check(n_slots, n_tables, requests, availability, result) == []
    for u in result.unplaced:
        fr, en, ar = reason_labels(u, {})
        assert fr and en and ar


@settings(max_examples=150, deadline=None)
@given(instances(max_requests=5, max_slots=3))
def test_as_many_meetings_as_possible(case: Any) -> None:
    n_slots, n_tables, requests, availability = case
    result = schedule(n_slots, n_tables, requests, availability)
    assert result.optimal
    assert len(result.placed) == best_count(n_slots, n_tables, requests, availability)


def test_reasons_for_meetings_left_out() -> None:
    requests = [
        Request("a", ("L1", "F1"), 0.9),
        Request("b", ("L1", "F2"), 0.5),  # L1 is busy with a in the only common slot
        Request("c", ("L2", "F3")),  # F3 gave no availability
        Request("d", ("L3", "F4")),  # never free together
    ]
    availability = {"L1": {0}, "F1": {0}, "F2": {0, 1}, "L2": {0}, "L3": {0}, "F4": {1}}
    result = schedule(2, 5, requests, availability)
    assert [(p.key, p.slot) for p in result.placed] == [("a", 0)]
    reasons = {u.key: u for u in result.unplaced}
    assert reasons["b"].reason == "slots_taken" and reasons["b"].blocked == (
        {"slot": 0, "busy": ["L1"], "tables_full": False},
    )
    assert reasons["c"].reason == "no_availability" and reasons["c"].participants == ("F3",)
    assert reasons["d"].reason == "no_common_slot"
    assert "Lorient" in reason_labels(reasons["c"], {"F3": "Lorient"})[0]


def test_higher_priority_first_and_earlier_slots_when_the_count_ties() -> None:
    requests = [Request("low", ("L1", "F1"), 0.1), Request("high", ("L1", "F2"), 0.9)]
    availability = {"L1": {2, 3}, "F1": {3}, "F2": {3}}
    result = schedule(4, 1, requests, availability)
    assert [(p.key, p.slot) for p in result.placed] == [("high", 3)]
    result = schedule(4, 1, [Request("x", ("L1", "F1"))], {"L1": {1, 2, 3}, "F1": {1, 2, 3}})
    assert [(p.slot, p.table) for p in result.placed] == [(1, 0)]


def test_tables_fill_up() -> None:
    requests = [Request(f"r{i}", (f"L{i}", f"F{i}")) for i in range(3)]
    availability = {who: {0} for i in range(3) for who in (f"L{i}", f"F{i}")}
    result = schedule(1, 2, requests, availability)
    assert sorted(p.table for p in result.placed) == [0, 1]
    assert [u.reason for u in result.unplaced] == ["slots_taken"]
    assert result.unplaced[0].blocked[0]["tables_full"] is True
