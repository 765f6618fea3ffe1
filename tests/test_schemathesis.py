"""Property-based run of schemathesis over every operation, signed in as an admin.

For each operation, schemathesis sends the schema's examples, invalid boundary cases (coverage phase) and a
few random requests, valid and invalid, and checks that the app
  * never answers a 5xx (not_a_server_error),
  * answers with a status code the operation declares (status_code_conformance),
  * with the content type declared for that status (content_type_conformance),
  * and a body that matches the declared schema (response_schema_conformance).
Half the requests aim at real records (path ids and ids in bodies are swapped for ids that exist), so that
the success paths are exercised as well as the 404s. Runs the same on SQLite and PostgreSQL (tests/conftest.py).
"""

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jisr.main import app
from tests.conftest import PASSWORD, Api

MAX_EXAMPLES = 8  # random cases per operation, on top of the examples and coverage phases


async def app_without_startup(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The app, minus its start-up: from_asgi loads the schema at import time, before the test database exists,
    and the start-up work (reference tags, first admin) is what tests/conftest.py does before every test anyway."""
    if scope["type"] != "lifespan":
        await app(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


schema = schemathesis.openapi.from_asgi("/openapi.json", app_without_startup)
schema.config.generation.update(
    modes=["positive", "negative"],
    max_examples=MAX_EXAMPLES,
    deterministic=True,  # the same cases on every run: a failure in CI can be replayed
    database="none",  # no .hypothesis/ directory left behind
)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
# Boundary cases of invalid input only: the positive half of the coverage phase doubled the run (~70 s more
# CPU for ~100 operations) and found nothing that a deeper run (full coverage, 150 random cases per
# operation, both databases) did not either; random valid requests still run in the fuzzing phase.
schema.config.phases.coverage.generation.update(modes=["negative"])

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def real(api: Api) -> dict[str, Any]:
    """Records the requests can aim at, and the admin's headers."""
    headers = api.headers("admin")
    own = api.own_collectivity()
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    tag = api.post(
        "/api/v1/tags", json={"slug": "fuzz", "label_fr": "Fuzz", "label_en": "Fuzz", "label_ar": "فحص"}
    ).json()
    user = api.post("/api/v1/users", json={"email": "target@example.org", "password": PASSWORD}).json()
    client = api.post("/api/v1/api-clients", json={"name": "Target"}).json()
    return {
        "headers": headers,
        "path": {
            "collectivity_id": own["id"],
            "need_id": api.need(own["id"], tag_ids=[tag["id"]])["id"],
            "contact_id": api.contact(own["id"])["id"],
            "partnership_id": api.partnership(lyon["id"], own["id"])["id"],
            "tag_id": tag["id"],
            "user_id": user["id"],
            "client_id": client["id"],
        },
        "body": {
            "collectivity_id": own["id"],
            "lebanese_collectivity_id": own["id"],
            "french_collectivity_id": lyon["id"],
            "tag_ids": [tag["id"]],
            "expertise_tag_ids": [tag["id"]],
            "interest_tag_ids": [tag["id"]],
        },
    }


@pytest.fixture
def turn() -> Iterator[int]:
    return itertools.count()


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def aim_at_real_records(case: Any, real: dict[str, Any]) -> None:
    for name, value in (case.path_parameters or {}).items():
        if name in real["path"] and _is_uuid(value):
            case.path_parameters[name] = real["path"][name]
    if isinstance(case.body, dict):
        for name, value in real["body"].items():
            if name in case.body:
                case.body[name] = value


@schema.parametrize()
# One set of records per operation, shared by its examples on purpose (writes pile up like in real use).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case: Any, real: dict[str, Any], turn: Iterator[int]) -> None:
    if next(turn) % 2 == 0:
        aim_at_real_records(case, real)
    case.call_and_validate(headers=real["headers"], checks=CHECKS)
