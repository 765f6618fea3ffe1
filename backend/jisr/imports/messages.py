"""Import errors in the language of the file's headers (French unless every header is the API's English
name), with a suggestion for near misses ("Baalbeck" → Baalbek, "Eau" → Eau et assainissement)."""

import bisect
import difflib
import math
from collections.abc import Iterable
from typing import Any

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
    "unknown_column": {
        "fr": "Colonne inconnue « {column} ». Colonnes connues : {known} ; `ref:<source>` pour les références "
        "externes ; une colonne dont le nom commence par # est ignorée.",
        "en": "Unknown column '{column}'. Known columns: {known}; `ref:<source>` for external references; a header "
        "starting with # is ignored.",
    },
    "beyond_columns": {
        "fr": "Une valeur au-delà de la dernière colonne nommée. Colonnes connues : {known}.",
        "en": "Unknown column a value beyond the last named column. Known columns: {known}; `ref:<source>` for "
        "external references; a header starting with # is ignored.",
    },
    "not_one_of": {
        "fr": "« {value} » n'est pas une valeur permise ({allowed}).",
        "en": "'{value}' is not one of {allowed}",
    },
    "unknown_governorate": {
        "fr": "Gouvernorat inconnu « {value} » : écrivez son code ({codes}) ou son nom.",
        "en": "Unknown governorate '{value}'; use a code ({codes}) or its name",
    },
    "not_uuid": {"fr": "« {value} » n'est pas un identifiant (UUID).", "en": "'{value}' is not an id (UUID)"},
    "not_date": {
        "fr": "« {value} » n'est pas une date : écrivez 2021-06-15 ou 15/06/2021.",
        "en": "'{value}' is not a date: write 2021-06-15 or 15/06/2021",
    },
    "not_moment": {
        "fr": "« {value} » n'est pas une date et une heure : écrivez 15/06/2021 14:30, 2021-06-15T14:30 ou "
        "2021-06-15T14:30+03:00.",
        "en": "'{value}' is not a date and time: write 15/06/2021 14:30, 2021-06-15T14:30 or 2021-06-15T14:30+03:00",
    },
    "not_whole_number": {"fr": "« {value} » n'est pas un nombre entier.", "en": "'{value}' is not a whole number"},
    "not_year": {"fr": "« {value} » n'est pas une année.", "en": "'{value}' is not a year"},
    "not_number": {"fr": "« {value} » n'est pas un nombre.", "en": "'{value}' is not a number"},
    "not_yes_no": {
        "fr": "« {value} » n'est ni oui ni non (oui/non, true/false, 1/0).",
        "en": "'{value}' is not yes/no (oui/non, true/false, 1/0)",
    },
    "not_speaker": {
        "fr": "« {value} » n'est pas un intervenant : écrivez Nom (Organisation) | Nom.",
        "en": "'{value}' is not a speaker: write Name (Organisation) | Name",
    },
    "required": {
        "fr": "« {column} » est obligatoire pour créer : la colonne manque ou la case est vide.",
        "en": "'{column}' is required to create a {resource}: the column is missing or the cell is empty.",
    },
    "duplicate_row": {
        "fr": "Même enregistrement que la ligne {row} : une ligne apparaît deux fois dans le fichier.",
        "en": "Same record as row {row}: a row appears twice in the file.",
    },
    "no_such_id": {"fr": "Aucun enregistrement d'identifiant {id}.", "en": "No {resource} with id {id}."},
    "ambiguous_match": {
        "fr": "{count} enregistrements existants correspondent à cette ligne : donnez son identifiant ou une "
        "référence externe.",
        "en": "{count} existing {resources} match this row: give its id or an external reference.",
    },
    "taken": {
        "fr": "Ce {column} appartient déjà à un autre enregistrement.",
        "en": "This {column} already belongs to another {resource}.",
    },
    "ref_taken": {
        "fr": "La référence {source}={value} appartient à un autre enregistrement.",
        "en": "The reference {source}={value} belongs to another {resource}.",
    },
    "refs_object": {
        "fr": 'external_refs doit être un objet : {{"cuf": "C-1234"}}.',
        "en": 'external_refs must be an object: {{"cuf": "C-1234"}}',
    },
    "no_refs": {
        "fr": "Ces enregistrements n'ont pas de références externes : retirez cette colonne.",
        "en": "{resources} have no external references: remove this column.",
    },
    "bad_source": {
        "fr": "« {source} » n'est pas une source de référence valide (a-z, 0-9, - et _).",
        "en": "'{source}' is not a valid reference source (a-z, 0-9, - and _)",
    },
    "ref_too_long": {
        "fr": "Une référence externe a au plus 200 caractères.",
        "en": "An external reference has at most 200 characters.",
    },
    "too_long": {"fr": "Au plus {max} caractères.", "en": "At most {max} characters."},
    "too_short": {"fr": "Au moins {min} caractère(s).", "en": "At least {min} character(s)."},
    "at_least": {"fr": "Au moins {min}.", "en": "At least {min}."},
    "at_most": {"fr": "Au plus {max}.", "en": "At most {max}."},
    "collectivity_no_id": {"fr": "Aucune collectivité d'identifiant {id}.", "en": "No collectivity with id {id}."},
    "collectivity_no_code": {"fr": "Aucune collectivité de code {name}.", "en": "No collectivity with code {name}."},
    "collectivity_no_ref": {
        "fr": "Aucune collectivité avec la référence {ref}.",
        "en": "No collectivity with the reference {ref}.",
    },
    "not_a_ref": {
        "fr": "« {ref} » n'est pas une référence : écrivez source:valeur (cuf:C-1234).",
        "en": "'{ref}' is not a reference: write source:value (cuf:C-1234).",
    },
    "several_collectivities": {
        "fr": "Plusieurs collectivités correspondent à « {value} » : {names}.",
        "en": "Several collectivities match '{value}': {names}.",
    },
    "several_collectivities_where": {
        "fr": "Plusieurs collectivités correspondent à « {value} » : {names}. Ajoutez son gouvernorat ou son "
        "département pour les distinguer.",
        "en": "Several collectivities match '{value}': {names}. Add its governorate or département to tell them apart.",
    },
    "invalid": {"fr": "Valeur refusée : {detail}", "en": "{detail}"},
}

Param = str | int | list[str] | None


class Problem(ValueError):
    """An import error as a key and its parameters (``MESSAGES``), said in the file's language by the engine
    and in the reader's by the web app (``imp.err.<code>``). ``str()`` is the English sentence."""

    def __init__(self, code: str, **params: Param):
        self.code, self.params = code, params
        super().__init__(say("en", code, **params))


def say(lang: str, key: str, **values: Param) -> str:
    texts = MESSAGES[key]
    return texts.get(lang, texts["fr"]).format(**values)


def render(lang: str, code: str, params: dict[str, Param]) -> str:
    """The sentence of an error in ``lang`` (fr or en), with its suggestions (``suggestions``) if any."""
    message = say(lang, code, **{k: v for k, v in params.items() if k != "suggestions"})
    suggestions = params.get("suggestions")
    return with_suggestion(lang, message, suggestions if isinstance(suggestions, list) else [])


_PYDANTIC: dict[str, tuple[str, str]] = {  # pydantic's error type -> (our key, the parameter it names)
    "string_too_long": ("too_long", "max_length"),
    "too_long": ("too_long", "max_length"),
    "string_too_short": ("too_short", "min_length"),
    "too_short": ("too_short", "min_length"),
    "greater_than_equal": ("at_least", "ge"),
    "greater_than": ("at_least", "gt"),
    "less_than_equal": ("at_most", "le"),
    "less_than": ("at_most", "lt"),
}


def pydantic_problem(err: Any) -> Problem:
    """A validation error of a row's model as a keyed problem: bounds by key, anything else with pydantic's
    (English) words and the value given."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind in _PYDANTIC:
        code, name = _PYDANTIC[kind]
        value = ctx.get(name)
        if isinstance(value, int):
            return Problem(code, **{"max" if code in ("too_long", "at_most") else "min": value})
    return Problem("invalid", detail=f"{err['msg']} (got {str(err.get('input'))[:60]!r})")


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
