"""Fixture data for the browser tests, created through the API like a person or a system would."""

from typing import Any

import httpx

LEBANESE = [
    {
        "name": "Saïda",
        "name_ar": "صيدا",
        "name_alt": ["Sidon", "Saida"],
        "kind": "municipality",
        "code": "LB-SAIDA",
        "governorate": "LB-JA",
        "district": "Saïda",
        "population": 200000,
    },
    {
        "name": "Tripoli",
        "name_ar": "طرابلس",
        "kind": "municipality",
        "code": "LB-TRIPOLI",
        "governorate": "LB-AS",
        "district": "Tripoli",
        "population": 230000,
    },
    {
        "name": "Zahlé",
        "name_ar": "زحلة",
        "name_alt": ["Zahle", "Zahleh"],
        "kind": "municipality",
        "code": "LB-ZAHLE",
        "governorate": "LB-BI",
        "district": "Zahlé",
        "population": 150000,
    },
    {
        "name": "Jbeil",
        "name_ar": "جبيل",
        "name_alt": ["Byblos"],
        "kind": "municipality",
        "code": "LB-JBEIL",
        "governorate": "LB-KJ",
        "district": "Jbeil",
        "population": 40000,
    },
]
FRENCH = [
    {
        "name": "Lyon",
        "kind": "commune",
        "code": "69123",
        "region": "84",
        "departement": "69",
        "population": 520000,
        "capacity": "high",
        "expertise": ["dechets", "eau-assainissement"],
    },
    {
        "name": "Nantes",
        "kind": "commune",
        "code": "44109",
        "region": "52",
        "departement": "44",
        "population": 320000,
        "capacity": "medium",
        "expertise": ["dechets", "patrimoine"],
    },
    {"name": "Évry-Courcouronnes", "kind": "commune", "code": "91228", "region": "11", "departement": "91"},
    {"name": "Métropole de Lyon", "kind": "epci", "code": "200046977", "region": "84", "departement": "69"},
]


def seed(base_url: str, email: str, password: str) -> dict[str, Any]:
    """Create collectivities, needs and partnerships; return their ids by name."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
        ).raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        tags = {t["slug"]: t["id"] for t in client.get("/api/v1/tags", params={"limit": 500}).json()["items"]}
        ids: dict[str, Any] = {"tags": tags}
        for row in LEBANESE:
            r = client.post("/api/v1/collectivities", json={"country": "LB", "languages": ["ar", "fr"], **row})
            ids[row["name"]] = r.raise_for_status().json()["id"]
        for french in FRENCH:
            row = {k: v for k, v in french.items() if k != "expertise"}
            row["expertise_tag_ids"] = [tags[s] for s in french.get("expertise", []) if s in tags]
            r = client.post("/api/v1/collectivities", json={"country": "FR", "languages": ["fr"], **row})
            ids[row["name"]] = r.raise_for_status().json()["id"]
        needs = [
            ("Tripoli", "Collecte et tri des déchets ménagers", ["dechets"], "high"),
            ("Zahlé", "Réseau d'eau potable", ["eau-assainissement"], "medium"),
            ("Jbeil", "Valorisation du patrimoine", ["patrimoine"], "low"),
        ]
        for owner, title, slugs, priority in needs:
            client.post(
                "/api/v1/needs",
                json={
                    "collectivity_id": ids[owner],
                    "title": title,
                    "tag_ids": [tags[s] for s in slugs if s in tags],
                    "priority": priority,
                },
            ).raise_for_status()
        client.post(
            "/api/v1/partnerships",
            json={
                "french_collectivity_id": ids["Nantes"],
                "lebanese_collectivity_id": ids["Jbeil"],
                "status": "dormant",
                "started_year": 2009,
                "last_activity_year": 2016,
            },
        ).raise_for_status()
        client.post(
            "/api/v1/partnerships",
            json={
                "french_collectivity_id": ids["Lyon"],
                "lebanese_collectivity_id": ids["Tripoli"],
                "status": "active",
                "started_year": 2018,
                "last_activity_year": 2025,
            },
        ).raise_for_status()
        return ids
