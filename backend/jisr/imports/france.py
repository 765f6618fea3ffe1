"""The French reference directory, from Etalab's "découpage administratif" data.

The npm package ``@etalab/decoupage-administratif`` ships ``data/regions.json``,
``data/departements.json``, ``data/epci.json`` and ``data/communes.json`` (INSEE's official
geographic code, the DGCL's EPCI list, INSEE's legal populations). This adapter reads them and
upserts régions, départements, EPCI (code = SIREN) and current communes (code = INSEE; SIREN kept as
the external reference ``siren``; ``parent_id`` = their EPCI), on the natural key (FR, kind, code).
Only fields the reference owns are written; what coordinators added (descriptions, tags,
capacity…) stays. A second run with the same data changes nothing.
"""

import json
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from jisr.collectivities.models import Collectivity
from jisr.imports.engine import Engine, Item, Report, refresh_statistics, table_of

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


def _extract(archive: bytes, folder: Path) -> None:
    path = folder / "package.tgz"
    path.write_bytes(archive)
    try:
        with tarfile.open(path) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and Path(m.name).name in FILES]
            tar.extractall(folder, members=members, filter="data")
    except tarfile.TarError as exc:
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
