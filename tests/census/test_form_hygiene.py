"""The public census form refuses hostile text on the fields it is about (issue 14, text hygiene)."""

from typing import Any

from tests.conftest import Api


def test_the_census_form_refuses_a_control_in_a_name(api: Api, make_campaign: Any, invite: Any) -> None:
    saida = api.collectivity(name="Saïda", governorate="LB-JA")
    link = invite(make_campaign(), saida)
    body = {
        "language": "fr",
        "contact": {"full_name": "Rima\u0000Haddad", "role": "x"},
        "needs": [{"title": "Eau\u202e", "priority": "high"}],
    }
    r = api.client.put(f"/api/v1/census/forms/{link['token']}", json=body)
    assert r.status_code == 422, r.text
    locs = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert ("body", "contact", "full_name") in locs and ("body", "needs", 0, "title") in locs
