"""Bilateral meetings of a field mission: which pair meets when, at which table. Pure: no database.

Input: the mission's time slots (in order), its tables, the meetings asked for (each with the
collectivities that must attend: the Lebanese side and one to three French ones) and the slots each
collectivity is available in. Constraints:

* a meeting takes one slot and one table, and only a slot every participant is available in;
* no collectivity attends two meetings in the same slot;
* no table hosts two meetings in the same slot.

The schedule places as many meetings as possible (an integer programme solved by HiGHS; among
schedules of that size it prefers the higher-priority meetings, then earlier slots). Every meeting
left out comes with the reason, in French, English and Arabic.
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass(frozen=True)
class Request:
    key: Hashable  # the proposal's id
    participants: tuple[Hashable, ...]  # collectivity ids
    priority: float = 0.0  # in [0, 1]: the proposal's score


@dataclass(frozen=True)
class Placement:
    key: Hashable
    slot: int  # index into the slots given
    table: int  # index into the tables given


@dataclass(frozen=True)
class Unplaced:
    key: Hashable
    reason: str  # no_table | no_availability | no_common_slot | slots_taken
    participants: tuple[Hashable, ...] = ()  # who has no availability (no_availability)
    blocked: tuple[dict[str, Any], ...] = ()  # slots_taken: per common slot, who was busy / tables full


@dataclass
class Schedule:
    placed: list[Placement] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    optimal: bool = True


def schedule(
    n_slots: int,
    n_tables: int,
    requests: Sequence[Request],
    availability: Mapping[Hashable, set[int] | frozenset[int]],
    *,
    time_limit: float = 20.0,
) -> Schedule:
    """The largest schedule of ``requests`` over slots ``0..n_slots-1`` and tables ``0..n_tables-1``.

    A participant absent from ``availability`` is available in no slot.
    """
    common: list[list[int]] = []
    for r in requests:
        slots = set(range(n_slots))
        for p in r.participants:
            slots &= set(availability.get(p, ()))
        common.append(sorted(slots))
    variables = [(i, s) for i, slots in enumerate(common) for s in slots] if n_tables > 0 else []
    chosen: dict[int, int] = {}
    optimal = True
    if variables:
        n_req = max(len(requests), 1)
        eps = 0.5 / (n_req * 2)
        delta = 0.4 / (n_req * max(n_slots, 1))
        weight = np.array(
            [1 + eps * min(max(requests[i].priority, 0.0), 1.0) - delta * s for i, s in variables], dtype=np.float64
        )
        rows: list[int] = []
        cols: list[int] = []
        upper: list[float] = []
        groups: dict[tuple[str, Hashable, int], list[int]] = defaultdict(list)
        for j, (i, s) in enumerate(variables):
            groups[("request", i, 0)].append(j)
            groups[("slot", 0, s)].append(j)
            for p in set(requests[i].participants):
                groups[("who", p, s)].append(j)
        for (kind, _, _), js in groups.items():
            row = len(upper)
            upper.append(float(n_tables) if kind == "slot" else 1.0)
            rows.extend([row] * len(js))
            cols.extend(js)
        a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(upper), len(variables)))
        res = milp(
            -weight,
            constraints=LinearConstraint(a, -np.inf, np.array(upper)),
            integrality=np.ones(len(variables)),
            bounds=Bounds(0, 1),
            options={"time_limit": time_limit},
        )
        optimal = res.status == 0
        if res.x is not None:
            for j, (i, s) in enumerate(variables):
                if res.x[j] > 0.5:
                    chosen[i] = s
    out = Schedule(optimal=optimal)
    tables_used: dict[int, int] = defaultdict(int)
    busy: dict[int, set[Hashable]] = defaultdict(set)
    for i in sorted(chosen, key=lambda i: (chosen[i], i)):
        s = chosen[i]
        out.placed.append(Placement(requests[i].key, s, tables_used[s]))
        tables_used[s] += 1
        busy[s].update(requests[i].participants)
    for i, r in enumerate(requests):
        if i in chosen:
            continue
        if n_tables <= 0:
            out.unplaced.append(Unplaced(r.key, "no_table"))
            continue
        missing = tuple(p for p in r.participants if not availability.get(p))
        if missing:
            out.unplaced.append(Unplaced(r.key, "no_availability", participants=missing))
        elif not common[i]:
            out.unplaced.append(Unplaced(r.key, "no_common_slot"))
        else:
            blocked = tuple(
                {
                    "slot": s,
                    "busy": sorted((p for p in r.participants if p in busy[s]), key=str),
                    "tables_full": tables_used[s] >= n_tables,
                }
                for s in common[i]
            )
            out.unplaced.append(Unplaced(r.key, "slots_taken", blocked=blocked))
    return out


REASONS = {
    "no_table": (
        "Aucune table n'est disponible.",
        "No table is available.",
        "لا توجد طاولة متاحة.",
    ),
    "no_availability": (
        "Disponibilités non renseignées : {who}.",
        "No availability given by: {who}.",
        "لم يحدد التوفر: {who}.",
    ),
    "no_common_slot": (
        "Aucun créneau commun aux participants.",
        "The participants have no slot in common.",
        "لا يوجد موعد مشترك بين المشاركين.",
    ),
    "slots_taken": (
        "Tous les créneaux communs sont pris ({n}) : participant déjà en rendez-vous ou tables complètes.",
        "Every common slot is taken ({n}): a participant is already in a meeting or the tables are full.",
        "جميع المواعيد المشتركة محجوزة ({n}): أحد المشاركين في اجتماع آخر أو الطاولات ممتلئة.",
    ),
}


def reason_labels(u: Unplaced, names: Mapping[Hashable, str]) -> tuple[str, str, str]:
    who = ", ".join(names.get(p, str(p)) for p in u.participants)
    fr, en, ar = REASONS[u.reason]
    return (
        fr.format(who=who, n=len(u.blocked)),
        en.format(who=who, n=len(u.blocked)),
        ar.format(who=who.replace(", ", "، "), n=len(u.blocked)),
    )


def check(
    n_slots: int,
    n_tables: int,
    requests: Sequence[Request],
    availability: Mapping[Hashable, set[int] | frozenset[int]],
    result: Schedule,
) -> list[str]:
    """Every broken constraint of ``result`` (empty when it is valid). Used by tests and the API."""
    problems: list[str] = []
    by_key = {r.key: r for r in requests}
    seen: set[Hashable] = set()
    tables: set[tuple[int, int]] = set()
    people: set[tuple[Hashable, int]] = set()
    for p in result.placed:
        r = by_key.get(p.key)
        if r is None or p.key in seen:
            problems.append(f"{p.key}: unknown or placed twice")
            continue
        seen.add(p.key)
        if not (0 <= p.slot < n_slots and 0 <= p.table < n_tables):
            problems.append(f"{p.key}: slot or table out of range")
        if (p.slot, p.table) in tables:
            problems.append(f"table {p.table} double-booked in slot {p.slot}")
        tables.add((p.slot, p.table))
        for who in set(r.participants):
            if p.slot not in availability.get(who, ()):
                problems.append(f"{who} not available in slot {p.slot}")
            if (who, p.slot) in people:
                problems.append(f"{who} in two places in slot {p.slot}")
            people.add((who, p.slot))
    unplaced = {u.key for u in result.unplaced}
    if seen & unplaced or (seen | unplaced) != set(by_key):
        problems.append("every request must be either placed or reported unplaced, once")
    return problems
