"""Benchmark (not a test): the French reference directory through `jisr import france-reference`.

On PostgreSQL, in a database of its own (random name, dropped at the end):

1. first load of the whole reference (régions, départements, EPCI, communes: ~36,000 collectivities
   and their SIREN references) into an empty directory;
2. second load of the same data: nothing changes, everything is counted `unchanged`;
3. the floor: the very same rows written with PostgreSQL COPY into the emptied tables.

Prints wall-clock and CPU times and the ratios to COPY. Targets: first load < 3 s, second < 2 s.

    .venv/bin/python benchmarks/import.py [DIR] [--synthetic] [--profile] [--url postgresql+psycopg://…/postgres]

``--profile`` runs both loads under cProfile and prints the 25 costliest functions of each (the
times then include the profiler's overhead: compare them with each other, not with the targets).

DIR holds the Etalab files (communes.json, epci.json, departements.json, regions.json); without it
the package is fetched with `npm pack @etalab/decoupage-administratif`, and when that fails a
synthetic reference with the same file shapes and sizes is generated.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))


def synthetic(folder: Path, communes: int = 34_900, epci: int = 1_250, seed: int = 7) -> Path:
    """A made-up reference with the real files' shapes: régions, départements, EPCI with members, communes."""
    rnd = random.Random(seed)
    regions = [
        {"code": f"{r:02d}", "chefLieu": "", "nom": f"Région {r}", "typeLiaison": 0, "zone": "metro"}
        for r in range(1, 19)
    ]
    deps = [
        {
            "code": f"{d:02d}",
            "region": regions[d % 18]["code"],
            "chefLieu": "",
            "nom": f"Département {d}",
            "typeLiaison": 0,
            "zone": "metro",
        }
        for d in range(1, 102)
    ]
    rows = []
    for i in range(communes):
        dep = deps[i % len(deps)]
        rows.append(
            {
                "code": f"{i:05d}",
                "nom": f"Commune {i} {rnd.choice(['sur-Mer', 'les-Bains', 'en-Vallée', ''])}".strip(),
                "typeLiaison": 0,
                "zone": "metro",
                "arrondissement": "011",
                "departement": dep["code"],
                "region": dep["region"],
                "type": "commune-actuelle",
                "rangChefLieu": 0,
                "siren": f"2{i:08d}",
                "codesPostaux": ["01000"],
                "population": rnd.randint(50, 90_000),
            }
        )
    groups: list[dict[str, Any]] = []
    per = communes // epci
    for e in range(epci):
        members = rows[e * per : (e + 1) * per]
        groups.append(
            {
                "code": f"2000{e:05d}",
                "nom": f"CC Intercommunalité {e}",
                "type": "CC",
                "modeFinancement": "FPU",
                "populationTotale": sum(m["population"] for m in members),
                "populationMunicipale": sum(m["population"] for m in members),
                "membres": [{"code": m["code"], "siren": m["siren"], "nom": m["nom"]} for m in members],
            }
        )
    for name, content in (("regions", regions), ("departements", deps), ("epci", groups), ("communes", rows)):
        (folder / f"{name}.json").write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", type=Path)
    parser.add_argument("--synthetic", action="store_true", help="Do not fetch: generate the reference.")
    parser.add_argument("--profile", action="store_true", help="cProfile each load; print the top functions.")
    parser.add_argument(
        "--url", default=os.environ.get("JISR_BENCH_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(args.url)
    name = f"jisr_bench_import_{uuid.uuid4().hex[:8]}"
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    os.environ.update({"JISR_DATABASE_URL": url, "JISR_SECRET_KEY": "bench-" + "x" * 40, "JISR_ENV": "development"})
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    tmp = tempfile.TemporaryDirectory(prefix="jisr-bench-")
    try:
        from alembic import command

        from jisr.cli import alembic_config
        from jisr.core.bootstrap import bootstrap
        from jisr.core.config import get_settings
        from jisr.core.db import get_engine, new_session, reset_engine
        from jisr.imports import france
        from jisr.imports.cli import _local

        get_settings.cache_clear()
        reset_engine()
        command.upgrade(alembic_config(), "heads")
        with new_session() as session:
            bootstrap(session)

        source = "given folder"
        if args.directory:
            folder = france.data_dir(args.directory)
        elif args.synthetic:
            folder, source = synthetic(Path(tmp.name)), "synthetic"
        else:
            try:
                folder, source = france.fetch(Path(tmp.name)), "npm package"
            except france.ReferenceError_ as exc:
                print(f"npm fetch failed ({exc}); using a synthetic reference")
                folder, source = synthetic(Path(tmp.name)), "synthetic"
        ref = france.load(folder)
        print(
            f"reference ({source}): {len(ref.regions)} régions, {len(ref.departements)} départements, "
            f"{len(ref.epci)} EPCI, {len(ref.communes)} communes = {ref.size} collectivities"
        )

        def timed(label: str) -> tuple[float, float, dict[str, Any]]:
            profiler = cProfile.Profile() if args.profile else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            report = _local(None, "france-reference", False, "abort", folder)
            if profiler is not None:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if profiler is not None:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            print(
                f"{label}: {wall:6.2f} s wall, {cpu:6.2f} s CPU in Jisr's process — created {report['created']}, "
                f"updated {report['updated']}, unchanged {report['unchanged']}, errors {report['error_count']}"
            )
            return wall, cpu, report

        first, first_cpu, _ = timed("first load ")
        second, second_cpu, _ = timed("second load")

        # The floor: the same rows, COPYed into emptied tables.
        engine = get_engine()
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            tables = {}
            for table in ("collectivities", "external_refs"):
                cur.execute(f"SELECT * FROM {table}")  # noqa: S608
                cols = [d.name for d in cur.description]
                tables[table] = (cols, cur.fetchall())
            cur.execute("TRUNCATE collectivities, external_refs CASCADE")
            raw.commit()
            wall = time.perf_counter()
            for table, (cols, rows) in tables.items():
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            raw.commit()
            floor = time.perf_counter() - wall
        finally:
            raw.close()
        n = sum(len(rows) for _, rows in tables.values())
        print(f"COPY floor : {floor:6.2f} s wall for the same {n} rows (collectivities + external references)")
        print(f"ratios to COPY: first load {first / floor:5.1f}x, second load {second / floor:5.1f}x")
        print(
            f"targets: first < 3 s: {'met' if first < 3 else 'NOT met'}; second < 2 s: "
            f"{'met' if second < 2 else 'NOT met'}  (machine load average now: {os.getloadavg()[0]:.1f})"
        )
        reset_engine()
    finally:
        tmp.cleanup()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
