"""Scores: the vectorised scorer agrees with the pair-by-pair reference; factor rules with known answers."""

import uuid

import numpy as np
import pytest
from hypothesis import given, settings

from jisr.matching import scoring
from tests.matching.strategies import TAGS, inputs

W = scoring.DEFAULT_WEIGHTS


@settings(max_examples=150, deadline=None)
@given(inputs())
def test_vectorised_scores_equal_the_pairwise_reference(inp: scoring.ScoringInput) -> None:
    prep = scoring.Prepared(inp)
    cand = scoring.score_candidates(prep, W, keep=100, keep_any=100, chunk_elements=3)
    got = {(int(n), int(f)): float(s) for n, f, s in zip(cand.need, cand.french, cand.score, strict=True)}
    assert len(got) == len(cand.need)  # each pair once
    ref = scoring.PairScorer(inp)
    for n in range(len(inp.needs)):
        for f in range(len(inp.french)):
            values, eligible = ref.factors(n, f)
            if not eligible:
                assert (n, f) not in got
                continue
            assert (n, f) in got, (n, f)
            score = got[(n, f)]
            assert score == pytest.approx(scoring.weighted(values, W), abs=1e-5)
            assert -1e-6 <= score <= 1 + 1e-6
            fits = scoring.capacity_units(inp.french[f].capacity) >= scoring.need_size(
                inp.needs[n].estimated_budget_eur
            )
            assert bool(cand.fits[list(zip(cand.need, cand.french, strict=True)).index((n, f))]) == fits


@settings(max_examples=60, deadline=None)
@given(inputs())
def test_keep_returns_the_best_fitting_candidates_and_the_next_best_score(inp: scoring.ScoringInput) -> None:
    prep = scoring.Prepared(inp)
    cand = scoring.score_candidates(prep, W, keep=1)
    ref = scoring.PairScorer(inp)
    for n in range(len(inp.needs)):
        scores = sorted(
            (
                s
                for f in range(len(inp.french))
                if (s := scoring.score_pair(ref, n, f, W)) is not None
                and scoring.capacity_units(inp.french[f].capacity)
                >= scoring.need_size(inp.needs[n].estimated_budget_eur)
            ),
            reverse=True,
        )
        kept = [float(s) for m, s, ok in zip(cand.need, cand.score, cand.fits, strict=True) if m == n and ok]
        assert kept == pytest.approx(scores[:1], abs=1e-5)
        assert cand.next_best[n] == pytest.approx(scores[1] if len(scores) > 1 else -1.0, abs=1e-5)


def one_pair(expertise: frozenset[int], need_tags: tuple[int, ...], **partnership: object) -> scoring.PairScorer:
    fr = scoring.French(uuid.uuid4(), "F", "commune", expertise=expertise)
    lb = scoring.Lebanese(uuid.uuid4(), "L", "municipality", governorate="LB-JA")
    ps = [scoring.PartnershipIn(0, 0, **partnership)] if partnership else []  # type: ignore[arg-type]
    return scoring.PairScorer(scoring.ScoringInput(TAGS, [fr], [lb], [scoring.NeedIn(uuid.uuid4(), 0, need_tags)], ps))


@pytest.mark.parametrize(
    "expertise, need_tags, value",
    [
        ({1}, (1,), 1.0),  # same tag
        ({0}, (1,), scoring.PARTIAL_CREDIT),  # the parent of the need's tag
        ({1}, (0,), scoring.PARTIAL_CREDIT),  # a child of the need's tag
        ({2}, (1,), 0.0),  # a sibling earns nothing
        ({4}, (1,), 0.0),  # another branch
        ({1}, (1, 4), 0.5),  # half of the need's themes
    ],
)
def test_theme_credit(expertise: set[int], need_tags: tuple[int, ...], value: float) -> None:
    assert one_pair(frozenset(expertise), need_tags).theme(0, 0)[0] == value


def test_history_rules() -> None:
    relaunch = one_pair(frozenset({1}), (1,), status="dormant", tags=frozenset({1}))
    assert relaunch.history(0, 0)[:2] == (scoring.HISTORY_RELAUNCH_SAME_THEME, "relaunch") and relaunch.is_relaunch(
        0, 0
    )
    other = one_pair(frozenset({1}), (1,), status="ended", tags=frozenset({4}))
    assert other.history(0, 0)[0] == scoring.HISTORY_RELAUNCH_OTHER_THEME
    active_same = one_pair(frozenset({1}), (1,), status="active", tags=frozenset({0}))
    assert active_same.factors(0, 0)[1] is False  # already partners on this theme: not proposed
    active_other = one_pair(frozenset({1}), (1,), status="active", tags=frozenset({4}))
    assert active_other.factors(0, 0)[1] is True and not active_other.is_relaunch(0, 0)
    assert active_other.history(0, 0)[0] == scoring.HISTORY_ACTIVE_OTHER_THEME


def test_weights_are_checked() -> None:
    with pytest.raises(ValueError):
        scoring.normalise_weights({"luck": 1})
    with pytest.raises(ValueError):
        scoring.normalise_weights({"theme": 0})
    assert scoring.normalise_weights({"theme": 2})["history"] == 0


def test_every_reason_renders_in_three_languages() -> None:
    scorer = one_pair(
        frozenset({0, 1}), (1, 2), status="dormant", tags=frozenset({1}), started_year=2012, ended_year=2016
    )
    labels = {str(t.id): (t.label_fr, t.label_en, t.label_ar) for t in TAGS}
    for reason in scoring.explain(scorer, 0, 0):
        fr, en, ar = scoring.render(reason, labels, {"LB-JA": ("Liban-Sud", "South Lebanon", "الجنوب")})
        assert fr and en and ar and fr != en
    history = scoring.render(scoring.explain(scorer, 0, 0)[1], labels, {})
    assert history == (
        "Partenariat 2012–2016 en sommeil sur eau",
        "Dormant partnership 2012–2016 on Water",
        "شراكة متوقفة 2012–2016 في مجال المياه",
    )


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_the_order_by_need_value_is_the_documented_order(dtype: str) -> None:
    """Candidates by (need, value descending, French), equal keys in index order: the packed-key sort
    (int64, float32) and the lexsort fallback (float64) both give the order Python's stable sort gives,
    ties and negative integers included."""
    rng = np.random.default_rng(7)
    for _ in range(100):
        need, tie = rng.integers(0, 50, 300), rng.integers(0, 40, 300)
        raw = rng.integers(-5, 6, 300) if dtype == "int64" else rng.integers(0, 6, 300) / 4
        value = raw.astype(dtype)
        keys = list(zip(need.tolist(), value.tolist(), tie.tolist(), strict=True))
        expected = sorted(range(len(keys)), key=lambda i: (keys[i][0], -keys[i][1], keys[i][2]))
        assert scoring.order_by_need_value(need, value, tie).tolist() == expected
