"""Too many failed sign-ins for one account (or from one address) → 429 for a while."""

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from jisr.auth.models import LoginFailure
from jisr.core.db import new_session, utcnow
from tests.conftest import PASSWORD, Api


def login(api: Api, username: str, password: str) -> Any:
    return api.client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(api: Api) -> None:
    api.headers("viewer")
    api.headers("coordinator")
    email = "viewer@jisr.example.org"
    for attempt in range(5):
        assert login(api, email, f"wrong password {attempt}").status_code == 401, attempt
    locked = login(api, email, PASSWORD)
    assert locked.status_code == 429, locked.text
    assert locked.headers["content-type"] == "application/problem+json"
    assert int(locked.headers["Retry-After"]) > 0
    assert "access_token" not in locked.text
    # the same account spelled differently is the same account
    assert login(api, " VIEWER@jisr.example.org", PASSWORD).status_code == 429
    # other accounts are not locked out
    assert login(api, "coordinator@jisr.example.org", PASSWORD).status_code == 200


def test_the_lock_ends_after_the_lockout_window(api: Api) -> None:
    api.headers("viewer")
    email = "viewer@jisr.example.org"
    for _ in range(5):
        login(api, email, "wrong password")
    assert login(api, email, PASSWORD).status_code == 429
    with new_session() as s:  # move the failures 16 minutes into the past (the window is 15)
        s.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
        s.commit()
    assert login(api, email, PASSWORD).status_code == 200


def test_a_success_before_the_limit_resets_the_count(api: Api) -> None:
    api.headers("viewer")
    email = "viewer@jisr.example.org"
    for _ in range(4):
        assert login(api, email, "wrong password").status_code == 401
    assert login(api, email, PASSWORD).status_code == 200
    for _ in range(4):
        assert login(api, email, "wrong password").status_code == 401
    assert login(api, email, PASSWORD).status_code == 200


def test_unknown_accounts_are_throttled_too(api: Api) -> None:
    """Guessing e-mails must not be free either; and the answer must not tell unknown from known."""
    for _ in range(5):
        assert login(api, "ghost@jisr.example.org", "wrong password").status_code == 401
    assert login(api, "ghost@jisr.example.org", "wrong password").status_code == 429


def test_many_accounts_from_one_address_lock_the_address(api: Api) -> None:
    api.headers("viewer")
    for i in range(30):  # 30 per address, each account below its own limit of 5
        assert login(api, f"guess{i}@jisr.example.org", "wrong password").status_code == 401
    r = login(api, "viewer@jisr.example.org", PASSWORD)
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_api_client_secrets_are_throttled(api: Api) -> None:
    created = api.post("/api/v1/api-clients", json={"name": "CUF", "role": "viewer"}).json()
    form = {"grant_type": "client_credentials", "client_id": created["client_id"]}
    for _ in range(5):
        assert api.client.post("/api/v1/auth/token", data={**form, "client_secret": "wrong"}).status_code == 401
    r = api.client.post("/api/v1/auth/token", data={**form, "client_secret": created["client_secret"]})
    assert r.status_code == 429 and "Retry-After" in r.headers
