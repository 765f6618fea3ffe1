"""Every operation of the OpenAPI schema × every role, against one table of expected answers.

EXPECTED below is the table: one row per operationId, one answer per role, in the order of ROLES:
  "allow"  the role may: the request reaches the operation's work, so the answer is a 2xx, or a 404/409/412/422
           that the operation itself gave after its permission check (a proposal that does not exist, a link
           that is not valid, a rule of the domain). A 422 from request validation is not "allow": the request
           never reached the operation (give it a valid body in BODIES); neither is a 401/403 nor a 5xx.
  "deny"   403 (401 for anonymous);
  "own"    members only: 403 on records of another collectivity, allowed on their own.

Requests go to real records (see `world`): a member's "other" records belong to a collectivity that is not its own.
A new operation fails `test_every_operation_has_a_row` until its row is added here; a new path parameter needs a
line in `world`, and a write that needs a valid body to reach its permission check needs an entry in BODIES.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from jisr.core.errors import REQUEST_INVALID
from jisr.main import app
from tests.conftest import PASSWORD, Api

ROLES = ("admin", "coordinator", "member", "viewer", "anonymous")
A, D, OWN = "allow", "deny", "own"

EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    # operationId                (admin, coordinator, member, viewer, anonymous)
    "operations-healthz": (A, A, A, A, A),
    "operations-readyz": (A, A, A, A, A),
    "auth-token": (A, A, A, A, A),
    "auth-me": (A, A, A, A, D),
    "users-list": (A, D, D, D, D),
    "users-create": (A, D, D, D, D),
    "users-get": (A, D, D, D, D),
    "users-update": (A, D, D, D, D),
    "users-delete": (A, D, D, D, D),
    "api-clients-list": (A, D, D, D, D),
    "api-clients-create": (A, D, D, D, D),
    "api-clients-get": (A, D, D, D, D),
    "api-clients-update": (A, D, D, D, D),
    "api-clients-delete": (A, D, D, D, D),
    "api-clients-rotate-secret": (A, D, D, D, D),
    "tags-list": (A, A, A, A, D),
    "tags-get": (A, A, A, A, D),
    "tags-create": (A, A, D, D, D),
    "tags-update": (A, A, D, D, D),
    "tags-delete": (A, A, D, D, D),
    "reference-lebanon": (A, A, A, A, D),
    "collectivities-list": (A, A, A, A, D),
    "collectivities-get": (A, A, A, A, D),
    "collectivities-create": (A, A, D, D, D),
    "collectivities-update": (A, A, OWN, D, D),
    "collectivities-delete": (A, A, D, D, D),
    "contacts-list": (A, A, D, D, D),
    "contacts-get": (A, A, D, D, D),
    "contacts-create": (A, A, D, D, D),
    "contacts-update": (A, A, D, D, D),
    "contacts-delete": (A, A, D, D, D),
    "needs-list": (A, A, A, A, D),
    "needs-get": (A, A, A, A, D),
    "needs-create": (A, A, OWN, D, D),
    "needs-update": (A, A, OWN, D, D),
    "needs-delete": (A, A, OWN, D, D),
    "partnerships-list": (A, A, A, A, D),
    "partnerships-get": (A, A, A, A, D),
    "partnerships-create": (A, A, D, D, D),
    "partnerships-update": (A, A, D, D, D),
    "partnerships-delete": (A, A, D, D, D),
    "events-list": (A, A, A, A, D),
    "events-create": (A, A, D, D, D),
    "events-get": (A, A, A, A, D),
    "events-update": (A, A, D, D, D),
    "events-delete": (A, A, D, D, D),
    "events-calendar": (A, A, A, A, D),
    "events-calendar-feed": (A, A, A, A, D),
    "events-registrations-list": (A, A, A, D, D),
    "events-registrations-create": (A, A, OWN, D, D),
    "events-registrations-get": (A, A, OWN, D, D),
    "events-registrations-update": (A, A, OWN, D, D),
    "events-attendance-record": (A, A, D, D, D),
    "events-participants-csv": (A, A, D, D, D),
    "events-questions-list": (A, A, A, A, D),
    "events-questions-create": (A, A, OWN, D, D),
    "events-questions-update": (A, A, D, D, D),
    "events-faq": (A, A, A, A, D),
    "census-campaigns-list": (A, A, D, D, D),
    "census-campaigns-create": (A, A, D, D, D),
    "census-campaigns-get": (A, A, D, D, D),
    "census-campaigns-update": (A, A, D, D, D),
    "census-campaigns-delete": (A, A, D, D, D),
    "census-campaigns-progress": (A, A, D, D, D),
    "census-invitations-list": (A, A, D, D, D),
    "census-invitations-create": (A, A, D, D, D),
    "census-invitations-revoke": (A, A, D, D, D),
    "census-invitations-reissue": (A, A, D, D, D),
    "census-responses-list": (A, A, D, D, D),
    "census-responses-get": (A, A, D, D, D),
    "census-responses-update": (A, A, D, D, D),
    "census-responses-validate": (A, A, D, D, D),
    "census-responses-reject": (A, A, D, D, D),
    "census-forms-get": (A, A, A, A, A),  # public: the private link is the credential
    "census-forms-submit": (A, A, A, A, A),
    "matches-runs-create": (A, A, D, D, D),
    "matches-relaunch": (A, A, D, D, D),
    "matches-defaults": (A, A, D, A, D),
    "matches-runs-list": (A, A, D, A, D),
    "matches-runs-get": (A, A, D, A, D),
    "matches-runs-compare": (A, A, D, A, D),
    "matches-list": (A, A, A, A, D),  # members: only proposals about them (tests/matching)
    "matches-get": (A, A, A, A, D),  # members: 403 on others' proposals (tests/matching)
    "matches-transition": (A, A, A, D, D),  # members: accept/decline their own only (tests/matching)
    "meetings-availability-set": (A, A, A, D, D),  # members: their own collectivity only (tests/matching)
    "meetings-availability-list": (A, A, A, D, D),
    "meetings-schedule": (A, A, D, D, D),
    "meetings-list": (A, A, A, A, D),
    "meetings-agenda": (A, A, A, A, D),  # members: their own agenda only (tests/matching)
    "imports-create": (A, A, D, D, D),
    "imports-france-reference": (A, A, D, D, D),
    "imports-list": (A, A, D, D, D),
    "imports-get": (A, A, D, D, D),
    "exports-collectivities": (A, A, A, A, D),
    "exports-needs": (A, A, A, A, D),
    "exports-partnerships": (A, A, A, A, D),
    "exports-partnerships-atlas": (A, A, A, A, D),
    "exports-tags": (A, A, A, A, D),
    "exports-contacts": (A, A, D, D, D),  # contacts are for staff: so is their export
    "changes-list": (A, A, A, A, D),  # members and viewers get no contacts in it (tests/sync)
    "webhooks-list": (A, D, D, D, D),
    "webhooks-create": (A, D, D, D, D),
    "webhooks-get": (A, D, D, D, D),
    "webhooks-update": (A, D, D, D, D),
    "webhooks-delete": (A, D, D, D, D),
    "webhooks-deliveries": (A, D, D, D, D),
    "webhooks-ping": (A, D, D, D, D),
    "webhooks-retry": (A, D, D, D, D),
    "outbox-list": (A, D, D, D, D),
    "outbox-retry": (A, D, D, D, D),
    "unsubscribe-page": (A, A, A, A, A),  # public: the signed link in a reminder is the credential
    "unsubscribe-confirm": (A, A, A, A, A),
    "audit-list": (A, D, D, D, D),  # the audit trail names people and holds their data: admins only
    "audit-get": (A, D, D, D, D),
    "personal-data-get": (A, D, D, D, D),
    "personal-data-erase": (A, D, D, D, D),
}

Ids = dict[str, str]


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# Request bodies that pass validation, so that checks made after validation (a member's own collectivity)
# are reached. `ids` holds the records of the side being tested (the member's own, or another collectivity's).
BODIES: dict[str, Callable[[Ids], dict[str, Any]]] = {
    "auth-token": lambda ids: {
        "data": {"grant_type": "password", "username": "viewer@jisr.example.org", "password": PASSWORD}
    },
    "users-create": lambda ids: {"json": {"email": f"{_unique('u')}@example.org", "password": PASSWORD}},
    "users-update": lambda ids: {"json": {"full_name": "Changed"}},
    "api-clients-create": lambda ids: {"json": {"name": "Another system"}},
    "api-clients-update": lambda ids: {"json": {"name": "Renamed"}},
    "tags-create": lambda ids: {
        "json": {"slug": _unique("t"), "label_fr": "Thème", "label_en": "Theme", "label_ar": "موضوع"}
    },
    "tags-update": lambda ids: {"json": {"label_fr": "Changé"}},
    "collectivities-create": lambda ids: {"json": {"country": "LB", "kind": "municipality", "name": "Jezzine"}},
    "collectivities-update": lambda ids: {"json": {"description": "Changed"}},
    "contacts-create": lambda ids: {
        "json": {"collectivity_id": ids["collectivity_id"], "full_name": "Nour", "consent_at": "2024-01-15T09:00Z"}
    },
    "personal-data-get": lambda ids: {"params": {"email": "nobody@example.org"}},
    "personal-data-erase": lambda ids: {"json": {"email": "nobody@example.org"}},
    "contacts-update": lambda ids: {"json": {"role": "Staff"}},
    "needs-create": lambda ids: {"json": {"collectivity_id": ids["collectivity_id"], "title": "Roads"}},
    "needs-update": lambda ids: {"json": {"title": "Changed"}},
    "partnerships-create": lambda ids: {
        "json": {
            "french_collectivity_id": ids["french_collectivity_id"],
            "lebanese_collectivity_id": ids["collectivity_id"],
        }
    },
    "partnerships-update": lambda ids: {"json": {"description": "Changed"}},
    "events-registrations-create": lambda ids: {"json": {"collectivity_id": ids["collectivity_id"]}},
    # an active partnership: the relaunch answers 409 relaunch_not_dormant, after its permission check
    "matches-relaunch": lambda ids: {"json": {"partnership_id": ids["partnership_id"]}},
    # a file that fails fast: without files the server would fetch the reference with npm
    "imports-france-reference": lambda ids: {"files": [("files", ("communes.json", b"[]"))]},
    "events-questions-create": lambda ids: {
        "json": {"question": "Combien de temps ?", "collectivity_id": ids["collectivity_id"]}
    },
    "events-create": lambda ids: {
        "json": {"kind": "webinar", "title": "Autre", "starts_at": "2030-07-01T10:00Z", "ends_at": "2030-07-01T11:00Z"}
    },
    "events-attendance-record": lambda ids: {
        "json": {"items": [{"registration_id": ids["registration_id"], "status": "attended"}]}
    },
    "census-campaigns-create": lambda ids: {"json": {"title": "Recensement", "closes_at": "2099-01-01T00:00Z"}},
    "census-forms-submit": lambda ids: {
        "json": {"language": "fr", "contact": {"full_name": "Rima Haddad"}, "needs": [{"title": "Eau"}]}
    },
    "matches-transition": lambda ids: {"json": {"to": "accepted"}},
    "meetings-availability-set": lambda ids: {
        "json": {"windows": [{"starts_at": "2030-06-10T10:00Z", "ends_at": "2030-06-10T12:00Z"}]}
    },
    # a loopback URL: refused at registration (a 422 of the operation), and no name to resolve
    "webhooks-create": lambda ids: {"json": {"url": "https://127.0.0.1/hook", "events": ["need.created"]}},
}


@dataclass
class Operation:
    id: str
    method: str
    path: str
    params: list[str] = field(default_factory=list)


def operations() -> dict[str, Operation]:
    out = {}
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            out[op["operationId"]] = Operation(op["operationId"], method.upper(), path, params)
    return out


OPERATIONS = operations()


def _guess(op: Operation) -> str:
    row = "(A, A, A, A, D)" if op.method == "GET" else "(A, A, D, D, D)"
    return f'    "{op.id}": {row},  # {op.method} {op.path}'


def test_every_operation_has_a_row() -> None:
    missing = [op for op_id, op in OPERATIONS.items() if op_id not in EXPECTED]
    assert not missing, (
        f"{len(missing)} operation(s) have no row in EXPECTED of tests/test_roles_matrix.py. Add these rows "
        "(guessed from the method: check each answer, in the order admin, coordinator, member, viewer, anonymous; "
        'use OWN for "members: own collectivity only"):\n' + "\n".join(_guess(op) for op in missing)
    )


def test_no_row_for_an_operation_that_is_gone() -> None:
    stale = sorted(set(EXPECTED) - set(OPERATIONS))
    assert not stale, f"remove these rows from EXPECTED in tests/test_roles_matrix.py: {stale}"


def test_rows_are_well_formed() -> None:
    for op_id, row in EXPECTED.items():
        assert len(row) == len(ROLES) and set(row) <= {A, D, OWN}, op_id
        assert OWN not in (row[0], row[1], row[3], row[4]), f"{op_id}: only members are limited to their own records"


@dataclass
class World:
    """Real records to aim at. `other` belongs to a collectivity that is not the member's; `own` to the member's."""

    other: Ids
    own: Ids


@pytest.fixture
def world(api: Api) -> World:
    for role in ROLES:
        api.headers(role)  # sign every role in (the member is bound to api.own_collectivity())
    own_c = api.own_collectivity()
    other_c = api.collectivity(name="Tyr", code="LB-TYR")
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    partnership = api.partnership(lyon["id"], other_c["id"])
    tag = api.post(
        "/api/v1/tags", json={"slug": "matrice", "label_fr": "Matrice", "label_en": "Matrix", "label_ar": "مصفوفة"}
    ).json()
    user = api.post("/api/v1/users", json={"email": "target@example.org", "password": PASSWORD}).json()
    client = api.post("/api/v1/api-clients", json={"name": "Target system"}).json()
    event = api.post(
        "/api/v1/events",
        json={"kind": "webinar", "title": "Matrice", "starts_at": "2030-06-10T10:00Z", "ends_at": "2030-06-10T12:00Z"},
    ).json()
    shared = {
        "french_collectivity_id": lyon["id"],
        "partnership_id": partnership["id"],
        "tag_id": tag["id"],
        "user_id": user["id"],
        "client_id": client["id"],
        "event_id": event["id"],
        "entry_id": api.get("/api/v1/audit", params={"limit": 1}).json()["items"][0]["id"],
        # path parameters that are not ids
        "format": "csv",
        "fmt": "ics",
        "kind": "collectivities",
    }

    def side(collectivity: dict[str, Any]) -> Ids:
        return {
            **shared,
            "collectivity_id": collectivity["id"],
            "need_id": api.need(collectivity["id"])["id"],
            "contact_id": api.contact(collectivity["id"])["id"],
            "registration_id": api.post(
                f"/api/v1/events/{event['id']}/registrations", json={"collectivity_id": collectivity["id"]}
            ).json()["id"],
        }

    return World(other=side(other_c), own=side(own_c))


def call(api: Api, op: Operation, role: str, ids: Ids) -> Any:
    path = op.path
    for name in op.params:
        path = path.replace("{" + name + "}", ids.get(name, str(uuid.uuid4())))
    kwargs = BODIES[op.id](ids) if op.id in BODIES else {}
    if op.method in ("POST", "PUT", "PATCH") and not kwargs:
        kwargs = {"json": {}}
    return api.request(op.method, path, role, **kwargs)


def reached_the_operation(r: Any) -> bool:
    """A 2xx, or a 404/409/412/422 problem that the operation gave after its permission check: not one of request
    validation (its detail is REQUEST_INVALID, and only its), nor the framework's 404 for a path no route takes."""
    if 200 <= r.status_code < 300:
        return True
    if r.status_code not in (404, 409, 412, 422) or r.headers.get("content-type") != "application/problem+json":
        return False
    detail = r.json().get("detail")
    return detail not in (REQUEST_INVALID, None, "Not Found")


def verdict(expected: str, role: str, r: Any) -> str | None:
    """What is wrong with the answer `r` for a role whose expected answer is `expected` (None: nothing)."""
    status = r.status_code
    if status >= 500:
        return f"got a server error {status}"
    if expected == D:
        want = 401 if role == "anonymous" else 403
        return None if status == want else f"expected {want}, got {status}"
    if status in (401, 403):
        return f"expected to be allowed, got {status}"
    if not reached_the_operation(r):
        return f"expected the operation to run, got {status} (request validation or routing: fix BODIES or `world`)"
    return None


@pytest.mark.parametrize("op_id", sorted(set(EXPECTED) & set(OPERATIONS)))
def test_role_matrix(api: Api, world: World, op_id: str) -> None:
    op = OPERATIONS[op_id]
    row = dict(zip(ROLES, EXPECTED[op_id], strict=True))
    unknown = [p for p in op.params if p not in world.other]
    if OWN in row.values():
        assert not unknown, f"{op_id}: add records for path parameters {unknown} to the `world` fixture"
    problems = []
    # denials first, so that an allowed DELETE does not take the record away from a role still to be checked
    for role in sorted(ROLES, key=lambda r: row[r] == A):
        expected = row[role]
        if expected == OWN:
            r = call(api, op, role, world.other)
            if (msg := verdict(D, role, r)) is not None:
                problems.append(f"{role} on another collectivity's record: {msg}: {r.text[:200]}")
            r = call(api, op, role, world.own)
            if (msg := verdict(A, role, r)) is not None:
                problems.append(f"{role} on its own record: {msg}: {r.text[:200]}")
        else:
            r = call(api, op, role, world.other)
            if (msg := verdict(expected, role, r)) is not None:
                problems.append(f"{role}: {msg}: {r.text[:200]}")
            if role == "member" and expected == D and not unknown:  # "deny", not "own": its own records too
                r = call(api, op, role, world.own)
                if (msg := verdict(D, role, r)) is not None:
                    problems.append(f"{role} on its own record: {msg}: {r.text[:200]}")
    assert not problems, f"{op.method} {op.path} ({op_id}):\n" + "\n".join(problems)


# A need's status, by who moves it (issue 21 item 4): members move their own needs between the statuses
# they own (draft, open, closed = withdrawn); in_discussion and matched belong to coordinators, and a need in
# one of them is moved on by coordinators only. Rows: (from, to) → (admin, coordinator, member on its own need).
NEED_STATUSES = ("draft", "open", "in_discussion", "matched", "closed")
MEMBER_NEED_STATUSES = {"draft", "open", "closed"}
NEED_STATUS_MOVES: dict[tuple[str, str], tuple[str, str, str]] = {
    (a, b): (A, A, A if {a, b} <= MEMBER_NEED_STATUSES else D) for a in NEED_STATUSES for b in NEED_STATUSES if a != b
}


def test_need_status_moves_by_role(api: Api) -> None:
    own = api.own_collectivity()
    problems = []
    for (start, to), row in NEED_STATUS_MOVES.items():
        for role, expected in zip(("admin", "coordinator", "member"), row, strict=True):
            need = api.need(own["id"], status=start)
            r = api.patch(f"/api/v1/needs/{need['id']}", role=role, json={"status": to})
            if (msg := verdict(expected, role, r)) is not None:
                problems.append(f"{role} {start} → {to}: {msg}: {r.text[:200]}")
            elif expected == D:
                if r.json().get("code") != "need_status_staff":
                    problems.append(f"{role} {start} → {to}: no code need_status_staff")
                if api.get(f"/api/v1/needs/{need['id']}").json()["status"] != start:
                    problems.append(f"{role} {start} → {to}: the status changed anyway")
    for status in NEED_STATUSES:  # creating a need with a status
        body = {"collectivity_id": own["id"], "title": "T", "status": status}
        r = api.post("/api/v1/needs", role="member", json=body)
        want = A if status in MEMBER_NEED_STATUSES else D
        if (msg := verdict(want, "member", r)) is not None:
            problems.append(f"member creates a {status} need: {msg}")
    assert not problems, "\n".join(problems)
