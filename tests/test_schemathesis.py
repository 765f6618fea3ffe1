"""Property-based run of schemathesis over every operation, signed in as an admin, in three phases.

* Coverage: for each operation, the schema's examples and invalid boundary cases (a missing field, a wrong type, a
  string one character too long...).
* Fuzzing: random requests, valid and invalid, per operation.
* Stateful: scenarios that chain operations through the links schemathesis infers from the schema (POST /needs
  then GET, PATCH, DELETE /needs/{need_id} with the id it answered...), so that records made by the run are read,
  changed and deleted by later steps.

Every answer is checked: never a 5xx (not_a_server_error), a status code the operation declares
(status_code_conformance), the content type declared for it (content_type_conformance) and a body that matches
the declared schema (response_schema_conformance). In the first two phases half the requests aim at real records
(path ids and ids in bodies are swapped for ids that exist), so that the success paths are exercised as well as
the 404s. Runs the same on SQLite and PostgreSQL (tests/conftest.py).

CI runs a small, derandomized sample (the same cases on every run, so a failure can be replayed). `make fuzz`
runs the same tests by hand with more cases and several seeds (JISR_FUZZ_EXAMPLES, JISR_FUZZ_STEPS and pytest's
--hypothesis-seed), on SQLite and PostgreSQL.
"""

import itertools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jisr.main import app
from tests.conftest import PASSWORD, Api

# `make fuzz` sets JISR_FUZZ_EXAMPLES (and a seed): more cases, drawn at random instead of derandomized.
FUZZ = "JISR_FUZZ_EXAMPLES" in os.environ
MAX_EXAMPLES = int(os.environ.get("JISR_FUZZ_EXAMPLES", "8"))  # random cases per operation (fuzzing phase)
SCENARIOS = int(os.environ.get("JISR_FUZZ_SCENARIOS", "25"))  # stateful phase: chains of calls...
STEPS = int(os.environ.get("JISR_FUZZ_STEPS", "6"))  # ...of at most this many steps


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
    deterministic=not FUZZ,  # CI: the same cases on every run, so a failure can be replayed
    database="none",  # no .hypothesis/ directory left behind
)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
if not FUZZ:
    # CI: boundary cases of invalid input only; the positive half of the coverage phase doubled the run (~70 s
    # more CPU for ~100 operations) and found nothing that `make fuzz` did not; random valid requests still run
    # in the fuzzing phase.
    schema.config.phases.coverage.generation.update(modes=["negative"])
# Chains are built from valid requests: an invalid step is a 422 that feeds nothing to the next one.
schema.config.phases.stateful.generation.update(modes=["positive"])

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
        "admin_id": api.get("/api/v1/auth/me").json()["id"],
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


def aim_at_real_records(case: Any, real: dict[str, Any], *, path: bool = True) -> None:
    for name, value in (case.path_parameters or {}).items() if path else ():
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


def test_stateful(real: dict[str, Any], turn: Iterator[int]) -> None:
    """Chains of calls along the links schemathesis infers (POST /events → GET/PATCH/DELETE /events/{event_id}...)."""
    headers = real["headers"]
    admin_id = real["admin_id"]

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # Half the bodies name real collectivities and tags, so that creations succeed and start chains; path
            # ids are left alone: they come from the links, which is the point of this phase.
            if next(turn) % 2 == 0:
                aim_at_real_records(case, real, path=False)
            # The admin the run signs in as stays an admin: a chain GET /users → DELETE /users/{user_id} would
            # otherwise delete it (allowed: another admin exists), and every later step would be a 401.
            if (case.path_parameters or {}).get("user_id") == admin_id:
                case.path_parameters["user_id"] = real["path"]["user_id"]

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except Exception:
                # Said at once: the state of the database differs when Hypothesis replays a failing chain, and the
                # replay can end in FlakyStrategyDefinition instead of the failure itself.
                print(f"stateful step failed: {case.method} {case.formatted_path} {case.query} {case.body!r:.500}")
                print(f"  answered {response.status_code}: {response.text[:500]}")
                raise

    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=not FUZZ,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
