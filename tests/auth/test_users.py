"""Users, managed by admins."""

from typing import Any

import pytest
from sqlmodel import select

from jisr.auth.models import User
from jisr.core.db import new_session
from tests.conftest import PASSWORD, Api


def login(api: Api, email: str, password: str = PASSWORD) -> Any:
    return api.client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )


def admin_id(api: Api) -> str:
    return str(api.get("/api/v1/auth/me").json()["id"])


def test_crud(api: Api) -> None:
    r = api.post(
        "/api/v1/users",
        json={"email": "Rima@Example.org", "password": PASSWORD, "role": "coordinator", "full_name": "Rima Haddad"},
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert r.headers["Location"] == f"/api/v1/users/{user['id']}"
    assert user["email"] == "rima@example.org" and user["role"] == "coordinator" and user["is_active"] is True
    assert "password" not in r.text and "password_hash" not in r.text and "argon2" not in r.text
    assert login(api, "rima@example.org").status_code == 200

    got = api.get(f"/api/v1/users/{user['id']}")
    assert got.status_code == 200 and got.json()["full_name"] == "Rima Haddad" and got.headers["ETag"]
    listed = api.get("/api/v1/users", params={"role": "coordinator"}).json()
    assert [u["email"] for u in listed["items"]] == ["rima@example.org"]
    assert api.get("/api/v1/users", params={"q": "haddad"}).json()["total"] == 1

    r = api.patch(f"/api/v1/users/{user['id']}", json={"password": "another password 42", "language": "ar"})
    assert r.status_code == 200 and r.json()["language"] == "ar"
    assert login(api, "rima@example.org").status_code == 401
    assert login(api, "rima@example.org", "another password 42").status_code == 200

    stale = got.headers["ETag"]
    assert (
        api.patch(f"/api/v1/users/{user['id']}", json={"full_name": "R"}, headers={"If-Match": stale}).status_code
        == 412
    )

    assert api.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert api.get(f"/api/v1/users/{user['id']}").status_code == 404
    assert login(api, "rima@example.org", "another password 42").status_code == 401


def test_the_password_is_stored_hashed(api: Api) -> None:
    api.post("/api/v1/users", json={"email": "a@example.org", "password": PASSWORD, "role": "viewer"})
    with new_session() as s:
        user = s.exec(select(User).where(User.email == "a@example.org")).one()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")


def test_duplicate_email_is_409_whatever_the_case(api: Api) -> None:
    body = {"email": "dup@example.org", "password": PASSWORD, "role": "viewer"}
    assert api.post("/api/v1/users", json=body).status_code == 201
    r = api.post("/api/v1/users", json={**body, "email": "DUP@example.org"})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    other = api.post("/api/v1/users", json={**body, "email": "other@example.org"}).json()
    assert api.patch(f"/api/v1/users/{other['id']}", json={"email": "Dup@Example.org"}).status_code == 409


def test_member_needs_a_collectivity(api: Api) -> None:
    body = {"email": "m@example.org", "password": PASSWORD, "role": "member"}
    r = api.post("/api/v1/users", json=body)
    assert r.status_code == 422, r.text
    assert any("collectivity_id" in e["loc"] for e in r.json()["errors"])
    own = api.own_collectivity()
    r = api.post("/api/v1/users", json={**body, "collectivity_id": own["id"]})
    assert r.status_code == 201
    viewer = api.post("/api/v1/users", json={**body, "email": "v@example.org", "role": "viewer"}).json()
    assert api.patch(f"/api/v1/users/{viewer['id']}", json={"role": "member"}).status_code == 422
    r = api.patch(f"/api/v1/users/{viewer['id']}", json={"role": "member", "collectivity_id": own["id"]})
    assert r.status_code == 200 and r.json()["collectivity_id"] == own["id"]
    assert api.patch(f"/api/v1/users/{viewer['id']}", json={"collectivity_id": None}).status_code == 422


def test_unknown_collectivity_is_refused(api: Api) -> None:
    r = api.post(
        "/api/v1/users",
        json={
            "email": "m@example.org",
            "password": PASSWORD,
            "role": "member",
            "collectivity_id": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert r.status_code in (404, 422), r.text
    assert api.get("/api/v1/users", params={"q": "m@example.org"}).json()["total"] == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.org", "password": "short"}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "role": "superuser"}, "role"),
        ({"email": "a@example.org"}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "language": "de"}, "language"),
    ],
)
def test_invalid_user_is_422(api: Api, body: dict[str, Any], field: str) -> None:
    r = api.post("/api/v1/users", json=body)
    assert r.status_code == 422, r.text
    assert any(field in e["loc"] for e in r.json()["errors"]), r.json()


def test_the_last_admin_cannot_be_removed_demoted_or_deactivated(api: Api) -> None:
    me = admin_id(api)
    assert api.delete(f"/api/v1/users/{me}").status_code == 409
    assert api.patch(f"/api/v1/users/{me}", json={"role": "coordinator"}).status_code == 409
    assert api.patch(f"/api/v1/users/{me}", json={"is_active": False}).status_code == 409
    assert api.get("/api/v1/auth/me").json()["role"] == "admin"
    # with a second admin, the first can step down
    second = api.post("/api/v1/users", json={"email": "b@example.org", "password": PASSWORD, "role": "admin"}).json()
    assert api.patch(f"/api/v1/users/{me}", json={"role": "coordinator"}).status_code == 200
    # ...and now the second is the last one
    token = login(api, "b@example.org").json()["access_token"]
    hdr = {"Authorization": f"Bearer {token}"}
    assert api.client.delete(f"/api/v1/users/{second['id']}", headers=hdr).status_code == 409


def test_an_inactive_admin_does_not_count(api: Api) -> None:
    me = admin_id(api)
    other = api.post("/api/v1/users", json={"email": "b@example.org", "password": PASSWORD, "role": "admin"}).json()
    assert api.patch(f"/api/v1/users/{other['id']}", json={"is_active": False}).status_code == 200
    assert api.patch(f"/api/v1/users/{me}", json={"role": "viewer"}).status_code == 409
    assert api.delete(f"/api/v1/users/{me}").status_code == 409


@pytest.mark.parametrize("role", ["coordinator", "member", "viewer", "anonymous"])
def test_only_admins_manage_users(api: Api, role: str) -> None:
    target = api.post("/api/v1/users", json={"email": "t@example.org", "password": PASSWORD}).json()
    expected = 401 if role == "anonymous" else 403
    assert api.get("/api/v1/users", role).status_code == expected
    assert api.get(f"/api/v1/users/{target['id']}", role).status_code == expected
    body = {"email": "new@example.org", "password": PASSWORD, "role": "admin"}
    assert api.post("/api/v1/users", role, json=body).status_code == expected
    assert api.patch(f"/api/v1/users/{target['id']}", role, json={"role": "admin"}).status_code == expected
    assert api.delete(f"/api/v1/users/{target['id']}", role).status_code == expected
    assert api.get(f"/api/v1/users/{target['id']}").json()["role"] == "viewer"


def test_unknown_user_is_404(api: Api) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.get(f"/api/v1/users/{missing}").status_code == 404
    assert api.patch(f"/api/v1/users/{missing}", json={"full_name": "x"}).status_code == 404
    assert api.delete(f"/api/v1/users/{missing}").status_code == 404
    assert api.get("/api/v1/users/not-a-uuid").status_code == 422


def test_search_takes_wildcards_literally(api: Api) -> None:
    api.post("/api/v1/users", json={"email": "rima@example.org", "password": PASSWORD, "full_name": "Rima 100%"})
    api.post("/api/v1/users", json={"email": "nour@example.org", "password": PASSWORD, "full_name": "Nour"})

    def emails(q: str) -> set[str]:
        return {u["email"] for u in api.get("/api/v1/users", params={"q": q}).json()["items"]}

    assert emails("%") == {"rima@example.org"}
    assert emails("_") == set()
    assert emails("NOUR") == {"nour@example.org"}


def test_an_admin_cannot_delete_their_own_account_even_with_other_admins(api: Api) -> None:
    """Issue 14: with a second admin, DELETE /users/{own id} used to succeed and sign the caller out for good."""
    me = admin_id(api)
    other = api.post("/api/v1/users", json={"email": "b@example.org", "password": PASSWORD, "role": "admin"}).json()
    r = api.delete(f"/api/v1/users/{me}")
    assert r.status_code == 409 and "your own account" in r.json()["detail"]
    assert api.get("/api/v1/auth/me").status_code == 200
    # Another admin may.
    token = login(api, "b@example.org").json()["access_token"]
    hdr = {"Authorization": f"Bearer {token}"}
    assert api.client.delete(f"/api/v1/users/{me}", headers=hdr).status_code == 204
    assert api.get(f"/api/v1/users/{other['id']}", headers=hdr).status_code == 200
