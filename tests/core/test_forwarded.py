"""X-Forwarded-For is believed only from the proxies named in JISR_TRUSTED_PROXIES (issue 14, defect 6).

Through a real `jisr serve` on 127.0.0.1: with no trusted proxy (the default), rotating the header
does not make a client look like many, so the census and sign-in limits hold.
"""

from pathlib import Path

import httpx

from tests.conftest import PASSWORD, Api
from tests.live_server import live_server

BOGUS_LINK = "/api/v1/census/forms/" + "x" * 40


def _census_until_refused(url: str, limit: int) -> list[int]:
    with httpx.Client(base_url=url, timeout=30) as http:
        return [
            http.get(BOGUS_LINK, headers={"X-Forwarded-For": f"203.0.113.{i % 250}"}).status_code
            for i in range(limit + 1)
        ]


def test_rotating_forwarded_for_does_not_dodge_the_limits(api: Api, tmp_path: Path) -> None:
    from jisr.census.service import RATE_LIMIT

    api.headers("viewer")
    with live_server(tmp_path / "server.log") as server:
        codes = _census_until_refused(server.url, RATE_LIMIT)
        assert codes[:-1] == [404] * RATE_LIMIT and codes[-1] == 429
        with httpx.Client(base_url=server.url, timeout=30) as http:
            form = {"grant_type": "password", "username": "viewer@jisr.example.org"}
            for i in range(5):
                r = http.post(
                    "/api/v1/auth/token",
                    data={**form, "password": f"wrong {i}"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"},
                )
                assert r.status_code == 401
            r = http.post(
                "/api/v1/auth/token",
                data={**form, "password": PASSWORD},
                headers={"X-Forwarded-For": "198.51.100.77"},
            )
            assert r.status_code == 429  # the same client (127.0.0.1) that failed five times


def test_a_trusted_proxy_is_believed(api: Api, tmp_path: Path) -> None:
    from jisr.census.service import RATE_LIMIT

    env = {"JISR_TRUSTED_PROXIES": "127.0.0.1"}
    with live_server(tmp_path / "server.log", env=env) as server:
        codes = _census_until_refused(server.url, RATE_LIMIT)
        assert 429 not in codes  # each forwarded address has its own budget


def test_a_servers_own_trust_is_undone_when_no_proxy_is_configured() -> None:
    """Plain uvicorn trusts 127.0.0.1 and puts a header entry in the client address: Jisr counts every such
    request as one client, whichever entry it was given."""
    from jisr.core.http import UNVERIFIED_CLIENT, distrust_forwarded_client

    for forwarded, client in [
        (b"203.0.113.9", ("203.0.113.9", 0)),
        (b"10.0.0.1, 203.0.113.9", ("203.0.113.9", 0)),
        (b"[2001:db8::1]:443", ("2001:db8::1", 443)),
    ]:
        scope = {"client": client, "headers": [(b"x-forwarded-for", forwarded)]}
        distrust_forwarded_client(scope)
        assert scope["client"] == (UNVERIFIED_CLIENT, 0)
    direct = {"client": ("198.51.100.4", 51000), "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    distrust_forwarded_client(direct)  # a peer that was not rewritten keeps its address
    assert direct["client"] == ("198.51.100.4", 51000)
