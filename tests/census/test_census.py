"""The census over HTTP: campaign, invitations, the public form in Arabic, resubmission, review."""

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from tests.census.conftest import CampaignFactory, Inviter, answer, in_days
from tests.conftest import Api


def progress(api: Api, campaign: dict[str, Any]) -> dict[str, Any]:
    r = api.get(f"/api/v1/census/campaigns/{campaign['id']}/progress", role="coordinator")
    assert r.status_code == 200, r.text
    body = dict(r.json())
    body["by"] = {row["governorate"]: row for row in body["by_governorate"]}
    return body


def counts(row: dict[str, Any]) -> tuple[int, int, int, int]:
    return row["invited"], row["opened"], row["submitted"], row["validated"]


def census_needs(api: Api, collectivity: dict[str, Any]) -> list[dict[str, Any]]:
    r = api.get("/api/v1/needs", params={"collectivity_id": collectivity["id"], "source": "census", "sort": "title"})
    return list(r.json()["items"])


def test_the_whole_census_path_in_arabic_with_a_resubmission(
    api: Api, session: Session, make_campaign: CampaignFactory
) -> None:
    water, waste, energy = (api.tag_id(s) for s in ("eau-assainissement", "dechets", "environnement-climat-energie"))
    lyon = api.collectivity(country="FR", kind="commune", name="Lyon", code="69123")
    saida = api.collectivity(name="Saïda", name_ar="صيدا", governorate="LB-JA", district="Saïda")
    tyr = api.collectivity(name="Tyr", name_ar="صور", governorate="LB-JA", district="Tyr")
    api.collectivity(name="Union de Tyr", kind="union_of_municipalities", governorate="LB-JA", district="Tyr")
    beirut = api.collectivity(name="Beyrouth", name_ar="بيروت", governorate="LB-BA", district="Beyrouth")
    api.collectivity(name="Nabatieh", governorate="LB-NA", district="Nabatieh")  # not invited

    campaign = make_campaign(title="استبيان 2026", languages=["ar", "fr", "en"])
    assert campaign["is_open"] is True
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"governorates": ["LB-JA"], "collectivity_ids": [beirut["id"]]},
    )
    assert r.status_code == 201, r.text
    issued = {i["collectivity_id"]: i for i in r.json()["items"]}
    assert set(issued) == {saida["id"], tyr["id"], beirut["id"]}  # municipalities of LB-JA, plus Beirut
    link = issued[saida["id"]]
    token = link["token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    assert link["url"] == f"http://127.0.0.1:8000/census/{token}"
    # Only a hash is stored; a second invitation of the same collectivity is not a second link.
    stored = session.execute(text("SELECT * FROM census_invitations")).mappings().all()
    assert token not in {str(v) for row in stored for v in row.values()}
    assert hashlib.sha256(token.encode()).hexdigest() in {row["token_hash"] for row in stored}
    again = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    assert again.json()["created"] == 0 and again.json()["already_invited"] == [saida["id"]]
    listed = api.get(f"/api/v1/census/campaigns/{campaign['id']}/invitations", role="coordinator").json()
    assert listed["total"] == 3 and all("token" not in i for i in listed["items"])
    assert counts(progress(api, campaign)["by"]["LB-JA"]) == (2, 0, 0, 0)

    # Whoever holds the link, without an account, opens the form: Arabic is the campaign's first language.
    form_url = f"/api/v1/census/forms/{token}"
    r = api.get(form_url, role="anonymous")
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    form = r.json()
    assert (form["language"], form["direction"]) == ("ar", "rtl")
    assert form["labels"]["submit"] == "إرسال"
    assert form["collectivity"] == {"name": "Saïda", "name_ar": "صيدا", "governorate": "LB-JA"}
    assert {t["id"]: t["label"] for t in form["themes"]}[water] == "المياه والصرف الصحي"
    assert {p["value"]: p["label"] for p in form["priorities"]}["high"] == "عالية"
    assert (form["status"], form["editable"], form["answer"]) == ("not_submitted", True, None)
    assert counts(progress(api, campaign)["by"]["LB-JA"]) == (2, 1, 0, 0)

    first = {
        "language": "ar",
        "contact": {"full_name": "ريما حداد", "role": "أمينة السر", "email": "rima@saida.example.lb"},
        "priorities": [water, waste],
        "needs": [
            {"title": "شبكة مياه الشفة", "description": "تأهيل الشبكة القديمة", "tag_ids": [water], "priority": "high"},
            {"title": "فرز النفايات", "tag_ids": [waste], "priority": "medium", "estimated_budget_eur": 150000},
        ],
        "former_partners": [{"name": "LYON", "since_year": 2004, "until_year": 2015}],
    }
    r = api.client.put(form_url, json=first)
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["status"] == "submitted"
    assert [n["title"] for n in sent["answer"]["needs"]] == ["شبكة مياه الشفة", "فرز النفايات"]
    drafts = census_needs(api, saida)
    assert len(drafts) == 2 and {n["status"] for n in drafts} == {"draft"}
    assert {n["source"] for n in drafts} == {"census"}

    # Sending again before closing updates the same answer: the form returns each need's id.
    form = api.client.get(form_url, params={"lang": "ar"}).json()
    assert form["status"] == "submitted" and form["answer"]["contact"]["full_name"] == "ريما حداد"
    kept, dropped = form["answer"]["needs"]
    second = dict(form["answer"])
    second["priorities"] = [energy, water]
    second["needs"] = [
        {**kept, "title": "شبكة مياه الشفة والصرف الصحي", "estimated_budget_eur": 400000},
        {"title": "إنارة الطرقات بالطاقة الشمسية", "tag_ids": [energy], "priority": "low"},
    ]
    r = api.client.put(form_url, json=second)
    assert r.status_code == 200, r.text
    after = census_needs(api, saida)
    assert len(after) == 2  # one kept and edited, one removed, one added: nothing duplicated
    by_title = {n["title"]: n for n in after}
    assert by_title["شبكة مياه الشفة والصرف الصحي"]["id"] == kept["id"]
    assert by_title["شبكة مياه الشفة والصرف الصحي"]["estimated_budget_eur"] == 400000
    assert dropped["id"] not in {n["id"] for n in after}
    assert api.get(f"/api/v1/needs/{dropped['id']}").status_code == 404

    # Coordinators see one response, sent twice.
    responses = api.get("/api/v1/census/responses", role="coordinator", params={"campaign_id": campaign["id"]})
    [resp] = responses.json()["items"]
    assert (resp["collectivity_id"], resp["submissions"], resp["language"]) == (saida["id"], 2, "ar")
    assert resp["priorities"] == [energy, water]
    detail = api.get(f"/api/v1/census/responses/{resp['id']}", role="coordinator").json()
    assert [n["title"] for n in detail["needs"]] == ["شبكة مياه الشفة والصرف الصحي", "إنارة الطرقات بالطاقة الشمسية"]
    assert counts(progress(api, campaign)["by"]["LB-JA"]) == (2, 1, 1, 0)

    # Validation opens the needs and turns the former partner into a dormant partnership.
    r = api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator")
    assert r.status_code == 200, r.text
    validated = r.json()
    assert validated["status"] == "validated" and validated["unresolved_partners"] == []
    assert {n["status"] for n in census_needs(api, saida)} == {"open"}
    [partnership_id] = validated["partnership_ids"]
    partnership = api.get(f"/api/v1/partnerships/{partnership_id}").json()
    assert (partnership["french_collectivity_id"], partnership["lebanese_collectivity_id"]) == (lyon["id"], saida["id"])
    assert (partnership["status"], partnership["started_year"], partnership["ended_year"]) == ("dormant", 2004, 2015)
    total = progress(api, campaign)
    assert counts(total["by"]["LB-JA"]) == (2, 1, 1, 1)
    assert counts(total["by"]["LB-BA"]) == (1, 0, 0, 0)
    assert counts(total["total"]) == (3, 1, 1, 1)
    assert total["by"]["LB-JA"]["name_ar"] == "الجنوب" or total["by"]["LB-JA"]["name_en"] == "South"
    assert "LB-NA" not in total["by"]

    # Reviewed: the link shows the answer read-only; sending again is refused; validating twice too.
    form = api.client.get(form_url).json()
    assert (form["status"], form["editable"]) == ("validated", False)
    assert api.client.put(form_url, json=second).status_code == 409
    assert api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator").status_code == 409


def test_rejection_closes_the_draft_needs(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    link = invite(make_campaign(), tyr)
    assert api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer()).status_code == 201
    [resp] = api.get("/api/v1/census/responses", role="coordinator").json()["items"]
    r = api.post(f"/api/v1/census/responses/{resp['id']}/reject", role="coordinator", json={"reason": "Doublon"})
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["rejection_reason"] == "Doublon"
    assert [n["status"] for n in census_needs(api, tyr)] == ["closed"]
    assert api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer()).status_code == 409


def test_a_former_partner_is_matched_by_name_or_by_a_coordinator(
    api: Api, make_campaign: CampaignFactory, invite: Inviter
) -> None:
    grenoble = api.collectivity(country="FR", name="Grenoble-Alpes Métropole", name_alt=["La Métro"], kind="epci")
    api.collectivity(country="FR", name="Saint-Denis", code="93066")
    api.collectivity(country="FR", name="Saint-Denis", code="97411")  # two of them: ambiguous
    nantes = api.collectivity(country="FR", name="Nantes")
    jbeil = api.collectivity(name="Jbeil", governorate="LB-KJ")
    link = invite(make_campaign(), jbeil)
    partners = [
        {"name": "la metro", "until_year": 2012},
        {"name": "Saint-Denis"},
        {"name": "Ville de Nantes", "until_year": 2019},
        {"name": "Atlantis"},
    ]
    r = api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer(former_partners=partners))
    assert r.status_code == 201
    [resp] = api.get("/api/v1/census/responses", role="coordinator").json()["items"]
    # The coordinator names the French side the respondent wrote differently.
    edited = [dict(p) for p in resp["former_partners"]]
    edited[2]["french_collectivity_id"] = nantes["id"]
    bad = [*edited[:3], {**edited[3], "french_collectivity_id": jbeil["id"]}]
    url = f"/api/v1/census/responses/{resp['id']}"
    assert api.patch(url, role="coordinator", json={"former_partners": bad}).status_code == 422
    assert api.patch(url, role="coordinator", json={"former_partners": edited}).status_code == 200
    # A resubmission by the collectivity keeps the coordinator's match of the same name.
    assert (
        api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer(former_partners=partners)).status_code
        == 200
    )
    validated = api.post(f"{url}/validate", role="coordinator").json()
    assert validated["unresolved_partners"] == ["Saint-Denis", "Atlantis"]
    made = [api.get(f"/api/v1/partnerships/{p}").json() for p in validated["partnership_ids"]]
    assert {p["french_collectivity_id"] for p in made} == {grenoble["id"], nantes["id"]}
    assert {p["status"] for p in made} == {"dormant"}


def test_an_existing_partnership_is_not_duplicated(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    lyon = api.collectivity(country="FR", name="Lyon")
    saida = api.collectivity(name="Saïda", governorate="LB-JA")
    api.partnership(lyon["id"], saida["id"], status="active")
    link = invite(make_campaign(), saida)
    api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer(former_partners=[{"name": "Lyon"}]))
    [resp] = api.get("/api/v1/census/responses", role="coordinator").json()["items"]
    validated = api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator").json()
    assert validated["partnership_ids"] == [] and validated["unresolved_partners"] == []
    assert api.get("/api/v1/partnerships", params={"collectivity_id": saida["id"]}).json()["total"] == 1


def test_the_form_speaks_french_english_and_arabic(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    link = invite(make_campaign(languages=["fr", "ar"]), api.collectivity(name="Tyr"))
    forms = {
        lang: api.client.get(f"/api/v1/census/forms/{link['token']}", params={"lang": lang}).json()
        for lang in ("fr", "en", "ar")
    }
    assert api.client.get(f"/api/v1/census/forms/{link['token']}").json()["language"] == "fr"
    assert set(forms["fr"]["labels"]) == set(forms["en"]["labels"]) == set(forms["ar"]["labels"])
    for key in forms["fr"]["labels"]:
        assert forms["fr"]["labels"][key] != forms["ar"]["labels"][key], key
        assert forms["ar"]["labels"][key].strip()
    assert [f["direction"] for f in forms.values()] == ["ltr", "ltr", "rtl"]
    themes = {lang: {t["slug"]: t["label"] for t in f["themes"]} for lang, f in forms.items()}
    assert themes["fr"]["dechets"] == "Gestion des déchets" and themes["en"]["dechets"] == "Waste management"
    assert themes["ar"]["dechets"] == "إدارة النفايات"
    assert forms["fr"]["campaign"]["languages"] == ["fr", "ar"]


def test_campaigns_are_managed_by_coordinators(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    r = api.post("/api/v1/census/campaigns", role="coordinator", json={"title": "x", "closes_at": in_days(-1)})
    assert r.status_code == 422
    r = api.post("/api/v1/census/campaigns", role="coordinator", json={"title": "x", "closes_at": "2030-01-01T00:00"})
    assert r.status_code == 422  # an instant needs its offset
    campaign = make_campaign()
    assert campaign["languages"] == ["ar", "fr", "en"]
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [api.collectivity(country="FR", name="Lyon")["id"]], "governorates": ["LB-XX"]},
    )
    assert r.status_code == 422 and len(r.json()["errors"]) == 2
    assert (
        api.post(f"/api/v1/census/campaigns/{campaign['id']}/invitations", role="coordinator", json={}).status_code
        == 422
    )
    tyr = api.collectivity(name="Tyr")
    link = invite(campaign, tyr)
    api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer())
    assert api.delete(f"/api/v1/census/campaigns/{campaign['id']}", role="coordinator").status_code == 409
    empty = make_campaign(title="Vide")
    invite(empty, tyr)
    assert api.delete(f"/api/v1/census/campaigns/{empty['id']}", role="coordinator").status_code == 204
    r = api.get("/api/v1/census/campaigns", role="admin")
    assert [c["id"] for c in r.json()["items"]] == [campaign["id"]]


def test_two_sends_at_once_make_one_response(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    """A double click: the second send waits for the first and updates it (one response, no duplicate needs)."""
    tyr = api.collectivity(name="Tyr")
    url = f"/api/v1/census/forms/{invite(make_campaign(), tyr)['token']}"
    barrier = threading.Barrier(2)

    def send(_: int) -> int:
        barrier.wait()
        return int(api.client.put(url, json=answer()).status_code)

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(send, range(2)))
    assert codes == [200, 201]
    [resp] = api.get("/api/v1/census/responses", role="coordinator").json()["items"]
    assert resp["submissions"] == 2
    assert [n["title"] for n in census_needs(api, tyr)] == ["Réseau d'eau"]
