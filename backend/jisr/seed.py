"""Demo data for `jisr seed --demo`: the programme's 2021 timeline on real collectivities.

Everything goes through the domains' services, as a coordinator's edits would. Every record
carries the external reference ``demo=<key>`` (its key in ``jisr/data/demo/*.json``), so a
second run finds what the first one made and changes nothing; a collectivity that already
exists under its natural key (country, kind, code) is used as it is, never modified.
Every description says it is sample data.
"""

import json
import uuid
from collections import Counter
from importlib.resources import files
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, select

from jisr.auth.models import Role, User, UserCreate
from jisr.auth.service import Principal, create_user
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity, CollectivityCreate
from jisr.core.config import get_settings
from jisr.core.extrefs import find_by_ref
from jisr.needs import service as needs
from jisr.needs.models import NeedCreate
from jisr.partnerships import service as partnerships
from jisr.partnerships.models import PartnershipCreate
from jisr.tags.models import ThematicTag
from jisr.tags.service import seed_reference_tags

SOURCE = "demo"
SAMPLE = "Donnée de démonstration (sample data)."
PASSWORD = "jisr-demo-2021"
DOMAIN = "demo.jisr.example.org"
SIGN_IN = f"coordinateur@{DOMAIN}"
LINKED = "need linked"
ACCOUNTS: list[dict[str, Any]] = [
    {"email": f"admin@{DOMAIN}", "role": Role.admin, "full_name": "Admin (démo)"},
    {"email": SIGN_IN, "role": Role.coordinator, "full_name": "Coordination du programme (démo)"},
    {"email": f"saida@{DOMAIN}", "role": Role.member, "full_name": "Municipalité de Saïda (démo)", "of": "lb-saida"},
    {"email": f"lecteur@{DOMAIN}", "role": Role.viewer, "full_name": "Lecture seule (démo)"},
]
# The seed acts as staff: it may write any collectivity's needs.
ACTOR = Principal("user", uuid.UUID(int=0), Role.coordinator, None, "jisr seed --demo")


def _data(name: str) -> Any:
    return json.loads(files("jisr.data").joinpath("demo", name).read_text(encoding="utf-8"))


def _sample(text: str) -> str:
    return f"{text} — {SAMPLE}" if text else SAMPLE


class _Loader:
    def __init__(self, session: Session):
        self.session = session
        self.tags = {t.slug: t.id for t in session.exec(select(ThematicTag))}
        self.ids: dict[str, uuid.UUID] = {}
        self.created: Counter[str] = Counter()
        self.present: Counter[str] = Counter()
        self.new_events: set[uuid.UUID] = set()

    def tag_ids(self, slugs: list[str]) -> list[uuid.UUID]:
        return [self.tags[s] for s in slugs]

    def known(self, resource: str, key: str) -> uuid.UUID | None:
        found = find_by_ref(self.session, resource, SOURCE, key)
        if found is not None:
            self.ids[key] = found
            self.present[resource] += 1
        return found

    def collectivity(self, country: str, row: dict[str, Any]) -> None:
        if self.known("collectivity", row["key"]):
            return
        same = self.session.exec(
            select(Collectivity).where(
                Collectivity.country == country, Collectivity.kind == row["kind"], Collectivity.code == row["code"]
            )
        ).first()
        if same is not None:  # already in the directory (an import, a coordinator): use it as it is
            self.ids[row["key"]] = same.id
            self.present["collectivity"] += 1
            return
        fields = {k: v for k, v in row.items() if k not in {"key", "parent", "expertise", "interest", "description"}}
        data = CollectivityCreate.model_validate(
            {
                **fields,
                "country": country,
                "parent_id": self.ids[row["parent"]] if row.get("parent") else None,
                "description": _sample(row.get("description", "")),
                "expertise_tag_ids": self.tag_ids(row.get("expertise", [])),
                "interest_tag_ids": self.tag_ids(row.get("interest", [])),
                "external_refs": {SOURCE: row["key"]},
            }
        )
        self.ids[row["key"]] = collectivities.create(self.session, data=data).id
        self.created[f"collectivity:{country}"] += 1

    def need(self, row: dict[str, Any], events: dict[str, uuid.UUID]) -> None:
        event_id = events.get(row.get("event", ""))
        found = self.known("need", row["key"])
        if found:
            # Needs loaded before the events domain existed get their event when it is first seeded.
            obj = needs.get(self.session, found)
            if event_id in self.new_events and obj.source_event_id is None:
                needs.update(self.session, obj, changes={"source_event_id": event_id}, actor=ACTOR, if_match=None)
                self.created[LINKED] += 1
            return
        data = NeedCreate(
            collectivity_id=self.ids[row["collectivity"]],
            direction=row.get("direction", "request"),
            title=row["title"],
            description=_sample(row["description"]),
            tag_ids=self.tag_ids(row["tags"]),
            priority=row["priority"],
            status=row["status"],
            source=row["source"],
            source_event_id=event_id,
            estimated_budget_eur=row.get("budget"),
            external_refs={SOURCE: row["key"]},
        )
        needs.create(self.session, data=data, actor=ACTOR)
        self.created["need"] += 1

    def partnership(self, row: dict[str, Any]) -> None:
        if self.known("partnership", row["key"]):
            return
        data = PartnershipCreate(
            french_collectivity_id=self.ids[row["french"]],
            lebanese_collectivity_id=self.ids[row["lebanese"]],
            status=row["status"],
            started_year=row.get("started_year"),
            ended_year=row.get("ended_year"),
            last_activity_year=row.get("last_activity_year"),
            tag_ids=self.tag_ids(row["tags"]),
            description=_sample(row["description"]),
            external_refs={SOURCE: row["key"]},
        )
        partnerships.create(self.session, data=data)
        self.created["partnership"] += 1

    def account(self, spec: dict[str, Any]) -> None:
        if self.session.exec(select(User).where(User.email == spec["email"])).first():
            self.present["account"] += 1
            return
        data = UserCreate(
            email=spec["email"],
            password=PASSWORD,
            role=spec["role"],
            full_name=spec["full_name"],
            collectivity_id=self.ids[spec["of"]] if spec.get("of") else None,
        )
        create_user(self.session, data=data)
        self.created["account"] += 1


def _events_ready(session: Session) -> bool:
    """The events domain (built alongside this seed) is installed and migrated.

    The table is checked first: importing the models of an unmigrated domain would add its tables
    to the shared metadata.
    """
    if not inspect(session.connection()).has_table("events"):
        return False
    try:
        import jisr.events.service  # noqa: F401
    except ImportError:
        return False
    return True


def _demo_events(session: Session, loader: _Loader) -> dict[str, uuid.UUID]:
    """The programme's 2021 events by key, for the needs' ``source_event_id``.

    A webinar for Lebanese municipalities and an exchange workshop for French authorities in
    June 2021, field missions in Lebanon (September) and France (December). An event is found
    again by kind, title and start. Returns {} when the events domain is not there yet.
    """
    if not _events_ready(session):
        return {}
    from jisr.events import service as events
    from jisr.events.models import Event, EventCreate

    out: dict[str, uuid.UUID] = {}
    for row in _data("events.json")["events"]:
        data = EventCreate.model_validate(
            {k: v for k, v in row.items() if k != "key"} | {"description": _sample(row["description"])}
        )
        same = session.exec(
            select(Event).where(Event.kind == data.kind, Event.title == data.title, Event.starts_at == data.starts_at)
        ).first()
        if same is not None:
            loader.present["event"] += 1
            out[row["key"]] = same.id
            continue
        out[row["key"]] = events.create(session, data=data).id
        loader.new_events.add(out[row["key"]])
        loader.created["event"] += 1
    return out


def load_demo(session: Session) -> str:
    """Load the demo data that is missing; flush, never commit. Returns one line for the console."""
    seed_reference_tags(session)
    loader = _Loader(session)
    people = _data("collectivities.json")
    for country in ("FR", "LB"):
        rows = people[country]
        # Parents first: a commune's EPCI, a municipality's union.
        for row in sorted(rows, key=lambda r: bool(r.get("parent"))):
            loader.collectivity(country, row)
    events = _demo_events(session, loader)
    for row in _data("needs.json")["needs"]:
        loader.need(row, events)
    for row in _data("partnerships.json")["partnerships"]:
        loader.partnership(row)
    production = get_settings().env == "production"
    if not production:
        for spec in ACCOUNTS:
            loader.account(spec)
    session.flush()

    made, present = loader.created, loader.present
    if production:
        sign_in = "no demo accounts in production (their password is published): create users with `jisr users create`"
    else:
        sign_in = f"sign in at {get_settings().public_url} as {SIGN_IN} / {PASSWORD}"
    if not sum(made.values()):
        return (
            "demo data already loaded, nothing changed ("
            f"{present['collectivity']} collectivities, {present['need']} needs, "
            f"{present['partnership']} partnerships, {present['event']} events, {present['account']} accounts); "
            f"{sign_in}"
        )
    parts = [
        f"{made['collectivity:FR']} French and {made['collectivity:LB']} Lebanese collectivities",
        f"{made['need']} needs",
        f"{made['partnership']} partnerships",
        f"{made['account']} accounts",
        f"{made['event']} events" if events else "no events (events domain not available)",
    ]
    if made[LINKED]:
        parts.append(f"{made[LINKED]} needs loaded earlier linked to their event")
    return f"demo data loaded: {', '.join(parts)}; {sign_in}"
