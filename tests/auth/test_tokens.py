"""Tokens: both grants, /auth/me, and the attacks a bearer token must survive (each → 401)."""

import base64
import json
import time
import uuid
from typing import Any

import pytest
from jose import jwt

from tests.conftest import PASSWORD, Api

KEY = "test-secret-key-" + "x" * 32  # the key tests/conftest.py puts in JISR_SECRET_KEY


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unverified(token: str) -> dict[str, Any]:
    return dict(jwt.get_unverified_claims(token))


def forge(claims: dict[str, Any], key: str = KEY, algorithm: str = "HS256") -> str:
    return str(jwt.encode(claims, key, algorithm=algorithm))


def me(api: Api, token: str) -> Any:
    return api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def assert_401(r: Any) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers.get("www-authenticate") == "Bearer"


def test_password_grant_and_me(api: Api) -> None:
    api.headers("coordinator")  # creates the account
    r = api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "Coordinator@JISR.example.org", "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    claims = unverified(body["access_token"])
    assert claims["role"] == "coordinator" and claims["sub"].startswith("user:")
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"]
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    who = me(api, body["access_token"])
    assert who.status_code == 200, who.text
    assert who.json() | {"id": None} == {
        "kind": "user",
        "id": None,
        "role": "coordinator",
        "email": "coordinator@jisr.example.org",
        "client_id": None,
        "full_name": "",
        "collectivity_id": None,
        "language": "fr",
    }


def test_member_me_names_its_collectivity(api: Api) -> None:
    body = api.get("/api/v1/auth/me", "member").json()
    assert body["role"] == "member" and body["collectivity_id"] == api.own_collectivity()["id"]


def test_client_credentials_grant_and_me(api: Api) -> None:
    created = api.post("/api/v1/api-clients", json={"name": "CUF sync", "role": "coordinator"}).json()
    r = api.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert unverified(token)["sub"] == f"client:{created['id']}"
    who = me(api, token).json()
    assert (who["kind"], who["id"], who["role"], who["client_id"], who["email"]) == (
        "api_client",
        created["id"],
        "coordinator",
        created["client_id"],
        None,
    )
    # the client may do what its role allows, and no more
    hdr = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/contacts", headers=hdr).status_code == 200
    assert api.client.get("/api/v1/users", headers=hdr).status_code == 403


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "admin@jisr.example.org", "password": "wrong password"},
        {"grant_type": "password", "username": "nobody@jisr.example.org", "password": PASSWORD},
        {"grant_type": "client_credentials", "client_id": "jisr_unknown", "client_secret": "x" * 20},
    ],
)
def test_bad_credentials_are_401(api: Api, form: dict[str, str]) -> None:
    api.headers("admin")
    r = api.client.post("/api/v1/auth/token", data=form)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert "access_token" not in r.text


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "admin@jisr.example.org"},
        {"grant_type": "client_credentials", "client_id": "jisr_x"},
        {"grant_type": "authorization_code", "code": "x"},
        {},
    ],
)
def test_incomplete_grant_is_422(api: Api, form: dict[str, str]) -> None:
    r = api.client.post("/api/v1/auth/token", data=form)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_json_body_instead_of_form_is_422(api: Api) -> None:
    r = api.client.post("/api/v1/auth/token", json={"grant_type": "password", "username": "a", "password": "b"})
    assert r.status_code == 422


# --- attacks -----------------------------------------------------------------------------


@pytest.fixture
def viewer_token(api: Api) -> str:
    return api.headers("viewer")["Authorization"].removeprefix("Bearer ")


def test_the_real_token_works(api: Api, viewer_token: str) -> None:
    """The control for every attack below: the same account with its own token gets in."""
    assert me(api, viewer_token).status_code == 200


def test_expired_token(api: Api, viewer_token: str) -> None:
    claims = unverified(viewer_token)
    now = int(time.time())
    assert me(api, forge({**claims, "iat": now - 7200, "exp": now - 3600})).status_code == 401


def test_token_signed_with_another_key(api: Api, viewer_token: str) -> None:
    assert_401(me(api, forge(unverified(viewer_token), key="another-key-" + "y" * 40)))


def test_alg_none_token(api: Api, viewer_token: str) -> None:
    claims = unverified(viewer_token)
    for alg in ("none", "None", "NONE"):
        assert_401(me(api, f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."))
        # with the original signature left in place
        assert_401(me(api, f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}.{viewer_token.split('.')[2]}"))


def test_other_algorithm_with_the_right_key_is_refused(api: Api, viewer_token: str) -> None:
    """HS256 is pinned on decode: a token in another algorithm is refused even with the right key."""
    assert_401(me(api, forge(unverified(viewer_token), algorithm="HS512")))


def test_payload_edited_without_the_key(api: Api, viewer_token: str) -> None:
    header, _, signature = viewer_token.split(".")
    claims = {**unverified(viewer_token), "role": "admin"}
    tampered = f"{header}.{b64(claims)}.{signature}"
    assert_401(me(api, tampered))
    assert api.client.get("/api/v1/users", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_signed_token_whose_role_is_not_the_accounts_role(api: Api, viewer_token: str) -> None:
    """Even correctly signed (a leaked key, an old token), a role claim must match the database."""
    claims = {**unverified(viewer_token), "role": "admin"}
    assert_401(me(api, forge(claims)))
    assert api.client.get("/api/v1/users", headers={"Authorization": f"Bearer {forge(claims)}"}).status_code == 401


def test_token_of_a_demoted_user(api: Api) -> None:
    api.headers("admin")
    coordinator = api.headers("coordinator")
    uid = api.get("/api/v1/auth/me", "coordinator").json()["id"]
    assert api.patch(f"/api/v1/users/{uid}", json={"role": "viewer"}).status_code == 200
    assert_401(api.client.get("/api/v1/contacts", headers=coordinator))


def test_token_of_a_deleted_user(api: Api, viewer_token: str) -> None:
    uid = me(api, viewer_token).json()["id"]
    assert api.delete(f"/api/v1/users/{uid}").status_code == 204
    assert_401(me(api, viewer_token))


def test_token_of_a_deactivated_user(api: Api, viewer_token: str) -> None:
    uid = me(api, viewer_token).json()["id"]
    assert api.patch(f"/api/v1/users/{uid}", json={"is_active": False}).status_code == 200
    assert_401(me(api, viewer_token))
    # and it cannot sign in again
    r = api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "viewer@jisr.example.org", "password": PASSWORD},
    )
    assert r.status_code == 401
    assert api.patch(f"/api/v1/users/{uid}", json={"is_active": True}).status_code == 200
    assert me(api, viewer_token).status_code == 200


def test_token_of_a_deleted_or_deactivated_api_client(api: Api) -> None:
    created = api.post("/api/v1/api-clients", json={"name": "Atlas", "role": "viewer"}).json()
    form = {
        "grant_type": "client_credentials",
        "client_id": created["client_id"],
        "client_secret": created["client_secret"],
    }
    token = api.client.post("/api/v1/auth/token", data=form).json()["access_token"]
    assert me(api, token).status_code == 200
    assert api.patch(f"/api/v1/api-clients/{created['id']}", json={"is_active": False}).status_code == 200
    assert_401(me(api, token))
    assert api.client.post("/api/v1/auth/token", data=form).status_code == 401
    assert api.patch(f"/api/v1/api-clients/{created['id']}", json={"is_active": True}).status_code == 200
    assert me(api, token).status_code == 200
    assert api.delete(f"/api/v1/api-clients/{created['id']}").status_code == 204
    assert_401(me(api, token))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer garbage",
        "Bearer ",
        "Bearer a.b.c",
        "Bearer " + "A" * 5000,
        "Bearer \u00e9t\u00e9",
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "garbage",
    ],
)
def test_garbage_authorization(api: Api, authorization: str) -> None:
    r = api.client.get("/api/v1/auth/me", headers={"Authorization": authorization.encode()})
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("claim", ["sub", "jti", "exp", "iat", "role"])
def test_signed_token_missing_a_claim(api: Api, viewer_token: str, claim: str) -> None:
    claims = unverified(viewer_token)
    assert me(api, forge(claims)).status_code == 200  # re-signing as is: accepted
    del claims[claim]
    assert_401(me(api, forge(claims)))


@pytest.mark.parametrize(
    "sub",
    [
        "user:not-a-uuid",
        f"user:{uuid.uuid4()}",
        f"client:{uuid.uuid4()}",
        "robot:{id}",
        "{id}",
        "",
    ],
)
def test_signed_token_with_a_bad_subject(api: Api, viewer_token: str, sub: str) -> None:
    claims = unverified(viewer_token)
    real_id = claims["sub"].partition(":")[2]
    assert_401(me(api, forge({**claims, "sub": sub.format(id=real_id)})))


@pytest.mark.parametrize("role", [None, 1, ["viewer"], {"r": "viewer"}])
def test_signed_token_with_a_malformed_role(api: Api, viewer_token: str, role: Any) -> None:
    assert_401(me(api, forge({**unverified(viewer_token), "role": role})))


def test_user_token_cannot_pose_as_a_client_with_the_same_id(api: Api, viewer_token: str) -> None:
    claims = unverified(viewer_token)
    assert_401(me(api, forge({**claims, "sub": claims["sub"].replace("user:", "client:")})))


def test_no_token(api: Api) -> None:
    assert_401(api.client.get("/api/v1/auth/me"))
