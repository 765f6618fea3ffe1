"""Random matching inputs for property tests (pure: no database)."""

import uuid
from typing import Any

from hypothesis import strategies as st

from jisr.matching import scoring

# A small theme tree: two roots with children.
TAGS = [
    scoring.Tag(uuid.UUID(int=1), -1, "Environnement", "Environment", "البيئة"),
    scoring.Tag(uuid.UUID(int=2), 0, "Eau", "Water", "المياه"),
    scoring.Tag(uuid.UUID(int=3), 0, "Déchets", "Waste", "النفايات"),
    scoring.Tag(uuid.UUID(int=4), -1, "Culture", "Culture", "الثقافة"),
    scoring.Tag(uuid.UUID(int=5), 3, "Patrimoine", "Heritage", "التراث"),
]
GOVS = ["LB-JA", "LB-BA", "LB-NA"]
tag_sets = st.frozensets(st.integers(0, len(TAGS) - 1), max_size=3)
langs = st.frozensets(st.sampled_from(["fr", "en", "ar"]), max_size=2)
population = st.one_of(st.none(), st.integers(500, 2_000_000))


@st.composite
def french(draw: Any, i: int) -> scoring.French:
    return scoring.French(
        id=uuid.UUID(int=1000 + i),
        name=f"FR{i}",
        kind=draw(st.sampled_from(scoring.FR_KINDS)),
        population=draw(population),
        capacity=draw(st.sampled_from([None, "low", "medium", "high"])),
        region=draw(st.sampled_from([None, "11", "84"])),
        preferred_governorates=draw(st.frozensets(st.sampled_from(GOVS), max_size=2)),
        languages=draw(langs),
        expertise=draw(tag_sets),
        offers=draw(st.frozensets(st.integers(0, len(TAGS) - 1), max_size=1)),
    )


@st.composite
def inputs(
    draw: Any, max_french: int = 5, max_lebanese: int = 3, max_needs: int = 4, budgets: bool = True
) -> scoring.ScoringInput:
    n_fr = draw(st.integers(1, max_french))
    n_lb = draw(st.integers(1, max_lebanese))
    fr = [draw(french(i)) for i in range(n_fr)]
    lb = [
        scoring.Lebanese(
            id=uuid.UUID(int=2000 + i),
            name=f"LB{i}",
            kind=draw(st.sampled_from(["municipality", "union_of_municipalities", "other"])),
            population=draw(population),
            governorate=draw(st.sampled_from([None, *GOVS])),
            languages=draw(langs),
        )
        for i in range(n_lb)
    ]
    needs = [
        scoring.NeedIn(
            id=uuid.UUID(int=3000 + i),
            lebanese=draw(st.integers(0, n_lb - 1)),
            tags=tuple(sorted(draw(st.frozensets(st.integers(0, len(TAGS) - 1), min_size=1, max_size=2)))),
            estimated_budget_eur=draw(st.one_of(st.none(), st.integers(0, 900_000))) if budgets else None,
        )
        for i in range(draw(st.integers(1, max_needs)))
    ]
    partnerships = [
        scoring.PartnershipIn(
            french=draw(st.integers(0, n_fr - 1)),
            lebanese=draw(st.integers(0, n_lb - 1)),
            status=draw(st.sampled_from(["active", "dormant", "ended", "planned"])),
            tags=draw(tag_sets),
            started_year=draw(st.one_of(st.none(), st.integers(1990, 2020))),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    excluded = draw(st.frozensets(st.tuples(st.integers(0, n_lb - 1), st.integers(0, n_fr - 1)), max_size=2))
    return scoring.ScoringInput(TAGS, fr, lb, needs, partnerships, {}, excluded)
