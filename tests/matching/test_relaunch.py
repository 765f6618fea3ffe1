"""Relaunching a dormant partnership from the partnerships list (issue 21 item 2), on the demo data:
Marseille↔Beyrouth and Hérault↔Union of Jezzine are dormant, and a matching run never proposes them
(Marseille brings heritage and tourism, Beyrouth's open request is about waste)."""

from typing import Any

from typer.testing import CliRunner

from jisr.cli import app as cli
from tests.conftest import Api


def _demo(api: Api) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, ["seed", "--demo"])
    assert result.exit_code == 0, result.output
    by_name = {c["name"]: c for c in api.get("/api/v1/collectivities", params={"limit": 500}).json()["items"]}
    parts = api.get("/api/v1/partnerships", params={"limit": 500}).json()["items"]
    return by_name, parts


def _partnership(parts: list[dict[str, Any]], by_name: dict[str, Any], french: str, lebanese: str) -> dict[str, Any]:
    [p] = [
        p
        for p in parts
        if p["french_collectivity_id"] == by_name[french]["id"]
        and p["lebanese_collectivity_id"] == by_name[lebanese]["id"]
    ]
    return p


def test_relaunch_puts_the_dormant_pair_on_the_board_or_says_why(api: Api) -> None:
    by_name, parts = _demo(api)
    marseille = _partnership(parts, by_name, "Marseille", "Beyrouth")
    herault = _partnership(parts, by_name, "Département de l'Hérault", "Union des municipalités de Jezzine")
    assert marseille["status"] == herault["status"] == "dormant"
    # What the partnerships page did: a run over the Lebanese side's open requests. Marseille never comes up.
    beyrouth = by_name["Beyrouth"]["id"]
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 5, "max_per_french_collectivity": 3})
    assert r.status_code == 201, r.text
    board = api.get("/api/v1/matches", params={"collectivity_id": beyrouth}).json()["items"]
    assert by_name["Marseille"]["id"] not in {p["french_collectivity_id"] for p in board}

    for partnership, french in ((marseille, "Marseille"), (herault, "Département de l'Hérault")):
        r = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": partnership["id"]})
        assert r.status_code == 201, r.text
        p = r.json()
        assert r.headers["Location"] == f"/api/v1/matches/{p['id']}"
        assert (p["kind"], p["status"]) == ("relaunch", "shortlisted")
        assert p["french_collectivity_id"] == by_name[french]["id"]
        assert p["lebanese_collectivity_id"] == partnership["lebanese_collectivity_id"]
        said = p["history"][-1]["system_note"]
        assert (said["key"], said["params"]["status"]) == ("relaunch", "dormant")
        assert said["text"].startswith("Relance du partenariat en sommeil")
        assert {r["factor"] for r in p["reasons"]} >= {"theme", "history"} and p["reasons"][0]["label_ar"]
        board = api.get("/api/v1/matches", params={"collectivity_id": partnership["lebanese_collectivity_id"]})
        assert p["id"] in {m["id"] for m in board.json()["items"]}
        # Again: the same proposal, nothing new.
        again = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": partnership["id"]})
        assert again.status_code == 200 and again.json()["id"] == p["id"]
    # A later run keeps it (shortlisted: a coordinator's choice).
    api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 5, "max_per_french_collectivity": 3})
    assert api.get(f"/api/v1/matches/{p['id']}").json()["status"] == "shortlisted"


def test_relaunch_says_why_it_cannot(api: Api) -> None:
    by_name, parts = _demo(api)
    active = _partnership(parts, by_name, "Paris", "Beyrouth")
    r = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": active["id"]})
    assert r.status_code == 409 and r.json()["code"] == "relaunch_not_dormant"
    assert r.json()["params"]["status"] == "active"

    # The Lebanese side without an open request.
    marseille = _partnership(parts, by_name, "Marseille", "Beyrouth")
    beyrouth_needs = api.get("/api/v1/needs", params={"collectivity_id": by_name["Beyrouth"]["id"], "limit": 100})
    opened = [n for n in beyrouth_needs.json()["items"] if n["status"] == "open" and n["direction"] == "request"]
    for n in opened:
        assert api.patch(f"/api/v1/needs/{n['id']}", json={"status": "closed"}).status_code == 200
    r = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": marseille["id"]})
    assert r.status_code == 409, r.text
    assert (r.json()["code"], r.json()["params"]["lebanese"]) == ("relaunch_no_open_need", "Beyrouth")
    for n in opened:
        api.patch(f"/api/v1/needs/{n['id']}", json={"status": "open"})

    # The French side's cap reached.
    herault = _partnership(parts, by_name, "Département de l'Hérault", "Union des municipalités de Jezzine")
    api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 5, "max_per_french_collectivity": 3})
    held = api.get("/api/v1/matches", params={"collectivity_id": by_name["Département de l'Hérault"]["id"]})
    one = held.json()["items"][0]
    assert api.post(f"/api/v1/matches/{one['id']}/transitions", json={"to": "shortlisted"}).status_code == 200
    count = 1
    body = {"partnership_id": herault["id"], "max_per_french_collectivity": count}
    r = api.post("/api/v1/matches/relaunches", "coordinator", json=body)
    assert r.status_code == 409 and r.json()["code"] == "relaunch_partner_cap", r.text
    assert r.json()["params"]["cap"] == count

    # A pair declined before: reopen that proposal rather than relaunch.
    made = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": marseille["id"]}).json()
    api.post(f"/api/v1/matches/{made['id']}/transitions", json={"to": "declined", "note": "Pas maintenant"})
    r = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": marseille["id"]})
    assert r.json()["code"] == "relaunch_declined" and r.json()["params"]["proposal_id"] == made["id"]
    # Members and viewers do not relaunch.
    for role in ("member", "viewer"):
        assert api.post("/api/v1/matches/relaunches", role, json={"partnership_id": marseille["id"]}).status_code == 403
