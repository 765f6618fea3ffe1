"""Matching benchmark: a full run on France's whole directory, against a pure-Python pairwise baseline.

    .venv/bin/python benchmarks/matching.py [--french 40000] [--lebanese 1100] [--needs 3000]
        [--partnerships 90] [--tagged-share 0.25] [--top-k 5] [--cap 3] [--sample 0.01]
        [--server postgresql+psycopg://root@127.0.0.1:5432/]

What it does, in one run:
1. creates a PostgreSQL database with a random name, migrates it (``jisr migrate``) and fills it
   set-based: French collectivities (communes, EPCIs, départements, régions in France's proportions),
   Lebanese municipalities and unions over the real governorates, open requests tagged over the real
   theme tree, offers of French collectivities, partnerships (active, dormant, ended, planned); then
   ``VACUUM ANALYZE``. ``--tagged-share`` of the French side declares expertise (the rest of the
   directory has none, as in reality; ``--tagged-share 1`` gives every French collectivity themes);
2. in a fresh process, times a full run through the service (reading, scoring every open request
   against every French collectivity, global allocation, storing the proposals, commit), then a
   second run on the same data (proposals updated in place); the process's peak memory (max RSS,
   the interpreter and imports included) is read when it ends;
3. in another fresh process, the baseline: a straightforward pure-Python scorer (one pair at a time,
   ``scoring.PairScorer``) over a ``--sample`` share of the needs against every French collectivity,
   scaled to all needs; it scores only (no allocation, nothing stored);
4. prints the times, the peak memory, the ratio, whether the target (full run < 5 s, < 1 GiB) is
   met, and drops the database.
"""

import argparse
import contextlib
import json
import math
import os
import random
import resource
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SERVER = "postgresql+psycopg://root@127.0.0.1:5432/"
TARGET_SECONDS = 5.0
TARGET_BYTES = 1 << 30

# France: ~35,000 communes, ~1,250 EPCIs, 101 départements, 18 régions (the rest of 40,000: communes).
REGIONS = ["01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]


# --- data ---------------------------------------------------------------------------------------------


def _defaults(model: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            out[name] = info.default_factory  # called per row
        elif not info.is_required():
            out[name] = info.default
    return out


def _row(defaults: dict[str, Any], **values: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    row = {k: (v() if callable(v) else v) for k, v in defaults.items() if k not in values}
    row.update(id=uuid.uuid4(), created_at=now, updated_at=now, version=1)
    row.update(values)
    return row


def build(args: argparse.Namespace, tags: list[Any], governorates: list[str]) -> dict[str, list[dict[str, Any]]]:
    from jisr.collectivities.models import Collectivity
    from jisr.needs.models import Need
    from jisr.partnerships.models import Partnership

    rng = random.Random(args.seed)
    leaves = [t for t in tags if t.parent_id is not None]
    roots = [t for t in tags if t.parent_id is None]
    coll_d, need_d, part_d = _defaults(Collectivity), _defaults(Need), _defaults(Partnership)
    links: list[dict[str, Any]] = []

    def link(resource_type: str, resource_id: uuid.UUID, relation: str, tag_ids: set[uuid.UUID]) -> None:
        for t in tag_ids:
            links.append(
                {
                    "id": uuid.uuid4(),
                    "resource_type": resource_type,
                    "resource_id": resource_id,
                    "relation": relation,
                    "tag_id": t,
                }
            )

    def some_tags(k_min: int, k_max: int) -> set[uuid.UUID]:
        out = {rng.choice(leaves).id for _ in range(rng.randint(k_min, k_max))}
        if rng.random() < 0.15:
            out.add(rng.choice(roots).id)
        return out

    french: list[dict[str, Any]] = []
    n_reg, n_dep, n_epci = 18, 101, 1250
    for i in range(args.french):
        if i < n_reg:
            kind, pop, code = "region", int(rng.lognormvariate(math.log(3_500_000), 0.5)), REGIONS[i]
        elif i < n_reg + n_dep:
            kind, pop, code = "departement", int(rng.lognormvariate(math.log(600_000), 0.6)), f"D{i - n_reg:03d}"
        elif i < n_reg + n_dep + n_epci:
            kind, pop, code = "epci", int(rng.lognormvariate(math.log(30_000), 0.9)), f"2{i:08d}"
        else:
            kind, pop, code = "commune", max(20, int(rng.lognormvariate(math.log(450), 1.3))), f"{i:05d}"
        tagged = rng.random() < args.tagged_share or kind != "commune" and rng.random() < 0.6
        row = _row(
            coll_d,
            country="FR",
            kind=kind,
            name=f"{kind.capitalize()} {i}",
            code=code,
            region=rng.choice(REGIONS),
            population=pop,
            capacity=rng.choices(["low", "medium", "high"], [50, 35, 15])[0] if tagged else None,
            languages=["fr", *rng.sample(["ar", "en"], rng.randint(0, 2))] if tagged else [],
            preferred_governorates=rng.sample(governorates, rng.randint(1, 3)) if tagged and rng.random() < 0.3 else [],
        )
        french.append(row)
        if tagged:
            link("collectivity", row["id"], "expertise", some_tags(1, 4))
    lebanese: list[dict[str, Any]] = []
    for i in range(args.lebanese):
        union = i < args.lebanese * 0.06
        pop = int(rng.lognormvariate(math.log(50_000 if union else 5_000), 1.0))
        lebanese.append(
            _row(
                coll_d,
                country="LB",
                kind="union_of_municipalities" if union else "municipality",
                name=f"{'Union' if union else 'Municipalité'} {i}",
                code=f"LB-{i:05d}",
                governorate=rng.choice(governorates),
                population=pop,
                languages=["ar", *rng.sample(["fr", "en"], rng.randint(0, 2))],
            )
        )
    needs: list[dict[str, Any]] = []
    for i in range(args.needs):
        owner = rng.choice(lebanese)
        budget = None if rng.random() < 0.4 else int(rng.lognormvariate(math.log(120_000), 0.9))
        row = _row(
            need_d,
            collectivity_id=owner["id"],
            direction="request",
            title=f"Besoin {i}",
            status="open",
            estimated_budget_eur=min(budget, 1_000_000_000) if budget else None,
        )
        needs.append(row)
        link("need", row["id"], "tag", some_tags(1, 3))
    tagged_french = [f for f in french if f["capacity"] is not None]
    for i in range(args.offers):
        owner = rng.choice(tagged_french)
        row = _row(need_d, collectivity_id=owner["id"], direction="offer", title=f"Offre {i}", status="open")
        needs.append(row)
        link("need", row["id"], "tag", some_tags(1, 2))
    partnerships: list[dict[str, Any]] = []
    statuses = ["active"] * 40 + ["dormant"] * 30 + ["ended"] * 15 + ["planned"] * 5
    big = sorted(tagged_french, key=lambda f: -f["population"])[:600]
    for i in range(args.partnerships):
        start = rng.randint(1995, 2018)
        status = statuses[i % len(statuses)]
        row = _row(
            part_d,
            french_collectivity_id=rng.choice(big)["id"],
            lebanese_collectivity_id=rng.choice(lebanese)["id"],
            status=status,
            started_year=start,
            ended_year=start + rng.randint(2, 6) if status in ("dormant", "ended") else None,
        )
        partnerships.append(row)
        link("partnership", row["id"], "tag", some_tags(1, 2))
    return {"collectivities": french + lebanese, "needs": needs, "partnerships": partnerships, "tag_links": links}


@contextlib.contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new database with a random name, dropped (connections and all) on the way out."""
    from sqlalchemy import create_engine, text

    name = f"jisr_bench_matching_{secrets.token_hex(4)}"
    admin = create_engine(server.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rstrip("/") + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        print(f"dropped database {name}")


def fill(args: argparse.Namespace) -> None:
    from sqlalchemy import insert, text
    from sqlmodel import select

    from jisr.cli import migrate
    from jisr.collectivities.geography import lebanon
    from jisr.collectivities.models import Collectivity
    from jisr.core.db import get_engine, new_session, reset_engine
    from jisr.needs.models import Need
    from jisr.partnerships.models import Partnership
    from jisr.tags.models import TagLink, ThematicTag

    t0 = time.perf_counter()
    migrate()
    with new_session() as session:
        tags = list(session.exec(select(ThematicTag)))
    rows = build(args, tags, list(lebanon()))
    t1 = time.perf_counter()
    with new_session() as session:
        for table, key in (
            (Collectivity.__table__, "collectivities"),
            (Need.__table__, "needs"),
            (Partnership.__table__, "partnerships"),
            (TagLink.__table__, "tag_links"),
        ):
            for i in range(0, len(rows[key]), 5000):
                session.execute(insert(table), rows[key][i : i + 5000])
        session.commit()
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    reset_engine()
    counts = {k: len(v) for k, v in rows.items()}
    print(f"database: {counts} (migrate {t1 - t0:.1f} s, build + fill + analyze {time.perf_counter() - t1:.1f} s)")


# --- the measured processes -----------------------------------------------------------------------------


def child_run(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from jisr.auth.models import Role
    from jisr.auth.service import Principal
    from jisr.core.db import new_session
    from jisr.matching import service
    from jisr.matching.models import MatchProposal, MatchRunCreate

    actor = Principal("user", uuid.uuid4(), Role.coordinator, None, "bench@example.org")
    data = MatchRunCreate(top_k=args.top_k, max_per_french_collectivity=args.cap)
    out: dict[str, Any] = {}
    for label in ("first", "again"):
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        c0 = time.process_time()
        with new_session() as session:
            run = service.run(session, data=data, actor=actor, timings=timings)
            session.commit()
            total = time.perf_counter() - t0
            cpu = time.process_time() - c0
            stored = session.execute(select(func.count()).select_from(MatchProposal)).scalar_one()
            out[label] = {
                "seconds": total,
                "timings": timings,
                "needs": run.need_count,
                "proposals": run.proposal_count,
                "pooled": run.pooled_count,
                "unfilled": run.unfilled_need_count,
                "scored_pairs": run.scored_pairs,
                "optimal": run.optimal,
                "gap": run.optimality_gap,
                "cpu_seconds": cpu,
                "stored": stored,
            }
            if label == "again":
                cmp = service.compare(session, run, other_id=None, limit=0)
                out[label]["changes"] = [cmp.new_count, cmp.dropped_count, cmp.reranked_count]
    return out


def child_baseline(args: argparse.Namespace) -> dict[str, Any]:
    from jisr.core.db import new_session
    from jisr.matching import scoring, service

    with new_session() as session:
        loaded = service.load(session, None, every_french=True)
    inp = loaded.inp
    rng = random.Random(args.seed)
    n_needs = len(inp.needs)
    sample = sorted(rng.sample(range(n_needs), max(1, round(n_needs * args.sample))))
    t0 = time.perf_counter()
    scorer = scoring.PairScorer(inp)
    weights = scoring.DEFAULT_WEIGHTS
    kept = 0
    for n in sample:
        scores = []
        for f in range(len(inp.french)):
            s = scoring.score_pair(scorer, n, f, weights)
            if s is not None:
                scores.append((s, f))
        scores.sort(reverse=True)
        kept += len(scores[: args.top_k])
    seconds = time.perf_counter() - t0
    return {
        "sample_needs": len(sample),
        "pairs": len(sample) * len(inp.french),
        "seconds": seconds,
        "scaled_seconds": seconds * n_needs / len(sample),
        "kept": kept,
    }


def in_child(mode: str, url: str) -> tuple[dict[str, Any], int]:
    """Run ``mode`` in a fresh interpreter; its result and its peak memory (max RSS, bytes)."""
    env = {**os.environ, "JISR_DATABASE_URL": url}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, *sys.argv[1:]], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{mode} failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result, int(result["maxrss_kib"]) * 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--french", type=int, default=40_000)
    p.add_argument("--lebanese", type=int, default=1_100)
    p.add_argument("--needs", type=int, default=3_000)
    p.add_argument("--offers", type=int, default=400)
    p.add_argument("--partnerships", type=int, default=90)
    p.add_argument("--tagged-share", type=float, default=0.25)
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--cap", type=int, default=3)
    p.add_argument("--sample", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--server", default=os.environ.get("JISR_BENCH_SERVER", DEFAULT_SERVER))
    p.add_argument("--child", choices=["run", "baseline"], help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        result = child_run(args) if args.child == "run" else child_baseline(args)
        result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(result))
        return

    with scratch_database(args.server) as url:
        os.environ["JISR_DATABASE_URL"] = url
        fill(args)
        run, run_peak = in_child("run", url)
        base, base_peak = in_child("baseline", url)

    first, again = run["first"], run["again"]
    t = first["timings"]
    print()
    print(
        f"full run (first): {first['seconds']:.2f} s  = read {t['read']:.2f} + score {t['score']:.2f} "
        f"+ allocate {t['allocate']:.2f} ({int(t['rounds'])} flow + LP round(s)) + store {t['store']:.2f} + commit"
    )
    print(
        f"  {first['needs']} needs × {args.french} French = {first['needs'] * args.french:,} pairs "
        f"({first['scored_pairs']:,} with a theme scored); {first['proposals']} proposals "
        f"({first['pooled']} pools), {first['unfilled']} needs under top_k, optimal: {first['optimal']} "
        f"(gap <= {first['gap']:.3f})"
    )
    print(
        f"  CPU time of the run process: {first['cpu_seconds']:.2f} s; load average now: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    a = again["timings"]
    print(
        f"full run (again, same data): {again['seconds']:.2f} s  = read {a['read']:.2f} + score {a['score']:.2f} "
        f"+ allocate {a['allocate']:.2f} ({int(a['rounds'])} flow + LP round(s)) + store {a['store']:.2f} + commit; "
        f"new/dropped/re-ranked: {again['changes']}"
    )
    print(f"peak memory of the run process (max RSS): {run_peak / 2**20:.0f} MiB")
    print(
        f"baseline: pure-Python pairwise scorer, {base['sample_needs']} needs × {args.french} French "
        f"({base['pairs']:,} pairs) in {base['seconds']:.1f} s → {base['scaled_seconds']:.0f} s for all needs "
        f"(scoring only; peak {base_peak / 2**20:.0f} MiB)"
    )
    print(
        f"ratio: baseline scoring / full run = {base['scaled_seconds'] / first['seconds']:.0f}×; "
        f"baseline scoring / vectorised scoring = {base['scaled_seconds'] / t['score']:.0f}×"
    )
    ok = first["seconds"] < TARGET_SECONDS and run_peak < TARGET_BYTES
    print(f"target (< {TARGET_SECONDS:.0f} s and < 1 GiB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
