from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def upload(api: Any, kind: str, name: str, role: str = "admin", **params: Any) -> Any:
    """POST a fixture file as multipart, the way a browser or curl -F sends it."""
    content = (FIXTURES / name).read_bytes()
    return api.post(f"/api/v1/imports/{kind}", role, files={"file": (name, content)}, params=params)


@pytest.fixture
def directory(api: Any) -> dict[str, Any]:
    """Saïda, Jbeil, Lyon and the Métropole de Lyon, imported from the French-header CSV."""
    r = upload(api, "collectivities", "collectivites-fr-bom.csv")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 4, r.json()
    items = api.get("/api/v1/collectivities", params={"limit": 500}).json()["items"]
    return {c["code"]: c for c in items}
