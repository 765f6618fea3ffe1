"""Measure the directory over 20,000 collectivities in Chromium (not a test: prints figures).

    .venv/bin/python -m tests.e2e.perf_directory

Starts `jisr serve` on a scratch SQLite database, imports 20,000 collectivities through the API,
then times, inside the page (performance.now, a MutationObserver), an in-app navigation to the
directory until its first row is on screen, and a search until its answer is shown.
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DIST, _free_port

EMAIL, PASSWORD = "admin@example.org", "perf-password-1"
GOVERNORATES = ["LB-JA", "LB-AS", "LB-BI", "LB-KJ", "LB-JL", "LB-NA", "LB-AK", "LB-BH", "LB-BA"]
TIME_TO = """([trigger, selector]) => new Promise((resolve) => {
  const t0 = performance.now();
  const done = () => document.querySelector(selector) && (obs.disconnect(), resolve(performance.now() - t0));
  const obs = new MutationObserver(done);
  obs.observe(document.body, { childList: true, subtree: true, characterData: true });
  eval(trigger);
})"""


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="jisr-perf-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JISR_")} | {
        "JISR_DATABASE_URL": f"sqlite:///{tmp / 'perf.db'}",
        "JISR_VAR_DIR": str(tmp),
        "JISR_SECRET_KEY": "perf-" + "x" * 40,
        "JISR_ADMIN_EMAIL": EMAIL,
        "JISR_ADMIN_PASSWORD": PASSWORD,
        "JISR_STATIC_DIR": str(DIST),
    }
    jisr = str(Path(".venv/bin/jisr").resolve())
    subprocess.run([jisr, "migrate"], env=env, cwd=tmp, check=True, capture_output=True)
    server = subprocess.Popen(
        [jisr, "serve", "--port", str(port)], env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"grant_type": "password", "username": EMAIL, "password": PASSWORD}
        ).json()["access_token"]
        rows = [
            {
                "country": "LB",
                "kind": "municipality",
                "name": f"Baldat {i:05d}",
                "code": f"LBX{i:05d}",
                "governorate": GOVERNORATES[i % 9],
            }
            for i in range(10_000)
        ] + [
            {
                "country": "FR",
                "kind": "commune",
                "name": f"Commune {i:05d}",
                "code": f"{10_000 + i:05d}",
                "departement": "69",
            }
            for i in range(10_000)
        ]
        r = httpx.post(
            f"{base}/api/v1/imports/collectivities?background=false",
            json=rows,
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
        print("imported", r.json()["created"], "collectivities")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=base)
            page.goto("/")
            page.get_by_label("Adresse e-mail").fill(EMAIL)
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_role("heading", name="Tableau de bord").wait_for()
            for _ in range(3):
                page.goto("/needs")
                page.get_by_role("heading", name="Besoins").wait_for()
                nav = page.evaluate(
                    TIME_TO,
                    [
                        "[...document.querySelectorAll('nav a')].find(a => a.textContent === 'Annuaire').click()",
                        "table tbody tr",
                    ],
                )
                t = time.monotonic()
                page.goto("/collectivities")
                page.locator("table tbody tr").first.wait_for()
                load = (time.monotonic() - t) * 1000
                print(f"directory, first page of 20,000: in-app {nav:.0f} ms; full page load {load:.0f} ms")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
