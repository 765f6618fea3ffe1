"""Issue 21, item 16: import errors in the language of the file's headers (French unless the headers are the
API's English names), a suggestion for near misses, numbers written with spaces, currency or Arabic digits."""

from typing import Any


def _dry_run(api: Any, csv: str) -> dict[str, Any]:
    r = api.post("/api/v1/imports/needs", files={"file": ("besoins.csv", csv.encode())}, params={"dry_run": "true"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_french_file_gets_french_errors_with_suggestions(api: Any) -> None:
    api.collectivity(name="Baalbek", governorate="LB-BH")
    body = _dry_run(
        api,
        "Collectivité;Titre;Thème;Budget\n"
        "Baalbeck;Réseau d'eau;Eau;120 000 €\n"
        "Baalbek;Station de pompage;Eau et assainissement;٢٥٠٠٠٠\n",
    )
    errors = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert errors[(2, "Collectivité")] == "Aucune collectivité « Baalbeck ». Vouliez-vous dire Baalbek ?"
    assert errors[(2, "Thème")].startswith("Thème inconnu « Eau »")
    assert errors[(2, "Thème")].endswith("Vouliez-vous dire Eau et assainissement ?")
    assert len(errors) == 2, errors  # the budgets "120 000 €" and "٢٥٠٠٠٠" are numbers
    assert body["created"] == 1


def test_english_headers_get_english_errors(api: Any) -> None:
    api.collectivity(name="Baalbek", governorate="LB-BH")
    body = _dry_run(api, "collectivity_name,title,tag_ids\nBaalbeck,Water network,Water and sanitatio\n")
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert errors["collectivity_name"] == "No collectivity 'Baalbeck'. Did you mean Baalbek?"
    assert errors["tag_ids"].endswith("Did you mean Water and sanitation?")


def test_a_name_far_from_every_collectivity_gets_no_suggestion(api: Any) -> None:
    api.collectivity(name="Baalbek", governorate="LB-BH")
    body = _dry_run(api, "Collectivité;Titre\nZgharta;Réseau\n")
    assert [e["message"] for e in body["errors"]] == ["Aucune collectivité « Zgharta »."]


def test_numbers_with_spaces_currency_and_arabic_digits() -> None:
    from jisr.imports.parsing import parse_float, parse_int

    assert parse_int("120 000 €") == 120000
    assert parse_int("15\u202f000") == 15000
    assert parse_int("$ 2500") == 2500
    assert parse_int("1 500 000 L.L.") == 1500000
    assert parse_int("٢٥٠٠٠٠") == 250000
    assert parse_int("۲۰۱۰") == 2010
    assert parse_float("12,5 €") == 12.5


def test_suggestions_stop_after_the_cap_the_errors_do_not(api: Any) -> None:
    """A file of many unknown names: the first SUGGESTION_CAP errors carry a suggestion, the rest are still
    reported, without one (finding it costs a scan of every name)."""
    from jisr.imports.engine import SUGGESTION_CAP

    api.collectivity(name="Baalbek", governorate="LB-BH")
    rows = "".join(f"Baalbeck;Réseau {i}\n" for i in range(SUGGESTION_CAP + 5))
    body = _dry_run(api, "Collectivité;Titre\n" + rows)
    messages = [e["message"] for e in sorted(body["errors"], key=lambda e: e["row"])]
    assert len(messages) == SUGGESTION_CAP + 5
    with_hint = "Aucune collectivité « Baalbeck ». Vouliez-vous dire Baalbek ?"
    assert messages[:SUGGESTION_CAP] == [with_hint] * SUGGESTION_CAP
    assert messages[SUGGESTION_CAP:] == ["Aucune collectivité « Baalbeck »."] * 5


def test_the_index_finds_what_a_scan_of_every_name_finds() -> None:
    """NearIndex compares only names of a length that can reach the cutoff: same answers as comparing all."""
    import difflib

    from jisr.core.text import fold
    from jisr.imports.messages import NearIndex

    names = [
        "Baalbek",
        "Bcharré",
        "Eau et assainissement",
        "Eau potable",
        "Saint-Étienne",
        "Saint-Denis",
        "Sainte-Anne",
        "Tyr",
        "Tyre",
    ]
    names += ["Jezzine", "Zahlé", "Aix-en-Provence", "Aix-les-Bains", "Ay", "Eaux", "Vaalbek"]
    index = NearIndex(names)
    for value in [
        "Baalbeck",
        "Bcharre",
        "Eau",
        "saint etienne",
        "Saint Denys",
        "Tir",
        "Jezine",
        "Zahle",
        "Aix",
        "A",
        "Eaux et",
        "Sainte Anne",
        "Zgharta",
    ]:
        target, by_fold = fold(value), {fold(n): n for n in names}
        close = difflib.get_close_matches(target, list(by_fold), n=2, cutoff=0.8)
        if len(close) < 2 and len(target) >= 3:
            close += sorted(f for f in by_fold if f.startswith(target + " ") and f not in close)[: 2 - len(close)]
        assert index.near(value) == [by_fold[f] for f in close], value


def test_errors_carry_a_key_and_parameters_and_are_said_in_the_files_language(api: Any) -> None:
    """Issue 21, item 13: each error has a `code` and `params` (the web app says them in the reader's language);
    `message` is the sentence in the language of the file's headers, French by default, also for the errors
    that were English only (numbers, required columns, duplicates, bounds)."""
    api.collectivity(name="Baalbek", governorate="LB-BH")
    body = _dry_run(
        api,
        "Collectivité;Titre;Budget;Thème\n"
        "Baalbeck;Réseau;100;\n"
        "Baalbek;Pompage;cent euros;\n"
        "Baalbek;Station;;\n"
        "Baalbek;Station;;\n"
        ";Sans collectivité;;\n"
        f"Baalbek;{'x' * 301};;\n",
    )
    got = {e["row"]: (e["field"], e["code"], e["params"], e["message"]) for e in body["errors"]}
    assert got[2] == (
        "Collectivité",
        "no_collectivity",
        {"name": "Baalbeck", "suggestions": ["Baalbek"]},
        "Aucune collectivité « Baalbeck ». Vouliez-vous dire Baalbek ?",
    )
    assert got[3] == (
        "Budget",
        "not_whole_number",
        {"value": "cent euros"},
        "« cent euros » n'est pas un nombre entier.",
    )
    assert 4 not in got
    assert got[5][1:3] == ("duplicate_row", {"row": 4}) and got[5][3].startswith("Même enregistrement que la ligne 4")
    assert got[6][1] == "required" and "obligatoire" in got[6][3]
    assert got[7][1:] == ("too_long", {"max": 300}, "Au plus 300 caractères.")
    english = _dry_run(api, "collectivity_name,title,estimated_budget_eur\nBaalbek,Water,a lot\n")
    [e] = english["errors"]
    assert (e["code"], e["message"]) == ("not_whole_number", "'a lot' is not a whole number")
