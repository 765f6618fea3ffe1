"""Browser tests: the real server (uvicorn) on a temporary SQLite database migrated with `jisr migrate`,
the built SPA from frontend/dist, fixture data created through the API, and Debian's Chromium driven
by Playwright. Every test here is marked `e2e`."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.seed import seed

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("JISR_CHROMIUM", "/usr/bin/chromium")
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "e2e-password-123"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server() -> Iterator[dict[str, Any]]:
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist is missing: run `make frontend` first")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install -y chromium)")
    tmp = Path(tempfile.mkdtemp(prefix="jisr-e2e-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JISR_")} | {
        "JISR_DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "JISR_VAR_DIR": str(tmp),
        "JISR_SECRET_KEY": "e2e-secret-" + "x" * 40,
        "JISR_ADMIN_EMAIL": ADMIN_EMAIL,
        "JISR_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JISR_STATIC_DIR": str(DIST),
        "JISR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "JISR_PASSWORD_HASH_TIME_COST": "1",
        "JISR_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    jisr = [str(Path(sys.executable).parent / "jisr")]
    migrated = subprocess.run([*jisr, "migrate"], env=env, cwd=tmp, capture_output=True, text=True)
    if migrated.returncode:
        pytest.fail(f"jisr migrate failed:\n{migrated.stdout}\n{migrated.stderr}")
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [*jisr, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=tmp, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine: `jisr serve` starts its worker process alongside
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + (tmp / "server.log").read_text())
            time.sleep(0.2)
        ids = seed(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        yield {"base": base, "ids": ids, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "tmp": tmp}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    SHOTS.mkdir(exist_ok=True)
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        p.screenshot(path=str(SHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def api_token(server: dict[str, Any]) -> str:
    r = httpx.post(
        f"{server['base']}/api/v1/auth/token",
        data={"grant_type": "password", "username": server["email"], "password": server["password"]},
    )
    return str(r.raise_for_status().json()["access_token"])


def sign_in(page: Any, server: dict[str, Any], landing: str = "Tableau de bord") -> None:
    """Sign in through the form; `landing` is the heading of the first screen (a member's: its collectivity)."""
    page.goto("/")
    page.get_by_label("Adresse e-mail").fill(server["email"])
    page.get_by_label("Mot de passe").fill(server["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name=landing, level=1).wait_for()


def make_member(server: dict[str, Any], collectivity: str, email: str, language: str = "fr") -> dict[str, Any]:
    """A member account of one of the seeded collectivities (idempotent); `server` with its credentials."""
    body = {
        "email": email,
        "password": "member-password-123",
        "role": "member",
        "full_name": f"Employé·e de {collectivity}",
        "collectivity_id": server["ids"][collectivity],
        "language": language,
    }
    r = httpx.post(
        f"{server['base']}/api/v1/users", json=body, headers={"Authorization": f"Bearer {api_token(server)}"}
    )
    assert r.status_code in (201, 409), r.text
    return {**server, "email": email, "password": body["password"]}
