"""Read benchmark: the list endpoints under load, against a no-database FastAPI ceiling.

    .venv/bin/python benchmarks/api_read.py [--duration 10] [--connections 64] [--workers 2]
                                            [--collectivities 10000] [--needs 30000]

What it does, in one run:
1. creates a PostgreSQL database with a random name, migrates it (``alembic upgrade heads`` and the
   start-up bootstrap, as ``jisr migrate`` does), fills it set-based (bulk INSERTs, no HTTP) with
   collectivities, needs and their tag links, then ``VACUUM ANALYZE`` (a lived-in database has
   planner statistics; a fresh bulk load has none yet);
2. starts the real app (``uvicorn jisr.main:app``), the same app with its list cache off
   (``JISR_LIST_CACHE_BYTES=0``: every request reads the database) and the baseline
   (``benchmarks/baseline_app.py``) with the same number of workers, each on a free port;
3. signs in for a real token, checks every URL answers 200 with a full page, warms up, then loads
   each endpoint with ``wrk`` (``wrk_report.lua``) for ``--duration`` seconds at ``--connections``
   connections: baseline, needs by tag, collectivities by text (cache on, then off), baseline again;
4. prints requests/s, p50, p99 and the ratio to the baseline (mean of its two runs), and whether
   the target (ratio >= 0.5, p99 < 100 ms) is met; drops the database.

wrk (Debian package) is the load generator because it costs little CPU: a Python client on a
2-core machine would take CPU from the server it measures.
"""

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "wrk_report.lua"
DEFAULT_SERVER = "postgresql+psycopg://root@127.0.0.1:5432/"
ADMIN_EMAIL = "bench-admin@example.org"
ADMIN_PASSWORD = secrets.token_urlsafe(18)

# What the load cycles through: a sub-theme, two themes with their sub-themes (larger result
# sets), and words from rare ("saida", Arabic) to very common ("saint", "kfar").
# The same app without its list cache (jisr.core.snapshots): every request reads the database.
NO_CACHE = {"JISR_LIST_CACHE_BYTES": "0"}
DEFAULT_TAGS = ["eau-assainissement", "environnement-climat-energie", "dechets", "gouvernance"]
DEFAULT_WORDS = ["saida", "saint", "kfar", "beyrouth", "صيدا", "mont"]


# --- data ----------------------------------------------------------------------------------

FR_CITIES = [
    ("Paris", "باريس", ["Lutèce"]),
    ("Lyon", "ليون", []),
    ("Marseille", "مرسيليا", []),
    ("Bordeaux", "بوردو", []),
    ("Nantes", "نانت", []),
    ("Lille", "ليل", []),
    ("Toulouse", "تولوز", []),
    ("Strasbourg", "ستراسبورغ", []),
    ("Montpellier", "مونبلييه", []),
    ("Rennes", None, []),
    ("Grenoble", None, []),
    ("Nice", "نيس", []),
    ("Orléans", None, []),
    ("Besançon", None, []),
]
FR_SAINTS = [
    "Martin", "Denis", "Jean", "Pierre", "Étienne", "Germain", "Laurent", "Michel", "Georges", "Julien",
    "Quentin", "Nazaire", "Malo", "Priest", "Brieuc", "Omer", "Dizier", "Avold", "Cloud", "Maur", "Ouen",
    "Herblain", "Médard", "Sébastien", "Genis", "Privat", "Hilaire", "Aubin", "Amand", "Gilles",
]  # fmt: skip
FR_ROOTS = [
    "Villeneuve", "Fontaine", "Beaulieu", "Bourg", "Châteauneuf", "Neuville", "Champagne", "Montreuil",
    "Vauvert", "Rochefort", "Mirebeau", "Beaumont", "Clermont", "Montagny", "Valence", "Plessis",
    "Chaumont", "Bellevue", "Vernon", "Issy", "Écully", "Aubigny", "Pontoise", "Montfort", "Lacroix",
    "Roquebrune", "Mauléon", "Sérignan", "Cléry", "Vitré", "Bréhal", "Gençay", "Évry", "Hauterive",
]  # fmt: skip
FR_SUFFIXES = [
    "", "", "", "-sur-Mer", "-sur-Loire", "-en-Provence", "-lès-Bains", "-le-Château", "-sur-Seine",
    "-la-Forêt", "-sous-Bois", "-en-Vexin", "-sur-Lot", "-de-Bretagne", "-du-Rhône", "-le-Vieux",
]  # fmt: skip
LB_TOWNS = [
    ("Saïda", "صيدا", ["Sidon", "Saida"]),
    ("Tyr", "صور", ["Sour", "Tyre"]),
    ("Beyrouth", "بيروت", ["Beirut"]),
    ("Tripoli", "طرابلس", ["Trablous"]),
    ("Baalbek", "بعلبك", ["Baalbeck"]),
    ("Zahlé", "زحلة", ["Zahle", "Zahleh"]),
    ("Jounieh", "جونيه", ["Junieh"]),
    ("Jbeil", "جبيل", ["Byblos"]),
    ("Nabatieh", "النبطية", ["Nabatiyeh"]),
    ("Batroun", "البترون", []),
    ("Zgharta", "زغرتا", ["Zghorta"]),
    ("Halba", "حلبا", []),
    ("Aley", "عاليه", ["Aaley"]),
    ("Baabda", "بعبدا", []),
    ("Hermel", "الهرمل", []),
    ("Marjayoun", "مرجعيون", ["Marjeyoun"]),
    ("Bint Jbeil", "بنت جبيل", []),
    ("Jezzine", "جزين", []),
    ("Bcharré", "بشري", ["Bsharri"]),
    ("Amchit", "عمشيت", []),
    ("Damour", "الدامور", []),
    ("Chekka", "شكا", []),
    ("Hasbaya", "حاصبيا", []),
    ("Rachaya", "راشيا", []),
    ("Deir el Qamar", "دير القمر", []),
    ("Broummana", "برمانا", ["Brummana"]),
    ("Chtaura", "شتورة", ["Chtoura"]),
]
LB_PREFIXES = [
    ("Kfar", "كفر"), ("Deir", "دير "), ("Ain", "عين "), ("Beit", "بيت "), ("Majdel", "مجدل "),
    ("Bourj", "برج "), ("Qasr", "قصر "), ("Tell", "تل "), ("Wadi", "وادي "), ("Mazraat", "مزرعة "),
    ("Bir", "بئر "), ("Khirbet", "خربة "), ("Jisr", "جسر "), ("Ras", "رأس "), ("Abou", "أبو "),
]  # fmt: skip
LB_ROOTS = [
    ("Chima", "شيما"), ("Zebdine", "زبدين"), ("Sarouba", "صاروبا"), ("Hamra", "الحمرا"), ("Aabra", "عبرا"),
    ("Mieh", "الميه"), ("Nabaa", "النبع"), ("Jouz", "الجوز"), ("Tineh", "التينة"), ("Zeitoun", "الزيتون"),
    ("Rihane", "ريحان"), ("Kassab", "قصب"), ("Qamar", "القمر"), ("Salam", "السلام"), ("Hadath", "الحدث"),
    ("Dibbiyeh", "الدبية"), ("Falougha", "فالوغا"), ("Roumieh", "رومية"), ("Nahr", "النهر"), ("Jabal", "الجبل"),
    ("Fakhoura", "الفاخورة"), ("Kroum", "الكروم"), ("Sinai", "سيناء"), ("Loubieh", "اللوبية"), ("Arz", "الأرز"),
    ("Tahta", "التحتا"), ("Faouqa", "الفوقا"), ("Chouf", "الشوف"), ("Matn", "المتن"), ("Aakkar", "عكار"),
]  # fmt: skip
NEED_TITLES = [
    ("eau-assainissement", "Réhabilitation du réseau d'eau potable"),
    ("eau-assainissement", "Station d'épuration des eaux usées"),
    ("dechets", "Tri sélectif et compostage des déchets ménagers"),
    ("dechets", "Fermeture d'une décharge sauvage"),
    ("energies-renouvelables", "Éclairage public solaire"),
    ("energies-renouvelables", "Panneaux photovoltaïques pour les bâtiments municipaux"),
    ("biodiversite", "Aménagement d'un jardin public et reboisement"),
    ("adaptation-climat", "Plan local d'adaptation aux vagues de chaleur"),
    ("urbanisme", "Schéma directeur d'aménagement urbain"),
    ("mobilite-transports", "Plan de circulation et transport scolaire"),
    ("gestion-risques", "Plan communal de sauvegarde (incendies, inondations)"),
    ("agriculture-alimentation", "Coopérative agricole et marché de producteurs"),
    ("tourisme", "Circuit touristique et signalétique du patrimoine"),
    ("entrepreneuriat-emploi", "Incubateur pour jeunes entrepreneurs"),
    ("patrimoine", "Restauration du souk ancien"),
    ("culture-lecture-publique", "Bibliothèque municipale et ateliers de lecture"),
    ("jeunesse", "Conseil municipal des jeunes"),
    ("formation-professionnelle", "Formation aux métiers du bâtiment"),
    ("action-sociale", "Centre d'action sociale et aide aux familles"),
    ("accueil-refugies", "Accueil et accompagnement des personnes déplacées"),
    ("egalite-femmes-hommes", "Participation des femmes à la vie locale"),
    ("education", "Réhabilitation d'écoles publiques"),
    ("sante", "Dispensaire municipal"),
    ("gestion-crise-sanitaire", "Plan de gestion de crise sanitaire"),
    ("appui-institutionnel", "Formation des agents municipaux"),
    ("finances-locales", "Modernisation de la comptabilité municipale"),
]
DESCRIPTIONS = [
    "La municipalité souhaite un appui technique pour l'étude, les travaux et la formation des agents.",
    "Le besoin a été exprimé lors du webinaire de juin 2021 ; un diagnostic sur place est prévu.",
    "Échange d'expériences entre techniciens ; visite d'étude envisagée en France.",
    "Le conseil municipal a voté le principe ; le financement reste à trouver.",
    "Les services techniques manquent de matériel et de personnel qualifié.",
    "Projet porté par l'union des municipalités, en lien avec les associations locales.",
]


def _translit(name: str) -> str:
    """Another usual Latin spelling of a Lebanese name (Kfar -> Kafr, ou -> u, ch -> sh)."""
    return name.replace("Kfar", "Kafr").replace("ou", "u").replace("ch", "sh").replace("Ch", "Sh").replace("é", "e")


def _instant(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def build_rows(n_coll: int, n_needs: int, tag_ids: dict[str, uuid.UUID], parent_of: dict[str, str | None]) -> Any:
    """Rows for collectivities, needs and tag links, from a fixed seed (reproducible)."""
    from jisr.collectivities.geography import lebanon
    from jisr.core.text import search_blob

    rng = random.Random(20210615)
    start, end = datetime(2021, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    geo = lebanon()
    slugs = list(tag_ids)
    collectivities: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    fr_ids: list[uuid.UUID] = []
    lb: list[tuple[uuid.UUID, str]] = []
    n_fr = n_coll * 2 // 5
    for i in range(n_coll):
        created = _instant(rng, start, end)
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "created_at": created,
            "updated_at": _instant(rng, created, end),
            "version": 1,
            "name_ar": None,
            "name_alt": [],
            "code": None,
            "governorate": None,
            "district": None,
            "region": None,
            "departement": None,
            "parent_id": None,
            "population": rng.randint(300, 250_000),
            "website": None,
            "capacity": None,
            "preferred_governorates": [],
            "description": "Données d'exemple.",
        }
        if i < n_fr:
            dep = 1 + i % 95
            row.update(country="FR", kind="commune", departement=f"{dep:02d}", region=str(11 + i % 84))
            row.update(latitude=rng.uniform(42.5, 51), longitude=rng.uniform(-4.5, 8), languages=["fr"])
            row["capacity"] = rng.choice(["low", "medium", "high"])
            row["preferred_governorates"] = rng.sample(sorted(geo), rng.randint(0, 2))
            r = rng.random()
            if i < len(FR_CITIES):
                row["name"], row["name_ar"], row["name_alt"] = FR_CITIES[i]
            elif r < 0.35:
                saint = rng.choice(FR_SAINTS)
                row["name"] = f"Saint-{saint}{rng.choice(FR_SUFFIXES)}"
                row["name_alt"] = [row["name"].replace("Saint-", "St-")]
            elif r < 0.90:
                row["name"] = f"{rng.choice(FR_ROOTS)}{rng.choice(FR_SUFFIXES)}"
            elif r < 0.97:
                row["kind"] = "epci"
                row["name"] = f"Communauté de communes {rng.choice(['du Pays de ', 'de '])}{rng.choice(FR_ROOTS)}"
            else:
                row["kind"] = "departement"
                row["name"] = f"Département {i}"
            row["code"] = {"commune": f"{dep:02d}{i:05d}", "epci": f"2{i:08d}", "departement": f"D{i}"}[row["kind"]]
            fr_ids.append(row["id"])
            relation = "expertise"
        else:
            gov = rng.choice(sorted(geo))
            row.update(country="LB", kind="municipality", governorate=gov)
            row["district"] = rng.choice(geo[gov].districts).name_fr
            row.update(latitude=rng.uniform(33.05, 34.69), longitude=rng.uniform(35.1, 36.6), languages=["ar", "fr"])
            r = rng.random()
            if r < 0.08:
                name, name_ar, alt = rng.choice(LB_TOWNS)
                alt = list(alt)
            elif r < 0.95:
                (p_fr, p_ar), (r_fr, r_ar) = rng.choice(LB_PREFIXES), rng.choice(LB_ROOTS)
                name, name_ar = f"{p_fr} {r_fr}", f"{p_ar}{r_ar}"
                alt = [_translit(name)] if _translit(name) != name else []
            else:
                row["kind"] = "union_of_municipalities"
                district = row["district"]
                name, name_ar, alt = f"Union des municipalités de {district}", None, []
            row.update(name=name, name_ar=name_ar, name_alt=alt)
            lb.append((row["id"], gov))
            relation = "interest"
        row["search_text"] = search_blob(row["name"], row["name_ar"], row["name_alt"], row["code"])
        collectivities.append(row)
        for slug in rng.sample(slugs, rng.randint(0, 3)):
            links.append(
                {
                    "id": uuid.uuid4(),
                    "resource_type": "collectivity",
                    "resource_id": row["id"],
                    "relation": relation,
                    "tag_id": tag_ids[slug],
                }
            )

    needs: list[dict[str, Any]] = []
    for _ in range(n_needs):
        offer = rng.random() < 0.2 and fr_ids
        owner = rng.choice(fr_ids) if offer else rng.choice(lb)[0]
        slug, title = rng.choice(NEED_TITLES)
        description = " ".join(rng.sample(DESCRIPTIONS, rng.randint(1, 3))) + " Données d'exemple."
        created = _instant(rng, start, end)
        needs.append(
            {
                "id": uuid.uuid4(),
                "created_at": created,
                "updated_at": _instant(rng, created, end),
                "version": 1,
                "collectivity_id": owner,
                "direction": "offer" if offer else "request",
                "title": title,
                "description": description,
                "priority": rng.choice(["high", "medium", "low"]),
                "status": rng.choices(["draft", "open", "in_discussion", "matched", "closed"], [1, 5, 2, 1, 1])[0],
                "source": rng.choice(["webinar", "census", "field_mission", "import", "manual"]),
                "source_event_id": None,
                "estimated_budget_eur": rng.choice([None, rng.randrange(5_000, 2_000_000, 5_000)]),
                "search_text": search_blob(title, description),
            }
        )
        # The theme of the title, sometimes its parent too, and up to two others.
        chosen = {slug, *rng.sample(slugs, rng.randint(0, 2))}
        if parent_of.get(slug) and rng.random() < 0.3:
            chosen.add(parent_of[slug])  # type: ignore[arg-type]
        for s in chosen:
            links.append(
                {
                    "id": uuid.uuid4(),
                    "resource_type": "need",
                    "resource_id": needs[-1]["id"],
                    "relation": "tag",
                    "tag_id": tag_ids[s],
                }
            )
    return collectivities, needs, links


# --- database ------------------------------------------------------------------------------


def _admin_url(server: str) -> str:
    return server.rstrip("/") + "/postgres"


@contextlib.contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new database with a random name, dropped (connections and all) on the way out."""
    from sqlalchemy import create_engine, text

    name = f"jisr_bench_{secrets.token_hex(4)}"
    admin = create_engine(_admin_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rstrip("/") + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        print(f"dropped database {name}")


def migrate_and_fill(url: str, n_coll: int, n_needs: int) -> None:
    """``jisr migrate`` (schema + reference tags + first admin), then bulk inserts, then ANALYZE."""
    from sqlalchemy import insert, text
    from sqlmodel import select

    from jisr.cli import migrate
    from jisr.collectivities.models import Collectivity
    from jisr.core.db import get_engine, new_session, reset_engine
    from jisr.needs.models import Need
    from jisr.tags.models import TagLink, ThematicTag

    t0 = time.perf_counter()
    migrate()
    with new_session() as session:
        tags = list(session.exec(select(ThematicTag)))
    by_id = {t.id: t.slug for t in tags}
    tag_ids = {t.slug: t.id for t in tags}
    parent_of = {t.slug: by_id.get(t.parent_id) if t.parent_id else None for t in tags}
    collectivities, needs, links = build_rows(n_coll, n_needs, tag_ids, parent_of)
    t1 = time.perf_counter()
    with new_session() as session:
        for table, rows in (
            (Collectivity.__table__, collectivities),
            (Need.__table__, needs),
            (TagLink.__table__, links),
        ):
            for i in range(0, len(rows), 5000):
                session.execute(insert(table), rows[i : i + 5000])
        session.commit()
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    reset_engine()
    print(
        f"database: {len(collectivities)} collectivities, {len(needs)} needs, {len(links)} tag links "
        f"(migrate {t1 - t0:.1f} s, fill + analyze {time.perf_counter() - t1:.1f} s)"
    )


# --- servers and load ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(name: str, app: str, workers: int, env: dict[str, str], logdir: Path) -> Server:
    port = free_port()
    log = logdir / f"{name}.log"
    cmd = [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, proc, port, log)


def wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{server.name} did not start; its log:\n{server.log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


def get_token(base: str) -> str:
    body = urllib.parse.urlencode({"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    req = urllib.request.Request(base + "/api/v1/auth/token", data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return str(json.load(r)["access_token"])


def check(base: str, path: str, token: str | None, limit: int) -> int:
    """The URL must answer 200 with items: benchmarking 4xx or empty answers would measure nothing."""
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            page = json.load(r)
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"GET {path} -> {exc.code}: {exc.read()[:500]!r}") from exc
    if not page["items"] or len(page["items"]) != min(limit, page["total"]):
        raise SystemExit(f"GET {path} returned {len(page['items'])} items of {page['total']}: too little data?")
    return int(page["total"])


@dataclass
class Result:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    app_cpu_ms: float = 0.0  # CPU time of the server's workers per request
    db_cpu_ms: float | None = None  # CPU time of this database's PostgreSQL backends per request


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


class CpuMeter:
    """CPU used during a load run by the server's worker processes and by the PostgreSQL backends
    connected to the benchmark database (polled 5 times a second: a backend that lives less than
    that is missed, so the database figure is a floor). Needs PostgreSQL on this machine."""

    def __init__(self, server_pid: int, db_url: str | None) -> None:
        self.server_pid, self.db_url = server_pid, db_url
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.app = self.db = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.server_pid)], capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def _poll(self, conn: Any, name: str) -> None:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        for (pid,) in conn.execute(query, (name,)).fetchall():
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self.first.setdefault(pid, cpu)
                self.last[pid] = cpu

    def _poll_loop(self, conn: Any, name: str) -> None:
        with conn:
            while not self._stop.wait(0.2):
                self._poll(conn, name)
            self._poll(conn, name)

    def __enter__(self) -> "CpuMeter":
        self.workers = self._workers()
        self.app_start = sum(_cpu_seconds(p) or 0.0 for p in self.workers)
        self.existing: set[int] = set()
        if self.db_url:
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(self.db_url)
            admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
            conn = psycopg.connect(admin, autocommit=True)
            self._poll(conn, str(url.database))
            self.existing = set(self.first)
            self._thread = threading.Thread(target=self._poll_loop, args=(conn, url.database), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.app = sum(_cpu_seconds(p) or 0.0 for p in self.workers) - self.app_start
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        # A backend that was there at the start counts from its first reading; a new one from zero.
        self.db = sum(cpu - (self.first[pid] if pid in self.existing else 0.0) for pid, cpu in self.last.items())


def run_wrk(
    label: str,
    server: Server,
    paths: list[str],
    token: str | None,
    args: argparse.Namespace,
    seconds: int,
    db_url: str | None = None,
) -> Result:
    env = {**os.environ, "BENCH_PATHS": "|".join(paths), "BENCH_TOKEN": token or ""}
    threads = max(1, min(args.threads, args.connections))
    cmd = ["wrk", "-t", str(threads), "-c", str(args.connections), "-d", f"{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(LUA), server.base]
    with CpuMeter(server.proc.pid, db_url) as cpu:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("@@RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    r = json.loads(line.removeprefix("@@RESULT "))
    errors = sum(r[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
    n = max(1, r["requests"])
    return Result(
        label,
        r["requests"] / (r["duration_us"] / 1e6),
        r["p50_us"] / 1000,
        r["p99_us"] / 1000,
        errors,
        app_cpu_ms=cpu.app / n * 1000,
        db_cpu_ms=cpu.db / n * 1000 if db_url and cpu.last else None,
    )


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        raise SystemExit("could not install wrk (Debian package 'wrk'); install it and run again")


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint (default 10)")
    p.add_argument("--connections", type=int, default=64, help="concurrent connections (default 64)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers, app and baseline alike (default 2)")
    p.add_argument("--collectivities", type=int, default=10_000)
    p.add_argument("--needs", type=int, default=30_000)
    p.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (default 2)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--tags", default=",".join(DEFAULT_TAGS), help="tag slugs the needs load cycles through")
    p.add_argument("--words", default=",".join(DEFAULT_WORDS), help="words the collectivities load cycles through")
    p.add_argument("--server", default=DEFAULT_SERVER, help=f"PostgreSQL server URL (default {DEFAULT_SERVER})")
    p.add_argument("--hold", action="store_true", help="after the run, keep servers up until Enter (profiling)")
    args = p.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the servers stop and the database is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_wrk()

    limit = 20
    needs_paths = [f"/api/v1/needs?tag={urllib.parse.quote(t)}&limit={limit}" for t in args.tags.split(",")]
    coll_paths = [f"/api/v1/collectivities?q={urllib.parse.quote(w)}&limit={limit}" for w in args.words.split(",")]
    base_paths = [f"/items?limit={limit}"]

    with scratch_database(args.server) as url, tempfile.TemporaryDirectory(prefix="jisr-bench-") as tmp:
        env = {
            **os.environ,
            "JISR_ENV": "production",
            "JISR_DATABASE_URL": url,
            "JISR_SECRET_KEY": secrets.token_urlsafe(48),
            "JISR_VAR_DIR": tmp,
            "JISR_ADMIN_EMAIL": ADMIN_EMAIL,
            "JISR_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        }
        os.environ.update(env)  # jisr reads its settings from the environment, once
        migrate_and_fill(url, args.collectivities, args.needs)

        servers: list[Server] = []
        try:
            app = start_server("app", "jisr.main:app", args.workers, env, Path(tmp))
            servers.append(app)
            uncached = start_server("app-uncached", "jisr.main:app", args.workers, {**env, **NO_CACHE}, Path(tmp))
            servers.append(uncached)
            baseline = start_server("baseline", "baseline_app:app", args.workers, env, Path(tmp))
            servers.append(baseline)
            for server in servers:
                wait_ready(server)
            token = get_token(app.base)
            totals = {path: check(app.base, path, token, limit) for path in needs_paths + coll_paths}
            check(baseline.base, base_paths[0], None, limit)
            for path, total in totals.items():
                print(f"  {urllib.parse.unquote(path):60} total={total}")

            plan = [
                ("baseline (no database)", baseline, base_paths, None, None),
                ("GET /api/v1/needs?tag=…", app, needs_paths, token, url),
                ("GET /api/v1/collectivities?q=…", app, coll_paths, token, url),
                ("  needs, list cache off", uncached, needs_paths, token, url),
                ("  collectivities, cache off", uncached, coll_paths, token, url),
                ("baseline (again)", baseline, base_paths, None, None),
            ]
            if args.warmup:
                for label, server, paths, tok, _ in plan[:-1]:
                    run_wrk(label, server, paths, tok, args, args.warmup)
            print(
                f"load: wrk, {args.connections} connections, {args.duration} s each, "
                f"{args.workers} uvicorn workers per server, {os.cpu_count()} CPUs"
            )
            results = [run_wrk(*step[:4], args, args.duration, step[4]) for step in plan]
            report(results)
            if args.hold:
                print(f"app at {app.base} (pids: see `pgrep -P {app.proc.pid}`), token:\n{token}")
                with contextlib.suppress(EOFError):
                    input("press Enter (or close stdin, or send SIGTERM) to stop ")
        finally:
            for server in servers:
                stop_server(server)


def report(results: list[Result]) -> None:
    base = [r for r in results if r.label.startswith("baseline")]
    ceiling = sum(r.rps for r in base) / len(base)
    head = f"{'endpoint':32} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'CPU ms/req: app':>16} {'db':>5}"
    print(f"\n{head}  target")
    for r in results:
        ratio = r.rps / ceiling
        if r.label.startswith("baseline"):
            verdict = ""
        else:
            ok = ratio >= 0.5 and r.p99_ms < 100
            verdict = "met" if ok else "MISSED (needs >= 0.50 and p99 < 100 ms)"
        errors = f"  {r.errors} errors" if r.errors else ""
        db = "" if r.db_cpu_ms is None else f"{r.db_cpu_ms:5.2f}"
        print(
            f"{r.label:32} {r.rps:7.0f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {ratio:6.2f} {r.app_cpu_ms:16.2f} {db:>5}"
            f"  {verdict}{errors}"
        )
    spread = max(r.rps for r in base) / min(r.rps for r in base) - 1
    print(f"ratio = req/s / mean of the two baseline runs ({ceiling:.0f} req/s; they differ by {spread:.0%})")


if __name__ == "__main__":
    main()
