"""The first admin comes from JISR_ADMIN_EMAIL / JISR_ADMIN_PASSWORD when the app starts."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from jisr.auth.models import User
from jisr.core.config import get_settings
from jisr.core.db import new_session
from jisr.main import create_app
from tests.conftest import Env

EMAIL, PASSWORD = "first.admin@jisr.example.org", "first admin password"


@pytest.fixture
def admin_env(env: Env) -> None:
    env.set(admin_email=EMAIL, admin_password=PASSWORD)


def admins() -> list[str]:
    with new_session() as s:
        return [u.email for u in s.exec(select(User).where(User.role == "admin"))]


def login(client: TestClient, password: str = PASSWORD) -> int:
    r = client.post("/api/v1/auth/token", data={"grant_type": "password", "username": EMAIL, "password": password})
    return r.status_code


def test_first_admin_is_created_at_start(admin_env: None) -> None:
    assert admins() == []
    with TestClient(create_app()) as client:
        assert admins() == [EMAIL]
        assert login(client) == 200
        token = client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": EMAIL, "password": PASSWORD}
        ).json()["access_token"]
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == "admin"
        # change the password: a restart must not reset it, nor add another admin
        client.patch(
            f"/api/v1/users/{me['id']}",
            json={"password": "a brand new password"},
            headers={"Authorization": f"Bearer {token}"},
        )
    with TestClient(create_app()) as client:
        assert admins() == [EMAIL]
        assert login(client) == 401
        assert login(client, "a brand new password") == 200


def test_no_admin_is_added_when_one_exists(admin_env: None) -> None:
    from jisr.auth.models import UserCreate
    from jisr.auth.service import create_user

    with new_session() as s:
        create_user(s, data=UserCreate(email="boss@example.org", password="boss password 1", role="admin"))
        s.commit()
    with TestClient(create_app()) as client:
        assert admins() == ["boss@example.org"]
        assert login(client) == 401


def test_nothing_happens_without_the_settings() -> None:
    assert get_settings().admin_email is None
    with TestClient(create_app()):
        assert admins() == []
