"""Import errors in the language of the file's headers (French unless every header is the API's English
name), with a suggestion for near misses ("Baalbeck" → Baalbek, "Eau" → Eau et assainissement)."""

import bisect
import difflib
import math
from collections.abc import Iterable

from jisr.core.text import fold

MESSAGES: dict[str, dict[str, str]] = {
    "no_collectivity": {
        "fr": "Aucune collectivité « {name} ».",
        "en": "No collectivity '{name}'.",
    },
    "unknown_tag": {
        "fr": "Thème inconnu « {value} » : écrivez un thème de /api/v1/tags (libellé en français, anglais ou arabe, "
        "ou identifiant).",
        "en": "Unknown tag '{value}': use a slug or a label (fr, en or ar) from /api/v1/tags.",
    },
    "did_you_mean": {"fr": " Vouliez-vous dire {suggestion} ?", "en": " Did you mean {suggestion}?"},
    "or": {"fr": " ou ", "en": " or "},
}


def say(lang: str, key: str, **values: str) -> str:
    texts = MESSAGES[key]
    return texts.get(lang, texts["fr"]).format(**values)


def with_suggestion(lang: str, message: str, suggestions: list[str]) -> str:
    if not suggestions:
        return message
    joined = say(lang, "or").join(suggestions[:2])
    return message + say(lang, "did_you_mean", suggestion=joined)


class NearIndex:
    """Candidates folded once, for many look-ups: ``near`` on 35,000 French names folded them all again per
    call (0.65 s each). A near miss is looked for among names of the same first or the same last letter (a
    misspelling rarely touches both: "Baalbeck", "Bcharre", "Vaalbek") and of a length that can reach the cutoff
    (``difflib``'s ratio of two strings is at most ``2 * min / (len_a + len_b)``): a tenth of the names or
    less. Prefixes ("Eau" → "Eau et assainissement") are found by bisection."""

    CUTOFF = 0.8

    def __init__(self, candidates: Iterable[str]):
        self.by_fold: dict[str, str] = {}
        for c in candidates:
            if c:
                self.by_fold.setdefault(fold(c), c)
        self.buckets: dict[tuple[str, int], list[str]] = {}  # ("b^", 7): 7 letters starting with b; ("$k", 7)
        for f in self.by_fold:
            self.buckets.setdefault((f[0] + "^", len(f)), []).append(f)
            self.buckets.setdefault(("$" + f[-1], len(f)), []).append(f)
        self.ordered = sorted(self.by_fold)

    def near(self, value: str, *, limit: int = 2) -> list[str]:
        target = fold(value)
        if not target:
            return []
        n = len(target)
        # ratio >= cutoff needs 2 * min(n, m) >= cutoff * (n + m): m within [n * c / (2 - c), n * (2 - c) / c].
        low = math.ceil(n * self.CUTOFF / (2 - self.CUTOFF) - 1e-9)
        high = math.floor(n * (2 - self.CUTOFF) / self.CUTOFF + 1e-9)
        pool = dict.fromkeys(
            f
            for m in range(low, high + 1)
            for key in ((target[0] + "^", m), ("$" + target[-1], m))
            for f in self.buckets.get(key, ())
        )
        close = difflib.get_close_matches(target, pool, n=limit, cutoff=self.CUTOFF)
        if len(close) < limit and len(target) >= 3:
            prefix = target + " "
            i = bisect.bisect_left(self.ordered, prefix)
            while len(close) < limit and i < len(self.ordered) and self.ordered[i].startswith(prefix):
                if self.ordered[i] not in close:
                    close.append(self.ordered[i])
                i += 1
        return [self.by_fold[f] for f in close]


def near(value: str, candidates: Iterable[str], *, limit: int = 2) -> list[str]:
    """Names close to ``value``: folded spelling within a few letters ("Baalbeck" ~ "Baalbek"), or a name that
    starts with what was written ("Eau" → "Eau et assainissement"). For one look-up; ``NearIndex`` for many."""
    return NearIndex(candidates).near(value, limit=limit)


def file_language(headers: Iterable[str], canonical: set[str]) -> str:
    """``en`` when every header is the API's own (English) column name; French otherwise."""
    given = [fold(h) for h in headers if h and not h.startswith("#")]
    return "en" if given and all(h in canonical for h in given) else "fr"
