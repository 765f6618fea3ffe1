"""`jisr check` (issue 13): one line per check, exit 1 on a failure; against a real SMTP server (aiosmtpd)
and the suite's database (SQLite, or PostgreSQL with JISR_TEST_DATABASE_URL)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jisr.cli import app as cli
from tests.conftest import TEST_URL, Env
from tests.notifications.conftest import Mailbox, smtp  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def public_url(env: Env) -> None:
    env.set(public_url="https://jisr.example.org")


def run_check(*args: str) -> tuple[int, dict[str, str]]:
    result = CliRunner().invoke(cli, ["check", *args])
    lines = {}
    for line in result.output.splitlines():
        status, rest = line.split(" ", 1)
        name, _ = rest.strip().split(":", 1)
        lines[name] = status
    return result.exit_code, lines


def test_a_ready_install_passes_every_check(env: Env, smtp: Mailbox) -> None:  # noqa: F811
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


def test_each_failure_is_said_and_exits_1(env: Env, smtp: Mailbox) -> None:  # noqa: F811
    # STARTTLS: the test server offers none
    env.set(smtp_starttls="true", public_url="http://127.0.0.1:8000", secret_key="short")
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


def test_unreachable_smtp_and_unmigrated_database(env: Env, tmp_path: Path) -> None:
    # nothing listens on port 9 (discard)
    env.set(smtp_host="127.0.0.1", smtp_port="9", database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    code, lines = run_check()
    assert lines["SMTP"] == "FAIL" and lines["database"] == "FAIL"
    assert code == 1


@pytest.mark.skipif(not TEST_URL.startswith("postgresql"), reason="PostgreSQL's max_connections")
def test_pools_above_max_connections_fail(env: Env, smtp: Mailbox) -> None:  # noqa: F811
    env.set(db_pool_size="30")
    assert run_check("--workers", "1")[1]["connections"] == "ok"
    code, lines = run_check("--workers", "4")  # 45 × 5 + 5 > 100
    assert lines["connections"] == "FAIL" and code == 1


def test_production_settings_without_a_secret(env: Env) -> None:
    env.set(env="production", secret_key="")
    code, lines = run_check()
    assert lines == {"settings": "FAIL"} and code == 1


def test_production_without_trusted_proxies_fails(env: Env) -> None:
    """Behind the reverse proxy (the only production set-up: `jisr serve` has no TLS), an empty list makes
    every client the proxy, and one client's failed sign-ins lock everybody out."""
    env.set(env="production", secret_key="k" * 48, trusted_proxies="")
    code, lines = run_check()
    assert lines["trusted proxies"] == "FAIL" and code == 1
    env.set(trusted_proxies="127.0.0.1")
    assert run_check()[1]["trusted proxies"] == "ok"
