"""The French reference directory, from Etalab's "découpage administratif" data.

The npm package ``@etalab/decoupage-administratif`` ships ``data/regions.json``,
``data/departements.json``, ``data/epci.json`` and ``data/communes.json`` (INSEE's official
geographic code, the DGCL's EPCI list, INSEE's legal populations). This adapter reads them and
upserts régions, départements, EPCI (code = SIREN) and current communes (code = INSEE; SIREN kept as
the external reference ``siren``; ``parent_id`` = their EPCI), on the natural key (FR, kind, code).
Only fields the reference owns are written; what coordinators added (descriptions, tags,
capacity…) stays. A second run with the same data changes nothing.
"""

import gzip
import io
import json
import subprocess
import tarfile
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, select
from sqlmodel import Session

from jisr.collectivities.models import Collectivity
from jisr.core.config import get_settings
from jisr.core.db import utcnow
from jisr.core.text import search_blob
from jisr.imports.engine import Engine, Item, Report, one_of, refresh_statistics, table_of
from jisr.imports.parsing import MAX_ARCHIVE_MEMBERS

PACKAGE = "@etalab/decoupage-administratif"
FILES = ("regions.json", "departements.json", "epci.json", "communes.json")
BATCH = 5000


class ReferenceError_(ValueError):
    """The reference data is missing or not in the expected shape."""


@dataclass
class Reference:
    regions: list[dict[str, Any]]
    departements: list[dict[str, Any]]
    epci: list[dict[str, Any]]
    communes: list[dict[str, Any]]

    @property
    def size(self) -> int:
        return len(self.regions) + len(self.departements) + len(self.epci) + len(self.communes)


def data_dir(directory: Path) -> Path:
    """The folder holding the four files: DIR itself, DIR/data, or DIR/package/data (an unpacked npm pack)."""
    for candidate in (directory, directory / "data", directory / "package" / "data"):
        if all((candidate / name).is_file() for name in FILES):
            return candidate
    raise ReferenceError_(f"{directory} does not hold {', '.join(FILES)} (nor in data/ or package/data/).")


def load(directory: Path) -> Reference:
    folder = data_dir(directory)
    parts: dict[str, list[dict[str, Any]]] = {}
    for name in FILES:
        try:
            content = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ReferenceError_(f"{name} cannot be read: {exc}") from exc
        if not isinstance(content, list) or not all(isinstance(x, dict) and "code" in x for x in content):
            raise ReferenceError_(f"{name} is not a list of objects with a code.")
        parts[name.removesuffix(".json")] = content
    communes = [c for c in parts["communes"] if c.get("type", "commune-actuelle") == "commune-actuelle"]
    return Reference(parts["regions"], parts["departements"], parts["epci"], communes)


def load_bytes(files: dict[str, bytes]) -> Reference:
    """The same from uploaded files (name -> content), or from an npm pack archive (``*.tgz``)."""
    with tempfile.TemporaryDirectory(prefix="jisr-fr-") as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            if name.endswith((".tgz", ".tar.gz")):
                _extract(content, folder)
            elif name in FILES:
                (folder / name).write_bytes(content)
        return load(folder)


class _Capped(io.RawIOBase):
    """A read-only stream that refuses the archive once more than ``limit`` bytes came out of it."""

    def __init__(self, inner: gzip.GzipFile | io.BytesIO, limit: int):
        self.inner, self.limit, self.count = inner, limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(self.limit + 1 - self.count if size < 0 else size)
        self.count += len(data)
        if self.count > self.limit:
            raise ReferenceError_(f"The archive expands to more than {self.limit // 2**20} MiB: it is refused.")
        return data


def _extract(archive: bytes, folder: Path) -> None:
    """Unpack the four data files of an npm pack archive (gzip-compressed or plain tar) into ``folder``.

    Every decompressed byte counts against the cap, headers included: tarfile reads a GNU long-name or
    PAX header whole before it returns the member, so counting ``member.size`` came too late. The tar is
    read as a stream (``r|``): the bytes behind the cap are never decompressed."""
    limit = get_settings().import_max_expanded_bytes
    raw = io.BytesIO(archive)
    inner: gzip.GzipFile | io.BytesIO = gzip.GzipFile(fileobj=raw, mode="rb") if archive[:2] == b"\x1f\x8b" else raw
    try:
        with tarfile.open(fileobj=_Capped(inner, limit), mode="r|") as tar:  # type: ignore[call-overload]
            for count, member in enumerate(tar, start=1):
                if count > MAX_ARCHIVE_MEMBERS:
                    raise ReferenceError_(f"The archive holds more than {MAX_ARCHIVE_MEMBERS} files: it is refused.")
                if member.isfile() and Path(member.name).name in FILES:
                    tar.extract(member, folder, filter="data")  # the current member: a stream reads forward
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ReferenceError_(f"The archive cannot be read: {exc}") from exc


def fetch(folder: Path, version: str | None = None) -> Path:
    """``npm pack`` the package into ``folder`` and unpack its data; returns the data folder."""
    spec = f"{PACKAGE}@{version}" if version else PACKAGE
    try:
        subprocess.run(
            ["npm", "pack", spec, "--pack-destination", str(folder), "--silent"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ReferenceError_(f"npm pack {spec} failed: {exc}") from exc
    archive = next(folder.glob("*.tgz"), None)
    if archive is None:
        raise ReferenceError_(f"npm pack {spec} gave no archive.")
    _extract(archive.read_bytes(), folder)
    return data_dir(folder)


def _fr(kind: str, code: str, name: str, **values: Any) -> dict[str, Any]:
    return {"country": "FR", "kind": kind, "code": code, "name": name, **values}


def _chunks(items: list[Item], size: int) -> list[list[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def import_reference(session: Session, ref: Reference, *, on_progress: Callable[[int], None] | None = None) -> Report:
    """Upsert the whole reference in the session's transaction (the caller commits)."""
    engine = Engine(session, "collectivities", trusted=True)
    if session.get_bind().dialect.name == "postgresql":
        report = _import_pg(session, engine, ref, on_progress)
        if report is not None:
            refresh_statistics(engine)
            return report
    done = 0

    def run(items: list[Item]) -> None:
        nonlocal done
        for chunk in _chunks(items, BATCH):
            engine.process(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(done)

    population_dep: Counter[str] = Counter()
    population_reg: Counter[str] = Counter()
    commune_dep: dict[str, tuple[str, str]] = {}
    for c in ref.communes:
        commune_dep[c["code"]] = (c.get("departement") or "", c.get("region") or "")
        if isinstance(c.get("population"), int):
            population_dep[c.get("departement") or ""] += c["population"]
            population_reg[c.get("region") or ""] += c["population"]

    row = 0

    def item(values: dict[str, Any], refs: dict[str, str] | None = None) -> Item:
        nonlocal row
        row += 1
        return Item(row=row, values=values, refs=refs or {})

    run(
        [
            item(_fr("region", r["code"], r["nom"], region=r["code"], population=population_reg.get(r["code"])))
            for r in ref.regions
        ]
    )
    run(
        [
            item(
                _fr(
                    "departement",
                    d["code"],
                    d["nom"],
                    region=d.get("region"),
                    departement=d["code"],
                    population=population_dep.get(d["code"]),
                )
            )
            for d in ref.departements
        ]
    )
    epci_of: dict[str, str] = {}
    epci_items = []
    for e in ref.epci:
        members = e.get("membres") or []
        for m in members:
            epci_of[m["code"]] = e["code"]
        deps = Counter(commune_dep.get(m["code"], ("", ""))[0] for m in members)
        regs = Counter(commune_dep.get(m["code"], ("", ""))[1] for m in members)
        dep = deps.most_common(1)[0][0] if deps else None
        reg = regs.most_common(1)[0][0] if regs else None
        population = e.get("populationMunicipale", e.get("populationTotale"))
        epci_items.append(
            item(
                _fr("epci", e["code"], e["nom"], departement=dep or None, region=reg or None, population=population),
                {"siren": e["code"]},
            )
        )
    run(epci_items)

    t = table_of(Collectivity)
    epci_ids = {
        r.code: r.id for r in session.execute(select(t.c.id, t.c.code).where(t.c.country == "FR", t.c.kind == "epci"))
    }
    commune_items = []
    for c in ref.communes:
        parent = epci_ids.get(epci_of.get(c["code"], ""))
        population = c.get("population") if isinstance(c.get("population"), int) else None
        values = _fr(
            "commune",
            c["code"],
            c["nom"],
            departement=c.get("departement"),
            region=c.get("region"),
            population=population,
            parent_id=parent,
        )
        commune_items.append(item(values, {"siren": c["siren"]} if c.get("siren") else None))
    run(commune_items)
    refresh_statistics(engine)
    return engine.report


# --- PostgreSQL: one COPY, then set-based comparison and writes ------------------------------

# The fields the reference owns, per kind (what the generic path writes: see import_reference above).
_OWNED = {
    "region": ("name", "region", "population"),
    "departement": ("name", "region", "departement", "population"),
    "epci": ("name", "departement", "region", "population"),
    "commune": ("name", "departement", "region", "population", "parent_id"),
}
_TEMP = "jisr_fr_reference"


def _rows(ref: Reference) -> list[tuple[Any, ...]]:
    """(kind, code, name, region, departement, population, parent EPCI code, siren), as import_reference."""
    population_dep: Counter[str] = Counter()
    population_reg: Counter[str] = Counter()
    commune_dep: dict[str, tuple[str, str]] = {}
    for c in ref.communes:
        commune_dep[c["code"]] = (c.get("departement") or "", c.get("region") or "")
        if isinstance(c.get("population"), int):
            population_dep[c.get("departement") or ""] += c["population"]
            population_reg[c.get("region") or ""] += c["population"]
    out: list[tuple[Any, ...]] = []
    for r in ref.regions:
        out.append(("region", r["code"], r["nom"], r["code"], None, population_reg.get(r["code"]), None, None))
    for d in ref.departements:
        pop = population_dep.get(d["code"])
        out.append(("departement", d["code"], d["nom"], d.get("region"), d["code"], pop, None, None))
    epci_of: dict[str, str] = {}
    for e in ref.epci:
        members = e.get("membres") or []
        for m in members:
            epci_of[m["code"]] = e["code"]
        deps = Counter(commune_dep.get(m["code"], ("", ""))[0] for m in members)
        regs = Counter(commune_dep.get(m["code"], ("", ""))[1] for m in members)
        dep = deps.most_common(1)[0][0] if deps else None
        reg = regs.most_common(1)[0][0] if regs else None
        population = e.get("populationMunicipale", e.get("populationTotale"))
        out.append(("epci", e["code"], e["nom"], reg or None, dep or None, population, None, e["code"]))
    for c in ref.communes:
        population = c.get("population") if isinstance(c.get("population"), int) else None
        out.append(
            (
                "commune",
                c["code"],
                c["nom"],
                c.get("region"),
                c.get("departement"),
                population,
                epci_of.get(c["code"]),
                c.get("siren") or None,
            )
        )
    return out


def _import_pg(
    session: Session, engine: Engine, ref: Reference, on_progress: Callable[[int], None] | None
) -> Report | None:
    """The reference through a temporary table: COPY the rows in, match them to the directory on the
    unique (country, kind, code), then one UPDATE … WHERE (fields) IS DISTINCT FROM (reference) and
    one INSERT … SELECT per kind, and the SIREN references set-based. Unchanged rows cost no Python:
    no fetch, no comparison, no folding (the search text is computed only for new or renamed rows).

    Returns None, having written nothing, when the data holds a case the generic path reports row by
    row (a code twice, a SIREN that belongs to another collectivity): the caller then runs that path.
    """
    rows = _rows(ref)
    conn = session.connection()
    t = table_of(Collectivity)
    stmt = select(t.c.kind, t.c.code, t.c.name, t.c.id).where(t.c.country == "FR", t.c.code.isnot(None))
    known = {(r.kind, r.code): (r.name, r.id) for r in session.execute(stmt)}
    # Renamed rows (rare) need the names coordinators added, for their new search text.
    renamed = [known[(k, c)][1] for k, c, name, *_ in rows if (k, c) in known and known[(k, c)][0] != name]
    others: dict[Any, Any] = {}
    for start in range(0, len(renamed), 5000):
        chunk = renamed[start : start + 5000]
        stmt = select(t.c.id, t.c.name_ar, t.c.name_alt).where(one_of(t.c.id, chunk))
        others.update({r.id: r for r in session.execute(stmt)})

    def search(kind: str, code: str, name: str) -> str | None:
        """CollectivitySpec.search_text, for new and renamed rows only (None: keep the stored one)."""
        old = known.get((kind, code))
        if old is None:
            return search_blob(name, None, [], code)
        if old[0] == name:
            return None
        more = others[old[1]]
        return search_blob(name, more.name_ar, more.name_alt or [], code)

    sql = conn.exec_driver_sql
    # The temporary table has no statistics and the directory's may be those of an empty table: a nested
    # loop then compares each commune with each EPCI (19 million comparisons, 4 s, seen). Hash joins.
    sql("SET LOCAL enable_nestloop = off")
    sql(
        f"CREATE TEMPORARY TABLE {_TEMP}_in (ord int, kind text, code text, name text, region text,"
        " departement text, population int, parent_code text, siren text, search_text text) ON COMMIT DROP"
    )
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {_TEMP}_in FROM STDIN") as copy:
        for i, (kind, code, name, *rest) in enumerate(rows):
            copy.write_row((i, kind, code, name, *rest, search(kind, code, name)))
    # Each row with the record it matches (old_id), the id it keeps or gets, and whether its SIREN changes.
    sql(
        f"CREATE TEMPORARY TABLE {_TEMP} ON COMMIT DROP AS SELECT t.*, c.id AS old_id,"
        " coalesce(c.id, gen_random_uuid()) AS cid, c.id IS NULL AS is_new,"
        " t.siren IS NOT NULL AND NOT EXISTS (SELECT 1 FROM external_refs e WHERE e.resource_type = 'collectivity'"
        "  AND e.resource_id = c.id AND e.source = 'siren' AND e.value = t.siren) AS ref_changed"
        f" FROM {_TEMP}_in t LEFT JOIN collectivities c ON c.country = 'FR' AND c.kind = t.kind AND c.code = t.code"
    )
    # What the generic path reports row by row: let it do so.
    trouble = sql(
        f"SELECT EXISTS (SELECT 1 FROM {_TEMP} t JOIN external_refs e ON e.resource_type = 'collectivity'"
        "  AND e.source = 'siren' AND e.value = t.siren WHERE e.resource_id IS DISTINCT FROM t.old_id)"
    ).scalar()
    if trouble or len({(r[0], r[1]) for r in rows}) < len(rows):  # or a code twice
        sql(f"DROP TABLE {_TEMP}, {_TEMP}_in")
        sql("SET LOCAL enable_nestloop TO DEFAULT")
        return None
    now = utcnow()
    report = engine.report
    fixed = {"id", "created_at", "updated_at", "version", "country", "kind", "code", "search_text"}
    done = 0
    for kind in ("region", "departement", "epci", "commune"):
        owned = _OWNED[kind]
        source = f"{_TEMP} t"
        if kind == "commune":  # their EPCI (p), written by now
            source += " LEFT JOIN collectivities p ON p.country = 'FR' AND p.kind = 'epci' AND p.code = t.parent_code"

        def src(name: str) -> str:
            return "p.id" if name == "parent_id" else f"t.{name}"

        sets = ", ".join(f"{f} = {src(f)}" for f in owned)
        mine = ", ".join(f"c.{f}" for f in owned)
        theirs = ", ".join(src(f) for f in owned)
        updated = sql(
            f"UPDATE collectivities c SET {sets}, search_text = coalesce(t.search_text, c.search_text),"
            f" version = c.version + 1, updated_at = %(now)s FROM {source}"
            f" WHERE t.cid = c.id AND NOT t.is_new AND t.kind = %(kind)s"
            f" AND (({mine}) IS DISTINCT FROM ({theirs}) OR t.ref_changed)",
            {"now": now, "kind": kind},
        ).rowcount
        # New rows: the reference's fields, the model's defaults for the others (as the generic path).
        names = [c.name for c in t.columns]
        values: list[str] = []
        params: dict[str, Any] = {"now": now, "kind": kind}
        for name in names:
            if name == "id":
                values.append("t.cid")
            elif name in ("created_at", "updated_at"):
                values.append("%(now)s")
            elif name == "version":
                values.append("1")
            elif name == "country":
                values.append("'FR'")
            elif name in ("kind", "code", "search_text") or name in owned:
                values.append(src(name))
            else:
                default = engine.defaults.get(name, engine.placeholders.get(name))
                column = t.c[name]
                if isinstance(column.type, JSON):
                    params[name] = None if default is None else json.dumps(default, ensure_ascii=False)
                    values.append(f"%({name})s::json")
                else:
                    params[name] = getattr(default, "value", default)  # an enum: its value
                    values.append(f"%({name})s::{column.type.compile(dialect=conn.dialect)}")
        assert fixed <= set(names)
        created = sql(
            f"INSERT INTO collectivities ({', '.join(names)}) SELECT {', '.join(values)} FROM {source}"
            " WHERE t.is_new AND t.kind = %(kind)s",
            params,
        ).rowcount
        report.created += created  # changed_ids stay empty: only needs' webhooks read them
        report.updated += updated
        count = sum(1 for r in rows if r[0] == kind)
        done += count
        report.processed += count
        if on_progress:
            on_progress(done)
    sql(
        f"DELETE FROM external_refs e USING {_TEMP} t WHERE t.ref_changed AND NOT t.is_new"
        " AND e.resource_type = 'collectivity' AND e.resource_id = t.cid AND e.source = 'siren'"
    )
    sql(
        "INSERT INTO external_refs (id, created_at, updated_at, version, resource_type, resource_id, source, value)"
        f" SELECT gen_random_uuid(), %(now)s, %(now)s, 1, 'collectivity', t.cid, 'siren', t.siren FROM {_TEMP} t"
        " WHERE t.ref_changed",
        {"now": now},
    )
    report.unchanged = len(rows) - report.created - report.updated
    engine._written += report.created + report.updated
    sql(f"DROP TABLE {_TEMP}, {_TEMP}_in")
    sql("SET LOCAL enable_nestloop TO DEFAULT")
    return report
