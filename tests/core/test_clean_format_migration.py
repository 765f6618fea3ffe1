"""Migration 0011 (issue 14 review): stored names lose the format characters the door now refuses, one-line
texts their line/paragraph separators, and old webhook errors the receiver's answer (SQLite and PostgreSQL)."""

import importlib.util
import uuid
from pathlib import Path

import jisr
from jisr.core.db import get_engine, new_session
from jisr.outbox.models import OutboxItem
from tests.conftest import Api
from tests.core.test_clean_text_migration import _dirty, _raw

MIGRATION = Path(jisr.__file__).parent / "migrations" / "versions" / "0011_clean_format_characters.py"


def _migrate() -> None:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    spec = importlib.util.spec_from_file_location("clean_format_0011", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with get_engine().begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()


def _outbox(kind: str, error: str | None) -> uuid.UUID:
    with new_session() as s:
        item = OutboxItem(kind=kind, idempotency_key=uuid.uuid4().hex, status="dead", last_error=error)
        s.add(item)
        s.commit()
        return item.id


def _error(item_id: uuid.UUID) -> str | None:
    with new_session() as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None
        return item.last_error


def test_format_characters_separators_and_old_webhook_errors_are_cleaned(api: Api) -> None:
    saida = api.collectivity(name="Saïda", code="LB-1")
    api.collectivity(name="Tyr", code="LB-2")
    body = {"kind": "webinar", "title": "t", "starts_at": "2030-06-10T10:00:00", "ends_at": "2030-06-10T12:00:00"}
    event = api.post("/api/v1/events", json=body).json()
    _dirty(
        "collectivities",
        saida["id"],
        name="Sa\u00adïda\u061c\u2063",
        code="LB-2\U000e0041\U000e007f",  # once cleaned, Tyr's code: gets a suffix
        name_ar="\u180e",  # nothing left: null
        description="keeps\u2028its\u00adseparators",  # free text: untouched
        name_alt=["Sidon\u034f"],
    )
    _dirty("events", event["id"], title="Atelier\u2028Bcc: x", location="Salle\u20291")
    body_echo = _outbox("webhook", "HTTP 500: <html>secret stack trace of the receiver</html>")
    timeout = _outbox("webhook", "ReadTimeout: timed out")
    refused = _outbox("webhook", "ConnectError: [Errno 111] Connection refused")
    short = _outbox("webhook", "HTTP 404")
    permanent = _outbox("webhook", "refused: 10.0.0.1 is not a public address")
    mail = _outbox("email", "HTTP 500: not a webhook, left alone")

    _migrate()

    assert _raw("collectivities", saida["id"], "name") == "Saïda"
    assert _raw("collectivities", saida["id"], "code").startswith("LB-2~")
    assert _raw("collectivities", saida["id"], "name_ar") is None
    assert _raw("collectivities", saida["id"], "description") == "keeps\u2028its\u00adseparators"
    assert _raw("collectivities", saida["id"], "name_alt") in (["Sidon"], '["Sidon"]')
    assert _raw("events", event["id"], "title") == "Atelier Bcc: x"
    assert _raw("events", event["id"], "location") == "Salle 1"
    assert _error(body_echo) == "HTTP 500"
    assert _error(timeout) == "no answer in time"
    assert _error(refused) == "could not deliver (connection failed)"
    assert _error(short) == "HTTP 404"
    assert _error(permanent) == "refused: 10.0.0.1 is not a public address"
    assert _error(mail) == "HTTP 500: not a webhook, left alone"
    c = api.get(f"/api/v1/collectivities/{saida['id']}").json()
    _migrate()  # twice is once
    assert api.get(f"/api/v1/collectivities/{saida['id']}").json() == c
