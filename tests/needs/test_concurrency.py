"""50 clients update one need at once through a real server (two uvicorn worker processes).

With the same `If-Match`, exactly one wins and 49 get 412. Clients that read, modify and write again
on 412 lose no update: every one of the 50 appends ends up in the need. SQLite, or PostgreSQL with
JISR_TEST_DATABASE_URL.
"""

import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import Api
from tests.live_server import live_server

CLIENTS = 50


def version(etag: str) -> int:
    match = re.search(r"-(\d+)\"$", etag)
    assert match, etag
    return int(match.group(1))


def test_fifty_clients_on_one_need(api: Api, tmp_path: Path) -> None:
    need = api.need(api.own_collectivity()["id"], title="Water network", description="")
    url = f"/api/v1/needs/{need['id']}"
    headers = api.headers("admin")

    with live_server(tmp_path / "server.log", workers=2) as server:
        clients = [httpx.Client(base_url=server.url, headers=headers, timeout=60) for _ in range(CLIENTS)]
        try:
            first = clients[0].get(url)
            etag = first.headers["ETag"]
            start = version(etag)

            # 1. Same If-Match, all at once: one winner.
            barrier = threading.Barrier(CLIENTS)

            def patch_once(i: int) -> tuple[int, str]:
                barrier.wait()
                r = clients[i].patch(url, json={"title": f"Winner {i}"}, headers={"If-Match": etag})
                assert r.status_code in (200, 412), r.text
                return r.status_code, f"Winner {i}"

            with ThreadPoolExecutor(CLIENTS) as pool:
                results = list(pool.map(patch_once, range(CLIENTS)))
            codes = Counter(code for code, _ in results)
            assert codes == {200: 1, 412: CLIENTS - 1}, codes
            winner = next(title for code, title in results if code == 200)
            now = clients[0].get(url)
            assert version(now.headers["ETag"]) == start + 1
            assert now.json()["title"] == winner

            # 2. Read-modify-write with retries on 412: no append is lost.
            barrier = threading.Barrier(CLIENTS)

            def append(i: int) -> int:
                barrier.wait()
                for attempt in range(1, 500):
                    got = clients[i].get(url)
                    assert got.status_code == 200, got.text
                    body = got.json()["description"]
                    r = clients[i].patch(
                        url, json={"description": f"{body}[{i}]"}, headers={"If-Match": got.headers["ETag"]}
                    )
                    if r.status_code == 200:
                        return attempt
                    assert r.status_code == 412, r.text
                    time.sleep(random.uniform(0, 0.005 * min(attempt, 20)))  # back off, as a polite client does
                raise AssertionError(f"client {i} never got through")

            with ThreadPoolExecutor(CLIENTS) as pool:
                attempts = list(pool.map(append, range(CLIENTS)))
            final = clients[0].get(url)
            description = final.json()["description"]
            assert sorted(re.findall(r"\[(\d+)\]", description), key=int) == [str(i) for i in range(CLIENTS)]
            assert version(final.headers["ETag"]) == start + 1 + CLIENTS
            print(f"read-modify-write: {sum(attempts)} attempts for {CLIENTS} updates")
        finally:
            for c in clients:
                c.close()
