"""Scores of (need, French collectivity) pairs: named, weighted factors, each explained in fr/en/ar.

Pure: no database. The service turns rows into a :class:`ScoringInput`; this module scores every
pair at once with numpy (:func:`score_candidates`) and explains the pairs that end up proposed
(:func:`explain`). :func:`score_pair` is the same arithmetic written pair by pair in plain Python: the
reference the vectorised code is tested against, and the benchmark's baseline.

Factors (each a value in [0, 1]; the score is their weighted mean):

* ``theme`` — the need's tags against what the French side brings: its expertise tags, the tags of
  its open offers and of its partnerships. A tag held exactly earns 1; its parent or one of its
  children earns ``PARTIAL_CREDIT``. The value is the mean over the need's tags. A pair whose theme
  value is 0 is never proposed.
* ``history`` — a dormant or ended partnership of the pair (a relaunch: 1.0 on a related theme,
  0.8 otherwise); an active partnership of the pair on other themes (0.6); an active partnership of
  the French side elsewhere in the same governorate (0.5) or elsewhere in Lebanon (0.25).
* ``scale`` — kinds that work together (commune ↔ municipality, EPCI ↔ union, département / région ↔
  union or large city) and, for communes and EPCIs, the ratio of populations.
* ``capacity`` — the French side's declared capacity (low / medium / high).
* ``preferences`` — the French side's preferred governorates and a shared working language.
"""

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FACTORS = ("theme", "history", "scale", "capacity", "preferences")
DEFAULT_WEIGHTS: dict[str, float] = {"theme": 0.4, "history": 0.25, "scale": 0.15, "capacity": 0.1, "preferences": 0.1}
PARTIAL_CREDIT = 0.5

FR_KINDS = ("commune", "epci", "departement", "region", "other")
LARGE_CITY = 100_000
# Rows: French kind; columns: Lebanese class (municipality, large city, union, other).
KIND_FIT = np.array(
    [
        [1.0, 0.8, 0.5, 0.5],  # commune
        [0.6, 0.9, 1.0, 0.5],  # epci
        [0.3, 1.0, 1.0, 0.5],  # departement
        [0.2, 1.0, 0.9, 0.5],  # region
        [0.5, 0.5, 0.5, 0.5],  # other
    ]
)
_FR_KIND_INDEX = {k: i for i, k in enumerate(FR_KINDS)}
_KIND_FIT_ROWS: tuple[tuple[float, ...], ...] = tuple(tuple(row) for row in KIND_FIT.tolist())  # pair by pair
POPULATION_KINDS = (0, 1)  # communes and EPCIs: the population ratio matters too
CAPACITY_UNITS = {"low": 1, "medium": 2, "high": 3}
LANGUAGE_BITS = {"fr": 1, "en": 2, "ar": 4}
# estimated_budget_eur below each bound -> size in capacity units; above the last: 4.
BUDGET_BANDS = ((100_000, 1), (300_000, 2), (600_000, 3))

HISTORY_RELAUNCH_SAME_THEME = 1.0
HISTORY_RELAUNCH_OTHER_THEME = 0.8
HISTORY_ACTIVE_OTHER_THEME = 0.6
HISTORY_SAME_GOVERNORATE = 0.5
HISTORY_LEBANON = 0.25

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


# --- input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    id: uuid.UUID
    parent: int  # index in ScoringInput.tags, -1 for a root
    label_fr: str
    label_en: str
    label_ar: str


@dataclass(frozen=True)
class French:
    id: uuid.UUID
    name: str
    kind: str
    population: int | None = None
    capacity: str | None = None
    region: str | None = None
    preferred_governorates: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    expertise: frozenset[int] = frozenset()  # tag indexes
    offers: frozenset[int] = frozenset()  # tags of its open offers


@dataclass(frozen=True)
class Lebanese:
    id: uuid.UUID
    name: str
    kind: str
    population: int | None = None
    governorate: str | None = None
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NeedIn:
    id: uuid.UUID
    lebanese: int  # index in ScoringInput.lebanese
    tags: tuple[int, ...]
    estimated_budget_eur: int | None = None


@dataclass(frozen=True)
class PartnershipIn:
    french: int
    lebanese: int
    status: str  # active | dormant | ended | planned
    tags: frozenset[int] = frozenset()
    started_year: int | None = None
    ended_year: int | None = None
    last_activity_year: int | None = None


@dataclass
class ScoringInput:
    tags: list[Tag]
    french: list[French]
    lebanese: list[Lebanese]
    needs: list[NeedIn]
    partnerships: list[PartnershipIn] = field(default_factory=list)
    governorate_names: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # code -> (fr, en, ar)
    # (lebanese index, french index) pairs never to propose (declined or rejected before)
    excluded_pairs: frozenset[tuple[int, int]] = frozenset()


# --- shared small rules ----------------------------------------------------------------------


def need_size(budget: int | None) -> int:
    """How many capacity units a need takes (unknown budget: 1, anyone fits)."""
    if budget is None:
        return 1
    for bound, size in BUDGET_BANDS:
        if budget < bound:
            return size
    return 4


def capacity_units(capacity: str | None) -> int:
    return CAPACITY_UNITS.get(capacity or "", 1)


def lb_class(c: Lebanese) -> int:
    if c.kind == "union_of_municipalities":
        return 2
    if c.kind == "municipality":
        return 1 if (c.population or 0) >= LARGE_CITY else 0
    return 3


def fr_kind(c: French) -> int:
    return _FR_KIND_INDEX.get(c.kind, 4)


def language_mask(langs: frozenset[str]) -> int:
    return sum(LANGUAGE_BITS.get(x, 0) for x in langs)


def normalise_weights(weights: dict[str, float]) -> dict[str, float]:
    """Every factor's weight (absent ones: 0). Raises ValueError on unknown names or a zero total."""
    unknown = sorted(set(weights) - set(FACTORS))
    if unknown:
        raise ValueError(f"unknown factor(s): {', '.join(unknown)}; use {', '.join(FACTORS)}")
    out = {f: float(weights.get(f, 0.0)) for f in FACTORS}
    if any(v < 0 or not math.isfinite(v) for v in out.values()):
        raise ValueError("weights must be finite and not negative")
    if sum(out.values()) <= 0:
        raise ValueError("at least one weight must be positive")
    return out


def _children(tags: list[Tag]) -> list[set[int]]:
    kids: list[set[int]] = [set() for _ in tags]
    for i, t in enumerate(tags):
        if t.parent >= 0:
            kids[t.parent].add(i)
    return kids


def _related(tags: list[Tag], kids: list[set[int]], t: int) -> set[int]:
    """Tags that earn partial credit for ``t``: its parent and its children."""
    rel = set(kids[t])
    if tags[t].parent >= 0:
        rel.add(tags[t].parent)
    return rel


def partnership_tags_by_french(inp: ScoringInput) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in inp.french]
    for p in inp.partnerships:
        out[p.french] |= p.tags
    return out


def theme_sources(inp: ScoringInput) -> list[dict[int, str]]:
    """Per French collectivity: tag -> where it comes from (expertise, offer, partnership)."""
    ptags = partnership_tags_by_french(inp)
    out: list[dict[int, str]] = []
    for i, f in enumerate(inp.french):
        src: dict[int, str] = {}
        for t in ptags[i]:
            src[t] = "partnership"
        for t in f.offers:
            src[t] = "offer"
        for t in f.expertise:
            src[t] = "expertise"
        out.append(src)
    return out


# --- the reference: one pair at a time, plain Python ----------------------------------------------


class PairScorer:
    """Scores one pair at a time. Slow and obvious: the reference and the baseline."""

    def __init__(self, inp: ScoringInput, sources: list[dict[int, str]] | None = None):
        self.inp = inp
        self.kids = _children(inp.tags)
        self.sources = theme_sources(inp) if sources is None else sources
        self.tag_ids = [str(t.id) for t in inp.tags]
        self.by_pair: dict[tuple[int, int], list[PartnershipIn]] = {}
        self.active_govs: list[set[str]] = [set() for _ in inp.french]
        for p in inp.partnerships:
            self.by_pair.setdefault((p.lebanese, p.french), []).append(p)
            if p.status == "active":
                gov = inp.lebanese[p.lebanese].governorate
                self.active_govs[p.french].add(gov or "")

    def related_to_need(self, need: NeedIn, tags: frozenset[int] | set[int]) -> bool:
        return any(t in tags or _related(self.inp.tags, self.kids, t) & tags for t in need.tags)

    def theme(self, n: int, f: int) -> tuple[float, list[tuple[int, int, float, str]]]:
        need = self.inp.needs[n]
        src = self.sources[f]
        if not need.tags:
            return 0.0, []
        total, matches = 0.0, []
        for t in need.tags:
            if t in src:
                total += 1.0
                matches.append((t, t, 1.0, src[t]))
                continue
            rel = sorted(r for r in _related(self.inp.tags, self.kids, t) if r in src)
            if rel:
                total += PARTIAL_CREDIT
                matches.append((t, rel[0], PARTIAL_CREDIT, src[rel[0]]))
        return total / len(need.tags), matches

    def history(self, n: int, f: int) -> tuple[float, str, PartnershipIn | None, bool]:
        """(value, reason code, partnership, excluded: active partnership on the same theme)."""
        need = self.inp.needs[n]
        best: tuple[float, str, PartnershipIn | None] = (0.0, "none", None)
        for p in self.by_pair.get((need.lebanese, f), []):
            related = not p.tags or self.related_to_need(need, p.tags)
            if p.status in ("active", "planned"):
                if related:
                    return 0.0, "active_same_theme", p, True
                cand = (HISTORY_ACTIVE_OTHER_THEME, "active_other_theme", p)
            else:
                value = HISTORY_RELAUNCH_SAME_THEME if related else HISTORY_RELAUNCH_OTHER_THEME
                cand = (value, "relaunch", p)
            if cand[0] > best[0]:
                best = cand
        if best[0] == 0.0:
            gov = self.inp.lebanese[need.lebanese].governorate
            if gov and gov in self.active_govs[f]:
                best = (HISTORY_SAME_GOVERNORATE, "same_governorate", None)
            elif self.active_govs[f]:
                best = (HISTORY_LEBANON, "lebanon", None)
        return best[0], best[1], best[2], False

    def is_relaunch(self, n: int, f: int) -> bool:
        lb = self.inp.needs[n].lebanese
        return any(p.status in ("dormant", "ended") for p in self.by_pair.get((lb, f), []))

    def scale(self, n: int, f: int) -> float:
        fr = self.inp.french[f]
        lb = self.inp.lebanese[self.inp.needs[n].lebanese]
        k = fr_kind(fr)
        kind_fit = _KIND_FIT_ROWS[k][lb_class(lb)]
        if k not in POPULATION_KINDS:
            return kind_fit
        return kind_fit * (0.6 + 0.4 * population_fit(fr.population, lb.population))

    def capacity(self, f: int) -> float:
        return capacity_units(self.inp.french[f].capacity) / 3

    def preferences(self, n: int, f: int) -> float:
        fr = self.inp.french[f]
        lb = self.inp.lebanese[self.inp.needs[n].lebanese]
        if not fr.preferred_governorates or not lb.governorate:
            gov = 0.5
        else:
            gov = 1.0 if lb.governorate in fr.preferred_governorates else 0.0
        shared = bool(fr.languages & lb.languages)
        lang = 0.5 if not fr.languages or not lb.languages else float(shared)
        return 0.5 * gov + 0.5 * lang

    def factors(self, n: int, f: int) -> tuple[dict[str, float], bool]:
        """Factor values and whether the pair may be proposed at all."""
        theme, _ = self.theme(n, f)
        hist, _, _, excluded = self.history(n, f)
        values = {
            "theme": theme,
            "history": hist,
            "scale": self.scale(n, f),
            "capacity": self.capacity(f),
            "preferences": self.preferences(n, f),
        }
        lb = self.inp.needs[n].lebanese
        eligible = theme > 0 and not excluded and (lb, f) not in self.inp.excluded_pairs
        return values, eligible


def population_fit(a: int | None, b: int | None) -> float:
    if not a or not b:
        return 0.5
    return 1.0 - min(1.0, abs(math.log10(a) - math.log10(b)) / 2)


def weighted(values: dict[str, float], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    return sum(weights[k] * values[k] for k in FACTORS) / total


def score_pair(scorer: PairScorer, n: int, f: int, weights: dict[str, float]) -> float | None:
    """The score of one pair, or None when it may not be proposed."""
    values, eligible = scorer.factors(n, f)
    return weighted(values, weights) if eligible else None


# --- vectorised: every pair at once -----------------------------------------------------------


@dataclass
class Candidates:
    """Per need, its best eligible French sides: flat arrays sorted by (need, score desc)."""

    need: Int
    french: Int  # index into ScoringInput.french
    score: F32
    fits: npt.NDArray[np.bool_]  # can carry the need alone (capacity units >= the need's size)
    # Per need: the best score of an eligible French side that fits and was left out (-1 when none).
    next_best: Float
    scored_pairs: int = 0


class Prepared:
    """Arrays built once per input (float32, one column per French collectivity that has a theme)."""

    def __init__(self, inp: ScoringInput):
        self.inp = inp
        tags = inp.tags
        n_tags = max(len(tags), 1)
        sources = theme_sources(inp)
        held = np.zeros((len(inp.french), n_tags), dtype=np.float32)
        for i, src in enumerate(sources):
            if src:
                held[i, list(src)] = 1.0
        related = np.zeros((n_tags, n_tags), dtype=np.float32)  # related[a, b]: holding a earns part of b
        for b, tag in enumerate(tags):
            if tag.parent >= 0:
                related[tag.parent, b] = 1.0
                related[b, tag.parent] = 1.0
        credit = np.maximum(held, PARTIAL_CREDIT * ((held @ related) > 0))
        # Only French collectivities with some theme can ever be proposed.
        self.cols: Int = np.flatnonzero(credit.any(axis=1)).astype(np.int64)
        self.credit_t = np.ascontiguousarray(credit[self.cols].T)  # (tags, m)
        m = len(self.cols)
        fr = [inp.french[i] for i in self.cols]

        self.need_lb = np.array([nd.lebanese for nd in inp.needs], dtype=np.int64)
        self.need_size = np.array([need_size(nd.estimated_budget_eur) for nd in inp.needs], dtype=np.int64)
        self.need_tags = np.zeros((len(inp.needs), n_tags), dtype=np.float32)
        for i, nd in enumerate(inp.needs):
            for t in nd.tags:
                self.need_tags[i, t] += 1.0 / len(nd.tags)
        # A need has a few tags: a sparse product, one thread, instead of BLAS's threads on two shared cores.
        self.need_tags_sparse = sp.csr_matrix(self.need_tags)

        govs = sorted(
            {c.governorate for c in inp.lebanese if c.governorate} | {g for f in fr for g in f.preferred_governorates}
        )
        gov_index = {g: i for i, g in enumerate(govs)}
        unknown = len(govs)
        self.lb_gov = np.array([gov_index.get(c.governorate or "", unknown) for c in inp.lebanese], dtype=np.int64)
        self.lb_class = np.array([lb_class(c) for c in inp.lebanese], dtype=np.int64)
        self.lb_lang = np.array([language_mask(c.languages) for c in inp.lebanese], dtype=np.int64)
        self.lb_logpop = np.array([math.log10(c.population) if c.population else np.nan for c in inp.lebanese])

        self.fr_units = np.array([capacity_units(f.capacity) for f in fr], dtype=np.int64)
        self.fr_capacity = (self.fr_units / 3).astype(np.float32)
        kinds = np.array([fr_kind(f) for f in fr], dtype=np.int64)
        self.fr_kindfit = KIND_FIT[kinds].astype(np.float32)  # (m, classes)
        self.fr_popkind = np.isin(kinds, POPULATION_KINDS)
        self.fr_logpop = np.array([math.log10(f.population) if f.population else np.nan for f in fr])

        # By governorate (+1 column: unknown): preference and experience of each French side.
        pref = np.full((m, unknown + 1), 0.5, dtype=np.float32)
        hist = np.zeros((m, unknown + 1), dtype=np.float32)
        active_govs: list[set[str]] = [set() for _ in inp.french]
        for p in inp.partnerships:
            if p.status == "active":
                active_govs[p.french].add(inp.lebanese[p.lebanese].governorate or "")
        for j, f in enumerate(fr):
            if f.preferred_governorates:
                pref[j, :unknown] = 0.0
                pref[j, [gov_index[g] for g in f.preferred_governorates]] = 1.0
            active = active_govs[self.cols[j]]
            if active:
                hist[j, :] = HISTORY_LEBANON
                for g in active:
                    if g in gov_index:
                        hist[j, gov_index[g]] = HISTORY_SAME_GOVERNORATE
        self.fr_govpref_t = np.ascontiguousarray(pref.T)  # (governorates + 1, m)
        self.fr_hist_t = np.ascontiguousarray(hist.T)
        lang_table = np.full((8, 8), 0.5, dtype=np.float32)
        for a in range(1, 8):
            for b in range(1, 8):
                lang_table[a, b] = 1.0 if a & b else 0.0
        fr_lang = np.array([language_mask(f.languages) for f in fr], dtype=np.int64)
        self.fr_lang_t = np.ascontiguousarray(lang_table[fr_lang].T)  # (8, m)

        # Pair-level facts by Lebanese index: partnerships (column, partnership) and refused columns.
        self.col_of = {int(c): j for j, c in enumerate(self.cols)}
        self.pairs: dict[int, list[tuple[int, PartnershipIn]]] = {}
        for p in inp.partnerships:
            if p.french in self.col_of:
                self.pairs.setdefault(p.lebanese, []).append((self.col_of[p.french], p))
        self.excluded: dict[int, list[int]] = {}
        for lb_i, fr_i in inp.excluded_pairs:
            if fr_i in self.col_of:
                self.excluded.setdefault(lb_i, []).append(self.col_of[fr_i])
        self.scorer = PairScorer(inp, sources)  # the same facts pair by pair (history rules, reasons)
        self._base_key: tuple[tuple[str, float], ...] | None = None
        self._base_cache: F32 = np.zeros((0, m), dtype=np.float32)
        self._base_row: Int = np.zeros(0, dtype=np.int64)

    def _base(self, lbs: Int, w: dict[str, float]) -> F32:
        """The part of the score that depends on the Lebanese side only: (len(lbs), m)."""
        base = w["history"] * self.fr_hist_t[self.lb_gov[lbs]]
        if w["scale"]:
            scale = self.fr_kindfit[:, self.lb_class[lbs]].T
            # population fit 1 - min(1, |Δ log10| / 2), 0.5 when unknown; in place (memory-bound)
            diff = np.subtract.outer(self.lb_logpop[lbs], self.fr_logpop)
            np.abs(diff, out=diff)
            unknown = np.isnan(diff)
            np.divide(diff, 2, out=diff)
            np.minimum(diff, 1.0, out=diff)
            np.subtract(1.0, diff, out=diff)
            diff[unknown] = 0.5
            fit = diff.astype(np.float32)
            fit *= 0.4
            fit += 0.6
            fit *= scale
            scale = np.where(self.fr_popkind[None, :], fit, scale)
            base += w["scale"] * scale
        if w["capacity"]:
            base += w["capacity"] * self.fr_capacity[None, :]
        if w["preferences"]:
            base += (0.5 * w["preferences"]) * self.fr_govpref_t[self.lb_gov[lbs]]
            base += (0.5 * w["preferences"]) * self.fr_lang_t[self.lb_lang[lbs]]
        return base.astype(np.float32, copy=False)

    def _bases(self, w: dict[str, float]) -> F32:
        """:meth:`_base` of every Lebanese side with a need (rows by ``_base_row``), computed once per
        weights: a run scores some needs twice (kept candidates, then the whole row)."""
        key = tuple(sorted(w.items()))
        if self._base_key != key:
            used = np.unique(self.need_lb)
            self._base_row = np.full(len(self.inp.lebanese), -1, dtype=np.int64)
            self._base_row[used] = np.arange(len(used))
            step = max(1, 500_000 // max(len(self.cols), 1))
            parts = [self._base(used[i : i + step], w) for i in range(0, len(used), step)]
            m = len(self.cols)
            self._base_cache = np.concatenate(parts) if parts else np.zeros((0, m), dtype=np.float32)
            self._base_key = key
        return self._base_cache

    def scores(self, rows: Int, weights: dict[str, float]) -> F32:
        """Scores of needs ``rows`` × every column, -1 where the pair may not be proposed."""
        total = sum(weights.values())
        w = {k: v / total for k, v in weights.items()}
        lb = self.need_lb[rows]
        theme = np.asarray(self.need_tags_sparse[rows] @ self.credit_t, dtype=np.float32)
        score = w["theme"] * theme
        score += self._bases(w)[self._base_row[lb]]
        score[theme <= 0] = -1.0
        for r, n in enumerate(rows.tolist()):
            lb_n = int(lb[r])
            if lb_n in self.pairs or lb_n in self.excluded:
                self._pair_overrides(n, lb_n, score[r], w["history"], theme[r])
        return score

    def _pair_overrides(self, n: int, lb: int, row: F32, w_hist: float, theme: F32) -> None:
        """History of the pair itself (relaunch, partners already) replaces the regional value."""
        need = self.inp.needs[n]
        regional = self.fr_hist_t[self.lb_gov[lb]]
        best: dict[int, float] = {}
        blocked = set(self.excluded.get(lb, ()))
        for col, p in self.pairs.get(lb, ()):
            related = not p.tags or self.scorer.related_to_need(need, p.tags)
            if p.status in ("active", "planned"):
                if related:
                    blocked.add(col)
                    continue
                value = HISTORY_ACTIVE_OTHER_THEME
            else:
                value = HISTORY_RELAUNCH_SAME_THEME if related else HISTORY_RELAUNCH_OTHER_THEME
            best[col] = max(best.get(col, 0.0), value)
        for col, value in best.items():
            if theme[col] > 0:
                row[col] += w_hist * (value - regional[col])
        for col in blocked:
            row[col] = -1.0


def _top_rows(mat: F32, k: int) -> tuple[Int, F32]:
    """Per row, the columns of the ``k`` largest entries, ordered by (value desc, column)."""
    m = mat.shape[1]
    if k <= 0:
        return np.zeros((mat.shape[0], 0), dtype=np.int64), np.zeros((mat.shape[0], 0), dtype=np.float32)
    idx = np.argpartition(-mat, k - 1, axis=1)[:, :k] if k < m else np.broadcast_to(np.arange(m), mat.shape).copy()
    vals = np.take_along_axis(mat, idx, axis=1)
    order = np.lexsort((idx, -vals), axis=1)
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)


def order_by_need_value(need: Int, value: npt.NDArray[Any], tie: Int) -> Int:
    """The order by (need, value descending, tie): one stable sort of packed int64 keys when they fit
    in 63 bits (integer values, or non-negative float32 ones by their bits, which order as the floats
    do), else a lexsort. Used for candidates by score and by integer gain at the flow's prices."""
    if not len(need):
        return np.zeros(0, dtype=np.int64)
    if np.issubdtype(value.dtype, np.integer):
        lo = int(value.min())
        rank, top = value.astype(np.int64) - lo, int(value.max()) - lo
    elif value.dtype == np.float32 and float(value.min()) >= 0:
        rank, top = (value + np.float32(0)).view(np.uint32).astype(np.int64), 0xFFFFFFFF  # -0.0 → 0.0
    else:
        return np.lexsort((tie, -value, need))
    vb, tb = top.bit_length(), int(tie.max()).bit_length()
    if min(int(need.min()), int(tie.min())) < 0 or int(need.max()).bit_length() + vb + tb > 63:
        return np.lexsort((tie, -value, need))
    return np.argsort((need << (vb + tb)) | ((top - rank) << tb) | tie, kind="stable")


def score_candidates(
    prep: Prepared,
    weights: dict[str, float],
    *,
    keep: int,
    keep_any: int = 0,
    rows: Sequence[int] | None = None,
    chunk_elements: int = 500_000,
) -> Candidates:
    """For each need, its ``keep`` best eligible French sides able to carry it alone, plus, for needs
    larger than one partner (pooling), those among its ``keep_any`` best eligible ones that cannot
    (the others are in the first list, or under its bound ``next_best``)."""
    w = normalise_weights(weights)
    m = len(prep.cols)
    all_rows = np.arange(len(prep.inp.needs), dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    all_rows = all_rows[np.argsort(prep.need_lb[all_rows], kind="stable")]  # needs of one Lebanese side together
    next_best = np.full(len(prep.inp.needs), -1.0)
    parts: list[tuple[Int, Int, F32]] = []
    if m == 0 or len(all_rows) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, np.zeros(0, np.float32), np.zeros(0, bool), next_best)
    step = max(1, chunk_elements // m)
    for start in range(0, len(all_rows), step):
        rows_c = all_rows[start : start + step]
        score = prep.scores(rows_c, w)
        big = prep.need_size[rows_c] > 1
        single = score
        if big.any():
            single = score.copy()
            single[big] = np.where(prep.fr_units[None, :] >= prep.need_size[rows_c[big]][:, None], score[big], -1.0)
        idx, vals = _top_rows(single, keep + 1)
        if idx.shape[1] > keep:
            next_best[rows_c] = vals[:, keep]
            idx, vals = idx[:, :keep], vals[:, :keep]
        ok = vals >= 0
        parts.append((np.repeat(rows_c, ok.sum(axis=1)), idx[ok], vals[ok]))
        if keep_any and big.any():
            # Those that fit are the fitting list's (or under its bound): only the others are added.
            idx2, vals2 = _top_rows(score[big], keep_any)
            ok2 = (vals2 >= 0) & (prep.fr_units[idx2] < prep.need_size[rows_c[big]][:, None])
            parts.append((np.repeat(rows_c[big], ok2.sum(axis=1)), idx2[ok2], vals2[ok2]))
    need = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts])
    order = order_by_need_value(need, scores, cols)
    need, cols, scores = need[order], cols[order], scores[order]
    fits = prep.fr_units[cols] >= prep.need_size[need]
    return Candidates(need, prep.cols[cols], scores, fits, next_best, len(all_rows) * m)


def full_rows(
    prep: Prepared, weights: dict[str, float], rows: Sequence[int], *, chunk_elements: int = 500_000
) -> dict[int, tuple[Int, F32]]:
    """Every eligible French side able to carry each need of ``rows`` alone: (French indexes, scores)."""
    w = normalise_weights(weights)
    m = len(prep.cols)
    out: dict[int, tuple[Int, F32]] = {}
    rows_arr = np.asarray(sorted(rows), dtype=np.int64)
    if m == 0 or not len(rows_arr):
        return out
    step = max(1, chunk_elements // m)
    for start in range(0, len(rows_arr), step):
        rows_c = rows_arr[start : start + step]
        score = prep.scores(rows_c, w)
        fits = prep.fr_units[None, :] >= prep.need_size[rows_c][:, None]
        ok = fits & (score >= 0)
        for r, n in enumerate(rows_c.tolist()):
            cols = np.flatnonzero(ok[r])
            out[n] = (prep.cols[cols], score[r, cols])
    return out


# --- explanations --------------------------------------------------------------------------------
#
# A proposal stores its reasons compactly: {"factor", "weight", "value", "code", "params"} with tag
# and governorate codes in ``params``; :func:`render` writes the sentences in French, English and
# Arabic when the proposal is read (tag labels come from the theme tree of that moment).

KIND_LABELS: dict[str, tuple[str, str, str]] = {
    "commune": ("commune", "municipality", "بلدية"),
    "epci": ("intercommunalité", "inter-municipal body", "تجمع بلديات فرنسي"),
    "departement": ("département", "département", "مقاطعة"),
    "region": ("région", "region", "منطقة"),
    "municipality": ("municipalité", "municipality", "بلدية"),
    "union_of_municipalities": ("union de municipalités", "union of municipalities", "اتحاد بلديات"),
    "other": ("autre collectivité", "other authority", "سلطة محلية أخرى"),
}
CAPACITY_LABELS = {
    "low": ("faible", "low", "ضعيفة"),
    "medium": ("moyenne", "medium", "متوسطة"),
    "high": ("élevée", "high", "عالية"),
}
SOURCE_LABELS = {
    "expertise": ("expertise", "expertise", "خبرة"),
    "offer": ("offre", "offer", "عرض"),
    "partnership": ("partenariat", "partnership", "شراكة"),
}
LANGUAGE_LABELS = {
    "fr": ("français", "French", "الفرنسية"),
    "en": ("anglais", "English", "الإنجليزية"),
    "ar": ("arabe", "Arabic", "العربية"),
}
Labels = tuple[str, str, str]


def explain(scorer: PairScorer, n: int, f: int) -> list[dict[str, Any]]:
    """Every factor of one pair: value, a reason code and the facts the sentence needs."""
    inp = scorer.inp
    need = inp.needs[n]
    fr = inp.french[f]
    lb = inp.lebanese[need.lebanese]
    tid = scorer.tag_ids
    out: list[dict[str, Any]] = []

    theme, matches = scorer.theme(n, f)
    out.append(
        {
            "factor": "theme",
            "value": theme,
            "code": "theme" if matches else "none",
            "params": {
                "exact": [[tid[m[1]], m[3]] for m in matches if m[2] == 1.0],
                "near": [[tid[m[1]], m[3]] for m in matches if m[2] < 1.0],
            },
        }
    )
    hist, code, p, _ = scorer.history(n, f)
    hp: dict[str, Any] = {"governorate": lb.governorate}
    if p is not None:
        hp.update(
            status=p.status,
            start=p.started_year,
            end=p.ended_year or p.last_activity_year,
            tags=sorted(tid[t] for t in p.tags),
        )
    out.append({"factor": "history", "value": hist, "code": code, "params": hp})
    sp_: dict[str, Any] = {"french_kind": fr.kind, "lebanese_kind": lb.kind}
    if fr_kind(fr) in POPULATION_KINDS and fr.population and lb.population:
        sp_.update(french_population=fr.population, lebanese_population=lb.population)
    out.append({"factor": "scale", "value": scorer.scale(n, f), "code": "scale", "params": sp_})
    out.append(
        {"factor": "capacity", "value": scorer.capacity(f), "code": "capacity", "params": {"capacity": fr.capacity}}
    )
    pp: dict[str, Any] = {"governorate": lb.governorate, "preferred": None, "languages": None}
    if fr.preferred_governorates and lb.governorate:
        pp["preferred"] = lb.governorate in fr.preferred_governorates
    if fr.languages and lb.languages:
        pp["languages"] = sorted(fr.languages & lb.languages)
    out.append({"factor": "preferences", "value": scorer.preferences(n, f), "code": "preferences", "params": pp})
    return out


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _join(items: Sequence[str], lang: int) -> str:
    return ("، " if lang == 2 else ", ").join(items)


def render(reason: dict[str, Any], tags: Mapping[str, Labels], governorates: Mapping[str, Labels]) -> Labels:
    """The sentence of one stored reason, in French, English and Arabic."""
    code, p = reason.get("code"), reason.get("params") or {}
    if code == "pool":  # one sentence per member of a pool, each after the member's name
        members = [
            (m.get("name", ""), render({**m, "factor": reason.get("factor")}, tags, governorates))
            for m in p.get("members", [])
        ]
        return (
            " | ".join(f"{name} : {lab[0]}" for name, lab in members),
            " | ".join(f"{name}: {lab[1]}" for name, lab in members),
            " | ".join(f"{name}: {lab[2]}" for name, lab in members),
        )

    def tag(t: str, lang: int) -> str:
        label = tags.get(t, (t, t, t))[lang]
        return label[:1].lower() + label[1:] if lang == 0 else label

    def tag_list(ts: Sequence[str], lang: int) -> str:
        if not ts:
            return ("des thèmes non précisés", "unspecified themes", "مواضيع غير محددة")[lang]
        return _join([tag(t, lang) for t in ts], lang)

    gcode = p.get("governorate") or ""
    gov = governorates.get(gcode, (gcode, gcode, gcode))
    if reason.get("factor") == "theme":
        if code == "none":
            return ("Aucun thème en commun", "No shared theme", "لا مواضيع مشتركة")
        parts: list[list[str]] = [[], [], []]
        for key, heads in (
            ("exact", ("Thèmes en commun : ", "Shared themes: ", "مواضيع مشتركة: ")),
            ("near", ("Thèmes voisins : ", "Related themes: ", "مواضيع قريبة: ")),
        ):
            if p.get(key):
                for lang in range(3):
                    items = [f"{tag(t, lang)} ({SOURCE_LABELS.get(src, (src,) * 3)[lang]})" for t, src in p[key]]
                    parts[lang].append(heads[lang] + _join(items, lang))
        return (" ; ".join(parts[0]), "; ".join(parts[1]), "؛ ".join(parts[2]))
    if reason.get("factor") == "history":
        start, end = p.get("start"), p.get("end")
        y = f" {start}–{end}" if start and end and start != end else (f" {start or end}" if start or end else "")
        ts = p.get("tags") or []
        if code == "relaunch" and p.get("status") == "dormant":
            return (
                f"Partenariat{y} en sommeil sur {tag_list(ts, 0)}",
                f"Dormant partnership{y} on {tag_list(ts, 1)}",
                f"شراكة متوقفة{y} في مجال {tag_list(ts, 2)}",
            )
        if code == "relaunch":
            return (
                f"Partenariat{y} terminé sur {tag_list(ts, 0)}",
                f"Ended partnership{y} on {tag_list(ts, 1)}",
                f"شراكة منتهية{y} في مجال {tag_list(ts, 2)}",
            )
        if code == "active_other_theme":
            return (
                f"Déjà partenaires sur {tag_list(ts, 0)}",
                f"Already partners on {tag_list(ts, 1)}",
                f"شريكان حالياً في مجال {tag_list(ts, 2)}",
            )
        if code == "same_governorate":
            return (
                f"Partenariat actif ailleurs dans le gouvernorat {gov[0]}",
                f"Active partnership elsewhere in the {gov[1]} governorate",
                f"شراكة نشطة في مكان آخر في محافظة {gov[2]}",
            )
        if code == "lebanon":
            return (
                "Déjà engagée dans un partenariat actif au Liban",
                "Already in an active partnership in Lebanon",
                "لديها شراكة نشطة في لبنان",
            )
        return (
            "Aucun partenariat antérieur entre les deux collectivités",
            "No previous partnership between the two authorities",
            "لا شراكة سابقة بين السلطتين",
        )
    if reason.get("factor") == "scale":
        kf = KIND_LABELS.get(p.get("french_kind") or "other", KIND_LABELS["other"])
        kl = KIND_LABELS.get(p.get("lebanese_kind") or "other", KIND_LABELS["other"])
        pops = ("", "", "")
        if p.get("french_population") and p.get("lebanese_population"):
            a, b = _fmt_int(p["french_population"]), _fmt_int(p["lebanese_population"])
            pops = (f", {a} et {b} habitants", f", {a} and {b} inhabitants", f"، {a} و{b} نسمة")
        return (
            f"{kf[0].capitalize()} ↔ {kl[0]}{pops[0]}",
            f"{kf[1].capitalize()} ↔ {kl[1]}{pops[1]}",
            f"{kf[2]} ↔ {kl[2]}{pops[2]}",
        )
    if reason.get("factor") == "capacity":
        cap = CAPACITY_LABELS.get(p.get("capacity") or "")
        if cap is None:
            return ("Capacité non déclarée", "Capacity not declared", "القدرة غير معلنة")
        return (f"Capacité déclarée : {cap[0]}", f"Declared capacity: {cap[1]}", f"القدرة المعلنة: {cap[2]}")
    if reason.get("factor") == "preferences":
        bits: list[list[str]] = [[], [], []]
        if p.get("preferred") is True:
            bits[0].append(f"préfère le gouvernorat {gov[0]}")
            bits[1].append(f"prefers the {gov[1]} governorate")
            bits[2].append(f"تفضّل محافظة {gov[2]}")
        elif p.get("preferred") is False:
            bits[0].append(f"préfère d'autres gouvernorats que {gov[0]}")
            bits[1].append(f"prefers governorates other than {gov[1]}")
            bits[2].append(f"تفضّل محافظات غير {gov[2]}")
        langs = p.get("languages")
        if langs:
            for lang, head in enumerate(("langue commune : ", "shared language: ", "لغة مشتركة: ")):
                bits[lang].append(head + _join([LANGUAGE_LABELS.get(x, (x,) * 3)[lang] for x in langs], lang))
        elif langs == []:
            bits[0].append("aucune langue commune")
            bits[1].append("no shared language")
            bits[2].append("لا لغة مشتركة")
        if not bits[0]:
            return ("Préférences non déclarées", "No stated preferences", "لا تفضيلات معلنة")
        fr_, en = " ; ".join(bits[0]), "; ".join(bits[1])
        return (fr_[:1].upper() + fr_[1:], en[:1].upper() + en[1:], "؛ ".join(bits[2]))
    if reason.get("factor") == "pooling":
        count = p.get("count", 2)
        return (
            f"Groupement de {count} collectivités françaises d'une même région : cofinancement de 60 % au lieu de 50 %",
            f"Pool of {count} French authorities from one region: 60 % co-financing instead of 50 %",
            f"تجمّع من {count} سلطات محلية فرنسية من منطقة واحدة: تمويل مشترك بنسبة 60٪ بدلاً من 50٪",
        )
    return (str(code), str(code), str(code))
