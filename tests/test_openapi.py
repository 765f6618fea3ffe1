import json
import re
from pathlib import Path

from jisr.main import app

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_schema_matches_the_app() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == app.openapi(), "openapi/openapi.json is stale: run `make openapi` and commit it"


def test_every_operation_has_a_stable_id_a_tag_a_summary_and_its_errors() -> None:
    seen = set()
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            op_id = op.get("operationId", "")
            assert op_id and op_id not in seen, (method, path)
            seen.add(op_id)
            assert op.get("summary"), op_id
            assert len(op.get("tags", [])) == 1, op_id
            tag = op["tags"][0]
            assert re.fullmatch(rf"{re.escape(tag)}-[a-z0-9-]+", op_id), f"{op_id} is not <tag>-<verb>"
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (op_id, code)
                    assert "application/json" not in response["content"], (op_id, code)


def test_every_tag_is_described_once() -> None:
    schema = app.openapi()
    described = [tag["name"] for tag in schema.get("tags", []) if tag.get("description")]
    assert len(described) == len(set(described))
    used = {op["tags"][0] for item in schema["paths"].values() for op in item.values() if op.get("tags")}
    assert used <= set(described), f"tags without a description in jisr.main.TAGS: {sorted(used - set(described))}"


def test_the_transition_operation_describes_the_moves_the_service_allows() -> None:
    """The Markdown table in the description of matches-transition lists exactly TRANSITIONS."""
    from jisr.matching.models import TRANSITIONS

    op = app.openapi()["paths"]["/api/v1/matches/{match_id}/transitions"]["post"]
    described: dict[str, set[str]] = {}
    for line in op["description"].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("from", "---"):
            continue
        targets = set() if cells[1] == "— (final)" else set(cells[1].split(", "))
        for source in cells[0].split(", "):
            described[source] = targets
    assert described == {s.value: {t.value for t in ts} for s, ts in TRANSITIONS.items()}
