"""Hostile files (issue 14, defect 8 and "bad files"): each is a clear 4xx or a failed import report,
read within bounds, and nothing is written. The files are made here, as small as the case allows."""

import io
import json
import tarfile
import zipfile
from typing import Any

import pytest

from jisr.worker import step
from tests.conftest import Env


@pytest.fixture
def small_limits(env: Env) -> None:
    """A 1 MiB cap on what an archive may expand to (the default is much larger), to keep files small."""
    env.set(import_max_expanded_bytes=str(1 << 20))


def _nothing_written(api: Any) -> None:
    assert api.get("/api/v1/collectivities").json()["total"] == 0
    assert api.get("/api/v1/needs").json()["total"] == 0


def _refused(api: Any, r: Any) -> str:
    """The detail of a 4xx problem, or of the failed report of a job; the job never succeeds."""
    if r.status_code == 202:
        step()  # the worker's pass runs queued imports
        job = api.get(r.headers["Location"]).json()
        assert job["status"] == "failed", job
        return str(job["detail"])
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return str(r.json()["detail"])


def _post(api: Any, name: str, content: bytes) -> Any:
    return api.post("/api/v1/imports/collectivities", files={"file": (name, content)})


def _tgz(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_tgz_that_expands_past_the_cap_is_refused(api: Any, small_limits: None) -> None:
    bomb = _tgz({"package/data/communes.json": b"[" + b" " * (4 << 20) + b"]"})  # 4 MiB of blanks
    assert len(bomb) < 20_000
    r = api.post("/api/v1/imports/france-reference", files=[("files", ("package.tgz", bomb))])
    assert "expands to more than" in _refused(api, r)
    _nothing_written(api)


def test_a_tgz_whose_long_name_header_expands_past_the_cap_is_refused(
    api: Any, small_limits: None, tmp_path: Any
) -> None:
    """A GNU long-name header is read whole by tarfile before the member is returned: the cap counts
    every decompressed byte (headers included), so a 4 MiB name is refused without being held."""
    import tracemalloc

    from jisr.imports import france

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(tarfile.TarInfo("package/" + "n" * (4 << 20)), io.BytesIO(b""))
    bomb = out.getvalue()
    assert len(bomb) < 20_000
    r = api.post("/api/v1/imports/france-reference", files=[("files", ("package.tgz", bomb))])
    assert "expands to more than" in _refused(api, r)
    _nothing_written(api)
    tracemalloc.start()
    try:
        with pytest.raises(france.ReferenceError_, match="expands to more than"):
            france._extract(bomb, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 << 20, peak  # about the 1 MiB cap, not the 4 MiB name (and its str copies)


def test_a_tgz_with_too_many_members_is_refused(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from jisr.imports import france, parsing

    assert parsing.MAX_ARCHIVE_MEMBERS == france.MAX_ARCHIVE_MEMBERS == 10_000
    monkeypatch.setattr(france, "MAX_ARCHIVE_MEMBERS", 50)  # the same check, with a small archive
    many = _tgz({f"package/x/{i}": b"" for i in range(51)})
    r = api.post("/api/v1/imports/france-reference", files=[("files", ("package.tgz", many))])
    assert "more than 50 files" in _refused(api, r)
    _nothing_written(api)


def test_a_corrupt_xlsx(api: Any) -> None:
    from openpyxl import Workbook

    out = io.BytesIO()
    wb = Workbook()
    wb.active.append(["Nom", "Pays"])
    wb.save(out)
    damaged = out.getvalue()[: len(out.getvalue()) // 2]  # cut in the middle
    assert "cannot be opened" in _refused(api, _post(api, "c.xlsx", damaged))
    _nothing_written(api)


def test_a_zip_bomb_posing_as_xlsx(api: Any, small_limits: None) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (8 << 20) + b"/>")  # 8 MiB, ~8 KiB packed
    assert len(out.getvalue()) < 50_000
    assert "expands to more than" in _refused(api, _post(api, "c.xlsx", out.getvalue()))
    _nothing_written(api)


def test_a_csv_with_100000_columns(api: Any) -> None:
    header = ";".join(f"c{i}" for i in range(100_000)) + "\n"
    assert "column" in _refused(api, _post(api, "c.csv", header.encode() + b"x;" * 10 + b"\n"))
    _nothing_written(api)


def test_a_csv_whose_data_row_has_100000_columns(api: Any) -> None:
    content = "Nom;Pays\n" + "x;" * 100_000 + "\n"
    assert "columns" in _refused(api, _post(api, "c.csv", content.encode()))
    _nothing_written(api)


def test_a_50_mb_single_line(api: Any, env: Env) -> None:
    env.set(max_import_bytes=str(60 << 20))
    line = b"Nom;" + b"a" * (50 << 20)  # one line, no newline
    r = _post(api, "c.csv", line)
    env.unset("max_import_bytes")
    assert "line" in _refused(api, r).lower()
    _nothing_written(api)


def test_json_nested_10000_deep(api: Any) -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    assert "nested" in _refused(api, _post(api, "c.json", deep))
    wrapped = json.dumps([{"name": "x", "country": "FR"}]).encode()[:-1] + b"," + deep + b"]"
    assert "nested" in _refused(api, _post(api, "c.json", wrapped))
    _nothing_written(api)
