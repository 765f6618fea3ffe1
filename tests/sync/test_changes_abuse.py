"""The changes feed under abuse: crafted cursors are 422s, and no feed type shows a role more than
its own read endpoint does."""

import base64
import uuid
from typing import Any

import pytest


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HEX = uuid.uuid4().hex
CRAFTED = [
    _b64(f"99999999999999999999999.x.{HEX}".encode()),  # the issue's: year out of range
    _b64(f"99999999999999999999999.collectivities.{HEX}".encode()),
    _b64(f"-5.collectivities.{HEX}".encode()),
    _b64(f"1.collectivities\x00.{HEX}".encode()),  # NUL: PostgreSQL cannot compare it
    _b64(f"1.no_such_table.{HEX}".encode()),
    _b64(b"1.collectivities.not-a-uuid"),
    _b64(b"1.2.3.4"),
    _b64(b"\xff\xfe\xfd"),
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "é",
    "",
]


@pytest.mark.parametrize("since", CRAFTED)
def test_a_crafted_cursor_is_a_422_never_a_500(api: Any, since: str) -> None:
    api.collectivity(name="Saïda", code="LB-SAIDA")
    r = api.get("/api/v1/changes", params={"since": since})
    if since == "":
        assert r.status_code == 200  # no cursor: a full load
        return
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["query", "since"]


def test_cursors_handed_out_still_work(api: Any) -> None:
    api.collectivity(name="Saïda", code="LB-SAIDA")
    first = api.get("/api/v1/changes", params={"limit": 1}).json()
    r = api.get("/api/v1/changes", params={"since": first["next_cursor"]})
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/changes", params={"since": "2026-01-01T00:00:00Z"}).status_code == 200
