"""Failed sign-ins: the address that fails waits longer and longer (429); the account is never locked."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from jisr.audit.models import AuditEntry
from jisr.auth.models import LoginFailure
from jisr.core.db import new_session, utcnow
from jisr.outbox.models import OutboxItem
from tests.conftest import PASSWORD, Api


def login(api: Api, username: str, password: str) -> Any:
    return api.client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )


def test_five_wrong_passwords_hold_that_address_back_even_for_the_right_one(api: Api) -> None:
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


def test_the_wait_ends_after_the_lockout_window(api: Api) -> None:
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


# --- issue 14, defect 5: nobody can lock someone else out ---------------------------------------------


def _from(address: str) -> TestClient:
    from jisr.main import app

    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def _login_from(address: str, username: str, password: str) -> Any:
    with _from(address) as http:
        return http.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
        )


def test_failures_from_other_addresses_do_not_keep_the_owner_out(api: Api) -> None:
    api.headers("admin")
    email = "admin@jisr.example.org"
    for i in range(5):  # five wrong passwords, five addresses
        assert _login_from(f"203.0.113.{i}", email, "wrong password").status_code == 401
    # again and again: the attacker's addresses fail, none of them is held back yet
    for i in range(5):
        assert _login_from(f"203.0.113.{i}", email, "wrong password").status_code == 401
    assert _login_from("198.51.100.7", email, PASSWORD).status_code == 200  # the owner, from elsewhere


def test_the_wait_grows_with_each_failure_of_one_address(api: Api) -> None:
    api.headers("viewer")
    email = "viewer@jisr.example.org"
    for _ in range(5):
        assert _login_from("203.0.113.1", email, "wrong password").status_code == 401
    first = _login_from("203.0.113.1", email, "wrong password")
    assert first.status_code == 429 and 0 < int(first.headers["Retry-After"]) <= 60

    def age(minutes: float) -> None:
        with new_session() as s:
            for row in s.exec(select(LoginFailure)):
                row.at -= timedelta(minutes=minutes)
                s.add(row)
            s.commit()

    age(1.1)  # a minute later: one more try, which fails, and the next wait is two minutes
    assert _login_from("203.0.113.1", email, "wrong password").status_code == 401
    second = _login_from("203.0.113.1", email, PASSWORD)
    assert second.status_code == 429 and 60 < int(second.headers["Retry-After"]) <= 120
    age(2.1)
    assert _login_from("203.0.113.1", email, PASSWORD).status_code == 200


def test_admins_are_alerted_once_per_window(api: Api) -> None:
    api.headers("admin")
    api.headers("coordinator")
    email = "coordinator@jisr.example.org"
    for i in range(8):
        assert _login_from(f"203.0.113.{i}", email, "wrong password").status_code == 401
    with new_session() as s:
        alerts = list(s.exec(select(AuditEntry).where(AuditEntry.action == "alert")))
        mails = list(s.exec(select(OutboxItem).where(OutboxItem.kind == "email")))
    assert len(alerts) == 1 and alerts[0].after is not None
    assert alerts[0].after["email"] == email and alerts[0].after["failures"] == 5
    assert alerts[0].after["addresses"] == 5
    assert [m.target for m in mails] == ["admin@jisr.example.org"]
    assert email in mails[0].payload["subject"]
    r = api.get("/api/v1/audit", params={"action": "alert"})
    assert r.status_code == 200 and r.json()["total"] == 1
    # a few wrong passwords of the owner (fewer than the threshold) alert nobody
    api.headers("viewer")
    for _ in range(3):
        login(api, "viewer@jisr.example.org", "typo")
    with new_session() as s:
        assert len(list(s.exec(select(AuditEntry).where(AuditEntry.action == "alert")))) == 1


def test_an_ipv6_client_is_held_back_by_its_64_network(api: Api) -> None:
    """One IPv6 client holds a whole /64: changing the last 64 bits must not reset its count."""
    api.headers("viewer")
    email = "viewer@jisr.example.org"
    for i in range(1, 6):
        assert _login_from(f"2001:db8:1:2::{i}", email, "wrong password").status_code == 401
    assert _login_from("2001:db8:1:2:ffff::9", email, PASSWORD).status_code == 429
    assert _login_from("2001:db8:1:3::1", email, PASSWORD).status_code == 200  # the next /64 is someone else


def test_the_census_form_budget_is_per_ipv6_64_network(api: Api, monkeypatch: Any) -> None:
    import pytest

    from jisr.census import service as census
    from jisr.core.errors import TooManyRequests

    monkeypatch.setattr(census, "RATE_LIMIT", 3)
    with new_session() as s:
        for i in range(1, 4):
            census.throttle(s, address=f"2001:db8:5:6::{i}")
        with pytest.raises(TooManyRequests):
            census.throttle(s, address="2001:db8:5:6:aaaa::1")
        census.throttle(s, address="2001:db8:5:7::1")
        census.throttle(s, address="192.0.2.1")
