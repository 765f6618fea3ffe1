"""Test setup: one database per run built by migrations, cleaned before every test.

SQLite by default; PostgreSQL when JISR_TEST_DATABASE_URL is set (the suite creates a database of
its own with a random name there, and drops it at the end).
"""

import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_TMP = Path(tempfile.mkdtemp(prefix="jisr-tests-"))
_PG = os.environ.get("JISR_TEST_DATABASE_URL")
if _PG:
    _DB_NAME = f"jisr_test_{uuid.uuid4().hex[:10]}"
    _ADMIN_URL = make_url(_PG)
    TEST_URL = _ADMIN_URL.set(database=_DB_NAME).render_as_string(hide_password=False)
else:
    TEST_URL = f"sqlite:///{_TMP / 'test.db'}"

os.environ.update(
    {
        "JISR_DATABASE_URL": TEST_URL,
        "JISR_VAR_DIR": str(_TMP),
        "JISR_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "JISR_PASSWORD_HASH_TIME_COST": "1",
        "JISR_PASSWORD_HASH_MEMORY_KIB": "1024",
        "JISR_ENV": "development",
    }
)
for name in ("JISR_ADMIN_EMAIL", "JISR_ADMIN_PASSWORD", "JISR_CORS_ORIGINS", "JISR_STATIC_DIR"):
    os.environ.pop(name, None)

from alembic import command  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from jisr.cli import alembic_config  # noqa: E402
from jisr.core.bootstrap import bootstrap  # noqa: E402
from jisr.core.config import get_settings  # noqa: E402
from jisr.core.db import get_engine, new_session, reset_engine  # noqa: E402
from jisr.models import metadata  # noqa: E402

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    get_settings.cache_clear()
    reset_engine()
    if _PG:
        admin = create_engine(_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{_DB_NAME}"'))
    command.upgrade(alembic_config(), "heads")
    yield TEST_URL
    reset_engine()
    if _PG:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)'))
        admin.dispose()


class Env:
    """The JISR_ settings of one test (the ``env`` fixture): ``env.set(smtp_host="127.0.0.1")`` sets
    JISR_SMTP_HOST and the next ``get_settings()`` reads it; a change of ``database_url`` or a ``db_*``
    setting also makes the next session use a new engine built from them."""

    def __init__(self) -> None:
        self.engine_changed = False

    def set(self, **values: str) -> None:
        for name, value in values.items():
            os.environ[f"JISR_{name.upper()}"] = value
        self._reread(values)

    def unset(self, *names: str) -> None:
        for name in names:
            os.environ.pop(f"JISR_{name.upper()}", None)
        self._reread(names)

    def _reread(self, names: Iterable[str]) -> None:
        get_settings.cache_clear()
        if any(n == "database_url" or n.startswith("db_") for n in names):
            reset_engine()
            self.engine_changed = True


@contextmanager
def settings_restored() -> Iterator[Env]:
    """Changes of settings inside, then the JISR_ environment put back as it was (whatever changed it:
    ``Env``, or the code under test, as ``jisr serve`` does) and the settings read again."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("JISR_")}
    changes = Env()
    try:
        yield changes
    finally:
        for name in [k for k in os.environ if k.startswith("JISR_") and k not in saved]:
            del os.environ[name]
        os.environ.update(saved)
        get_settings.cache_clear()
        if changes.engine_changed:
            reset_engine()


@pytest.fixture(autouse=True)
def env() -> Iterator[Env]:
    """The one place tests change settings (``env.set(...)``): every test starts from the suite's own."""
    with settings_restored() as changes:
        yield changes


def _wipe() -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    engine = get_engine()
    # Children first; foreign keys stay enforced. DELETE, not TRUNCATE, on PostgreSQL too: on these small
    # tables TRUNCATE costs ~190 ms a test against ~8 ms (measured with 29 tables).
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(scope="session", autouse=True)
def offline_resolver() -> Iterator[None]:
    """No test looks a name up in the DNS (webhook URLs are checked after resolution): every name is
    unknown unless a test stubs ``jisr.core.netguard.resolve`` itself."""
    from jisr.core import netguard

    def unknown(host: str, port: int) -> list[str]:
        raise OSError(f"{host}: no DNS in the tests")

    real, netguard.resolve = netguard.resolve, unknown
    yield
    netguard.resolve = real


@pytest.fixture(autouse=True)
def clean_db(database: str) -> Iterator[None]:
    _wipe()
    with new_session() as session:
        bootstrap(session)
    yield


@pytest.fixture
def session() -> Iterator[Session]:
    with new_session() as s:
        yield s


@pytest.fixture
def client() -> Iterator[TestClient]:
    from jisr.main import app

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


class Api:
    """A signed-in test client per role, with small factories for common records."""

    def __init__(self, client: TestClient):
        self.client = client
        self._tokens: dict[str, str] = {}
        self.member_collectivity: dict[str, Any] | None = None

    def token(self, email: str, password: str = PASSWORD) -> str:
        r = self.client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if role not in self._tokens:
            from jisr.auth.models import UserCreate
            from jisr.auth.service import create_user

            collectivity_id = None
            if role == "member":
                collectivity_id = uuid.UUID(self.own_collectivity()["id"])
            with new_session() as s:
                create_user(
                    s,
                    data=UserCreate(
                        email=f"{role}@jisr.example.org", password=PASSWORD, role=role, collectivity_id=collectivity_id
                    ),
                )
                s.commit()
            self._tokens[role] = self.token(f"{role}@jisr.example.org")
        return {"Authorization": f"Bearer {self._tokens[role]}"}

    def own_collectivity(self) -> dict[str, Any]:
        """The Lebanese municipality the `member` user belongs to."""
        if self.member_collectivity is None:
            self.member_collectivity = self.collectivity(
                name="Saïda",
                name_ar="صيدا",
                name_alt=["Sidon", "Saida"],
                code="LB-SAIDA",
                governorate="LB-JA",
                district="Saïda",
            )
        return self.member_collectivity

    def request(self, method: str, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.request(method, url, headers={**self.headers(role), **kw.pop("headers", {})}, **kw)

    def get(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.request("GET", url, role, **kw)

    def post(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.request("POST", url, role, **kw)

    def patch(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.request("PATCH", url, role, **kw)

    def delete(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.request("DELETE", url, role, **kw)

    def _create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.post(f"/api/v1/{path}", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def collectivity(self, **fields: Any) -> dict[str, Any]:
        country = fields.get("country", "LB")
        body = {
            "country": country,
            "kind": "municipality" if country == "LB" else "commune",
            "name": f"Test {uuid.uuid4().hex[:6]}",
            **fields,
        }
        return self._create("collectivities", body)

    def tag_id(self, slug: str) -> str:
        r = self.get("/api/v1/tags", params={"limit": 500})
        return next(t["id"] for t in r.json()["items"] if t["slug"] == slug)

    def need(self, collectivity_id: str, **fields: Any) -> dict[str, Any]:
        return self._create("needs", {"collectivity_id": collectivity_id, "title": "Water network", **fields})

    def contact(self, collectivity_id: str, **fields: Any) -> dict[str, Any]:
        body = {"collectivity_id": collectivity_id, "full_name": "Rima Haddad", "consent_at": "2024-01-15T09:00Z"}
        return self._create("contacts", {**body, **fields})

    def partnership(self, french_id: str, lebanese_id: str, **fields: Any) -> dict[str, Any]:
        return self._create(
            "partnerships", {"french_collectivity_id": french_id, "lebanese_collectivity_id": lebanese_id, **fields}
        )


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
