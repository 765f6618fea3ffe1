"""API clients: other systems with an id and a secret (shown once, stored hashed)."""

from typing import Any

import pytest
from sqlalchemy import text

from jisr.core.db import new_session
from tests.conftest import Api


def grant(api: Api, client_id: str, secret: str) -> Any:
    return api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def test_secret_is_shown_once_and_stored_hashed(api: Api) -> None:
    r = api.post("/api/v1/api-clients", json={"name": "Cités Unies France", "role": "coordinator"})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["client_secret"]
    assert len(secret) >= 32 and created["client_id"].startswith("jisr_")
    assert r.headers["Location"] == f"/api/v1/api-clients/{created['id']}"
    # never again in any answer
    assert "client_secret" not in api.get(f"/api/v1/api-clients/{created['id']}").json()
    assert secret not in api.get("/api/v1/api-clients").text
    patched = api.patch(f"/api/v1/api-clients/{created['id']}", json={"name": "CUF"})
    assert patched.status_code == 200 and secret not in patched.text
    # the row holds a hash, not the secret
    with new_session() as s:
        row = s.execute(text("SELECT * FROM api_clients")).mappings().one()
    assert all(secret not in str(value) for value in row.values()), row
    assert row["secret_hash"] and row["client_id"] == created["client_id"]
    assert grant(api, created["client_id"], secret).status_code == 200


def test_rotating_the_secret_invalidates_the_old_one(api: Api) -> None:
    created = api.post("/api/v1/api-clients", json={"name": "Atlas"}).json()
    old = created["client_secret"]
    assert grant(api, created["client_id"], old).status_code == 200
    r = api.post(f"/api/v1/api-clients/{created['id']}/secret")
    assert r.status_code == 200, r.text
    new = r.json()["client_secret"]
    assert new != old and r.json()["client_id"] == created["client_id"]
    assert grant(api, created["client_id"], old).status_code == 401
    assert grant(api, created["client_id"], new).status_code == 200


def test_list_update_delete(api: Api) -> None:
    a = api.post("/api/v1/api-clients", json={"name": "B system", "role": "viewer"}).json()
    api.post("/api/v1/api-clients", json={"name": "A system", "role": "viewer"})
    page = api.get("/api/v1/api-clients").json()
    assert [c["name"] for c in page["items"]] == ["A system", "B system"] and page["total"] == 2
    etag = api.get(f"/api/v1/api-clients/{a['id']}").headers["ETag"]
    r = api.patch(f"/api/v1/api-clients/{a['id']}", json={"role": "coordinator"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["role"] == "coordinator"
    stale = api.patch(f"/api/v1/api-clients/{a['id']}", json={"role": "viewer"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert api.delete(f"/api/v1/api-clients/{a['id']}").status_code == 204
    assert api.get(f"/api/v1/api-clients/{a['id']}").status_code == 404
    assert grant(api, a["client_id"], a["client_secret"]).status_code == 401


def test_role_change_invalidates_tokens_issued_before(api: Api) -> None:
    created = api.post("/api/v1/api-clients", json={"name": "CUF", "role": "coordinator"}).json()
    token = grant(api, created["client_id"], created["client_secret"]).json()["access_token"]
    hdr = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/contacts", headers=hdr).status_code == 200
    api.patch(f"/api/v1/api-clients/{created['id']}", json={"role": "viewer"})
    assert api.client.get("/api/v1/contacts", headers=hdr).status_code == 401


def test_member_client_needs_a_collectivity(api: Api) -> None:
    r = api.post("/api/v1/api-clients", json={"name": "Saïda portal", "role": "member"})
    assert r.status_code == 422
    own = api.own_collectivity()
    r = api.post("/api/v1/api-clients", json={"name": "Saïda portal", "role": "member", "collectivity_id": own["id"]})
    assert r.status_code == 201
    client = r.json()
    assert api.patch(f"/api/v1/api-clients/{client['id']}", json={"collectivity_id": None}).status_code == 422
    token = grant(api, client["client_id"], client["client_secret"]).json()["access_token"]
    hdr = {"Authorization": f"Bearer {token}"}
    me = api.client.get("/api/v1/auth/me", headers=hdr).json()
    assert me["collectivity_id"] == own["id"]
    other = api.collectivity(name="Tyr")
    need = {"collectivity_id": other["id"], "title": "Roads"}
    assert api.client.post("/api/v1/needs", json=need, headers=hdr).status_code == 403
    assert api.client.post("/api/v1/needs", json={**need, "collectivity_id": own["id"]}, headers=hdr).status_code == 201


@pytest.mark.parametrize("role", ["coordinator", "member", "viewer", "anonymous"])
def test_only_admins_manage_api_clients(api: Api, role: str) -> None:
    created = api.post("/api/v1/api-clients", json={"name": "X"}).json()
    expected = 401 if role == "anonymous" else 403
    assert api.get("/api/v1/api-clients", role).status_code == expected
    assert api.post("/api/v1/api-clients", role, json={"name": "Y"}).status_code == expected
    assert api.post(f"/api/v1/api-clients/{created['id']}/secret", role).status_code == expected
    assert api.delete(f"/api/v1/api-clients/{created['id']}", role).status_code == expected
    assert grant(api, created["client_id"], created["client_secret"]).status_code == 200
