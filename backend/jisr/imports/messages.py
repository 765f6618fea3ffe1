"""Import errors in the language of the file's headers (French unless every header is the API's English
name), with a suggestion for near misses ("Baalbeck" → Baalbek, "Eau" → Eau et assainissement)."""

import difflib
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


def near(value: str, candidates: Iterable[str], *, limit: int = 2) -> list[str]:
    """Names close to ``value``: folded spelling within a few letters ("Baalbeck" ~ "Baalbek"), or a name that
    starts with what was written ("Eau" → "Eau et assainissement")."""
    by_fold: dict[str, str] = {}
    for c in candidates:
        if c:
            by_fold.setdefault(fold(c), c)
    target = fold(value)
    if not target:
        return []
    close = difflib.get_close_matches(target, list(by_fold), n=limit, cutoff=0.8)
    if len(close) < limit and len(target) >= 3:
        starts = sorted(f for f in by_fold if f.startswith(target + " ") and f not in close)
        close += starts[: limit - len(close)]
    return [by_fold[f] for f in close]


def file_language(headers: Iterable[str], canonical: set[str]) -> str:
    """``en`` when every header is the API's own (English) column name; French otherwise."""
    given = [fold(h) for h in headers if h and not h.startswith("#")]
    return "en" if given and all(h in canonical for h in given) else "fr"
