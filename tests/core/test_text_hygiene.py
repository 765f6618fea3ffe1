"""Text hygiene at the door: controls, NUL, unpaired surrogates, bidi overrides and zero-width
characters refused with a 422 a person can act on; names NFC-normalised and trimmed; imports and
the census form report such cells on their field."""

import json
import re
from typing import Any

import pytest

from jisr.core.hygiene import check_multi_line, check_name, check_single_line, clean_stored
from tests.conftest import Api


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("A\u000bB", "control character (U+000B)"),
        ("nul\u0000", "NUL"),
        ("Saïda\r\nBcc: x@example.org", "line break"),
        ("tab\there", "tab"),
        ("c\u0085d", "control character (U+0085)"),
        ("x\u202ey", "text-direction"),
        ("x\u2066y", "text-direction"),
        ("zero\u200bwidth", "zero-width"),
        ("bom\ufeff", "zero-width"),
        ("lone\ud800", "surrogate"),
        # issue 14 review: every format character (Cf), the CGJ, and the line/paragraph separators
        ("a\u061cb", "invisible formatting character (U+061C)"),
        ("a\u2061b", "invisible formatting character (U+2061)"),
        ("a\u2064b", "invisible formatting character (U+2064)"),
        ("soft\u00adhyphen", "invisible formatting character (U+00AD)"),
        ("a\u180eb", "invisible formatting character (U+180E)"),
        ("a\u034fb", "invisible formatting character (U+034F)"),
        ("tag\U000e0041\U000e007f", "invisible formatting character (U+E0041)"),
        ("a\u2028b", "line break (U+2028)"),
        ("a\u2029b", "line break (U+2029)"),
    ],
)
def test_a_name_refuses_what_a_reader_cannot_see_or_a_file_cannot_hold(value: str, what: str) -> None:
    with pytest.raises(ValueError, match=re.escape(what)):
        check_name(value, None)


def test_names_are_nfc_and_trimmed_free_text_keeps_its_lines() -> None:
    assert check_name("  Sai\u0308da \u3000", None) == "Saïda"
    assert check_single_line(" rôle ", None) == "rôle"
    assert check_multi_line("un\r\ndeux\rtrois\tquatre\u202e  \n", None) == "un\ndeux\ntrois\tquatre\u202e"
    with pytest.raises(ValueError, match="control character"):
        check_multi_line("bell\u0007", None)
    with pytest.raises(ValueError, match="line break"):
        check_single_line("a\nb", None)
    assert check_name(None, None) is None and check_name(3, None) == 3  # the type check is pydantic's


def test_cleaning_stored_text_drops_what_the_door_refuses() -> None:
    assert clean_stored(" A\u000bB\r\nC\u202e ", kind="name") == "AB C"
    assert clean_stored("a\r\nb\u0007", kind="multi") == "a\nb"


def _problem(r: Any, field: str) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    [err] = [e for e in r.json()["errors"] if e["loc"][-1] == field]
    return str(err["msg"])


def test_the_api_refuses_hostile_text_with_a_422_naming_the_field(api: Api) -> None:
    """Defects 1 and 2 at the door: these were stored (201) and broke exports and e-mails later."""
    tags = {"slug": "x", "label_en": "x", "label_ar": "x"}
    msg = _problem(api.post("/api/v1/tags", json={**tags, "label_fr": "A\u000bB"}), "label_fr")
    assert "control character (U+000B) at position 2" in msg and "remove it" in msg
    own = api.own_collectivity()
    r = api.patch(f"/api/v1/collectivities/{own['id']}", "member", json={"name": "Saïda\r\nBcc: x@example.org"})
    assert "line break" in _problem(r, "name")
    _problem(
        api.post("/api/v1/collectivities", json={"country": "LB", "kind": "other", "name": "Ville\u0001X"}), "name"
    )
    _problem(
        api.post("/api/v1/collectivities", json={"country": "LB", "kind": "other", "name": "x", "code": "L\u200bB"}),
        "code",
    )
    body = {"kind": "webinar", "title": "A\r\nB", "starts_at": "2030-06-10T10:00:00", "ends_at": "2030-06-10T12:00:00"}
    _problem(api.post("/api/v1/events", json=body), "title")
    # An unpaired surrogate (valid JSON escape, invalid text): a 422, not a 500.
    raw = json.dumps({**tags, "label_fr": "x"}).replace('"label_fr": "x"', '"label_fr": "x\\ud800"')
    r = api.post("/api/v1/tags", content=raw.encode(), headers={"Content-Type": "application/json"})
    assert "surrogate" in _problem(r, "label_fr")
    assert api.get("/api/v1/exports/tags.xlsx").status_code == 200


def test_names_are_stored_normalised_and_free_text_keeps_lines(api: Api) -> None:
    c = api.collectivity(name="  Sai\u0308da ", description="Ligne 1\r\nLigne 2\n\tretrait\u202bعربي\u202c")
    assert c["name"] == "Saïda"
    assert c["description"] == "Ligne 1\nLigne 2\n\tretrait\u202bعربي\u202c"  # bidi embeddings allowed in free text
    assert api.get("/api/v1/collectivities", params={"q": "saida"}).json()["total"] == 1


def test_an_import_reports_a_hostile_cell_as_a_row_error_on_its_column(api: Api) -> None:
    csv = "country;kind;name;code\nLB;municipality;Tyr;LB-TYR\nLB;municipality;Sa\u202eida;LB-S\nLB;other;Ok;LB-OK\n"
    r = api.post("/api/v1/imports/collectivities", files={"file": ("c.csv", csv.encode("utf-8"))})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["committed"] is False
    [err] = body["errors"]
    assert (err["row"], err["field"]) == (3, "name") and "text-direction" in err["message"]
    assert api.get("/api/v1/collectivities").json()["total"] == 0  # nothing half written


def test_the_published_schema_states_the_rule(client: Any) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    name = schemas["CollectivityCreate"]["properties"]["name"]
    assert "\\u0000-\\u0008" in name["pattern"] and "\\u202a" in name["pattern"]
    update = schemas["CollectivityUpdate"]["properties"]["name"]
    assert any("pattern" in b for b in update.get("anyOf", [update]))


def test_read_models_repair_what_an_old_row_holds_instead_of_failing() -> None:
    from jisr.tags.models import ThematicTagPublic

    tag = ThematicTagPublic.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "slug": "x",
            "label_fr": "A\u000bB\u202e",
            "label_en": "\u0001",
            "label_ar": "ok",
        }
    )
    assert (tag.label_fr, tag.label_en) == ("AB", "\ufffd")


def test_one_line_text_refuses_the_line_and_paragraph_separators_and_cleaning_makes_them_spaces() -> None:
    for sep in "\u2028\u2029":
        with pytest.raises(ValueError, match="line break"):
            check_single_line(f"Atelier{sep}Bcc: x@example.org", None)
        assert check_multi_line(f"a{sep}b", None) == f"a{sep}b"  # free text keeps them
        assert clean_stored(f"a{sep}b\u00ad", kind="name") == "a b"
    assert clean_stored("x\U000e0041\u2062", kind="single") == "x\U000e0041\u2062"  # not a name: kept
    assert check_name("سعيدة", None) == "سعيدة" and check_name("Zoë", None) == "Zoë"
