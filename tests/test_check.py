"""`jisr check` (issue 13): one line per check, exit 1 on a failure; against a real SMTP server (aiosmtpd)
and the suite's database (SQLite, or PostgreSQL with JISR_TEST_DATABASE_URL)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jisr.cli import app as cli
from jisr.core.config import get_settings
from jisr.core.db import reset_engine
from tests.conftest import TEST_URL
from tests.notifications.conftest import Mailbox, smtp  # noqa: F401  (fixture)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("JISR_PUBLIC_URL", "https://jisr.example.org")
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_engine()


def run_check(*args: str) -> tuple[int, dict[str, str]]:
    get_settings.cache_clear()
    reset_engine()
    result = CliRunner().invoke(cli, ["check", *args])
    lines = {}
    for line in result.output.splitlines():
        status, rest = line.split(" ", 1)
        name, _ = rest.strip().split(":", 1)
        lines[name] = status
    return result.exit_code, lines


def test_a_ready_install_passes_every_check(env: pytest.MonkeyPatch, smtp: Mailbox) -> None:  # noqa: F811
    code, lines = run_check("--workers", "2")
    assert lines == {
        "secret key": "ok",
        "public URL": "ok",
        "trusted proxies": "ok",
        "SMTP": "ok",
        "database": "ok",
        "connections": "ok",
    }
    assert code == 0


def test_each_failure_is_said_and_exits_1(env: pytest.MonkeyPatch, smtp: Mailbox) -> None:  # noqa: F811
    env.setenv("JISR_SMTP_STARTTLS", "true")  # the test server offers no STARTTLS
    env.setenv("JISR_PUBLIC_URL", "http://127.0.0.1:8000")
    env.setenv("JISR_SECRET_KEY", "short")
    code, lines = run_check()
    assert lines == {
        "secret key": "FAIL",
        "public URL": "FAIL",
        "trusted proxies": "ok",
        "SMTP": "FAIL",
        "database": "ok",
        "connections": "ok",
    }
    assert code == 1


def test_unreachable_smtp_and_unmigrated_database(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("JISR_SMTP_HOST", "127.0.0.1")
    env.setenv("JISR_SMTP_PORT", "9")  # nothing listens (discard)
    env.setenv("JISR_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, lines = run_check()
    assert lines["SMTP"] == "FAIL" and lines["database"] == "FAIL"
    assert code == 1


@pytest.mark.skipif(not TEST_URL.startswith("postgresql"), reason="PostgreSQL's max_connections")
def test_pools_above_max_connections_fail(env: pytest.MonkeyPatch, smtp: Mailbox) -> None:  # noqa: F811
    env.setenv("JISR_DB_POOL_SIZE", "30")
    assert run_check("--workers", "1")[1]["connections"] == "ok"
    code, lines = run_check("--workers", "4")  # 45 × 5 + 5 > 100
    assert lines["connections"] == "FAIL" and code == 1


def test_production_settings_without_a_secret(env: pytest.MonkeyPatch) -> None:
    env.setenv("JISR_ENV", "production")
    env.setenv("JISR_SECRET_KEY", "")
    code, lines = run_check()
    assert lines == {"settings": "FAIL"} and code == 1


def test_production_without_trusted_proxies_fails(env: pytest.MonkeyPatch) -> None:
    """Behind the reverse proxy (the only production set-up: `jisr serve` has no TLS), an empty list makes
    every client the proxy, and one client's failed sign-ins lock everybody out."""
    env.setenv("JISR_ENV", "production")
    env.setenv("JISR_SECRET_KEY", "k" * 48)
    env.setenv("JISR_TRUSTED_PROXIES", "")
    code, lines = run_check()
    assert lines["trusted proxies"] == "FAIL" and code == 1
    env.setenv("JISR_TRUSTED_PROXIES", "127.0.0.1")
    assert run_check()[1]["trusted proxies"] == "ok"
