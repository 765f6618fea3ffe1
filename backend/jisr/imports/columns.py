"""The one table of import columns: canonical names, French and English aliases, value words.

Headers and values are compared folded (case, accents, spaces, `_`, `-`, `.` and `'` ignored), so
"Code INSEE", "code_insee" and "CODE-INSÉE" are one header. ``markdown()`` renders this table for the
OpenAPI description of the import route and the README.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jisr.collectivities.geography import lebanon
from jisr.core.text import fold
from jisr.imports import parsing
from jisr.imports.messages import Problem

# --- value words (enums), folded -> API value --------------------------------------------

VALUE_WORDS: dict[str, dict[str, str]] = {
    "country": {
        "fr": "FR",
        "france": "FR",
        "francais": "FR",
        "francaise": "FR",
        "فرنسا": "FR",
        "lb": "LB",
        "liban": "LB",
        "lebanon": "LB",
        "libanais": "LB",
        "libanaise": "LB",
        "لبنان": "LB",
    },
    "kind": {
        "commune": "commune",
        "epci": "epci",
        "intercommunalite": "epci",
        "communaute de communes": "epci",
        "communaute d agglomeration": "epci",
        "communaute urbaine": "epci",
        "metropole": "epci",
        "departement": "departement",
        "department": "departement",
        "region": "region",
        "municipality": "municipality",
        "municipalite": "municipality",
        "baladiya": "municipality",
        "بلدية": "municipality",
        "union of municipalities": "union_of_municipalities",
        "union de municipalites": "union_of_municipalities",
        "union des municipalites": "union_of_municipalities",
        "اتحاد بلديات": "union_of_municipalities",
        "other": "other",
        "autre": "other",
    },
    "direction": {
        "request": "request",
        "demande": "request",
        "besoin": "request",
        "offer": "offer",
        "offre": "offer",
        "proposition": "offer",
    },
    "priority": {
        "high": "high",
        "haute": "high",
        "elevee": "high",
        "forte": "high",
        "medium": "medium",
        "moyenne": "medium",
        "normale": "medium",
        "low": "low",
        "basse": "low",
        "faible": "low",
    },
    "need_status": {
        "draft": "draft",
        "brouillon": "draft",
        "open": "open",
        "ouvert": "open",
        "in discussion": "in_discussion",
        "en discussion": "in_discussion",
        "matched": "matched",
        "mis en relation": "matched",
        "closed": "closed",
        "ferme": "closed",
        "clos": "closed",
    },
    "source": {
        "webinar": "webinar",
        "webinaire": "webinar",
        "census": "census",
        "recensement": "census",
        "field mission": "field_mission",
        "mission de terrain": "field_mission",
        "import": "import",
        "manual": "manual",
        "manuel": "manual",
        "saisie": "manual",
    },
    "partnership_status": {
        "active": "active",
        "actif": "active",
        "en cours": "active",
        "dormant": "dormant",
        "en sommeil": "dormant",
        "inactif": "dormant",
        "ended": "ended",
        "termine": "ended",
        "fini": "ended",
        "planned": "planned",
        "prevu": "planned",
        "en projet": "planned",
    },
    "capacity": {
        "low": "low",
        "faible": "low",
        "medium": "medium",
        "moyenne": "medium",
        "high": "high",
        "forte": "high",
        "elevee": "high",
    },
    "event_kind": {
        "webinar": "webinar",
        "webinaire": "webinar",
        "visioconference": "webinar",
        "ندوة عبر الانترنت": "webinar",
        "workshop": "workshop",
        "atelier": "workshop",
        "ورشة عمل": "workshop",
        "field mission": "field_mission",
        "mission de terrain": "field_mission",
        "mission": "field_mission",
        "مهمة ميدانية": "field_mission",
        "meeting": "meeting",
        "reunion": "meeting",
        "rencontre": "meeting",
        "اجتماع": "meeting",
    },
    "audience": {
        "fr": "FR",
        "france": "FR",
        "collectivites francaises": "FR",
        "lb": "LB",
        "liban": "LB",
        "lebanon": "LB",
        "collectivites libanaises": "LB",
        "both": "both",
        "tous": "both",
        "toutes": "both",
        "les deux": "both",
        "fr lb": "both",
        "fr et lb": "both",
        "all": "both",
    },
    "event_status": {
        "planned": "planned",
        "prevu": "planned",
        "planifie": "planned",
        "a venir": "planned",
        "open": "open",
        "ouvert": "open",
        "inscriptions ouvertes": "open",
        "closed": "closed",
        "ferme": "closed",
        "clos": "closed",
        "complet": "closed",
        "inscriptions closes": "closed",
        "cancelled": "cancelled",
        "canceled": "cancelled",
        "annule": "cancelled",
        "done": "done",
        "termine": "done",
        "passe": "done",
        "held": "done",
    },
    "language": {
        "fr": "fr",
        "francais": "fr",
        "french": "fr",
        "فرنسية": "fr",
        "en": "en",
        "anglais": "en",
        "english": "en",
        "انكليزية": "en",
        "ar": "ar",
        "arabe": "ar",
        "arabic": "ar",
        "عربية": "ar",
    },
}


def word(group: str) -> Callable[[Any], str]:
    words = {fold(k): v for k, v in VALUE_WORDS[group].items()}  # "بلدية" is compared as folded: "بلديه"
    allowed = sorted(set(words.values()))

    def parse(value: Any) -> str:
        text = str(value).strip()
        folded = fold(text)
        if folded in words:
            return words[folded]
        if text in allowed:
            return text
        if folded.replace(" ", "_") in allowed:
            return folded.replace(" ", "_")
        raise Problem("not_one_of", value=text, allowed=", ".join(allowed))

    return parse


def word_list(group: str) -> Callable[[Any], list[str]]:
    one = word(group)
    return lambda value: list(dict.fromkeys(one(v) for v in parsing.split_list(value)))


def _governorate_words() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, g in lebanon().items():
        for name in (code, g.name_fr, g.name_en, g.name_ar):
            out[fold(name)] = code
    return out


def governorate(value: Any) -> str:
    text = str(value).strip()
    code = _governorate_words().get(fold(text))
    if code is None:
        raise Problem("unknown_governorate", value=text, codes=", ".join(lebanon()))
    return code


def governorates(value: Any) -> list[str]:
    return list(dict.fromkeys(governorate(v) for v in parsing.split_list(value)))


def district(value: Any) -> str:
    text = str(value).strip()
    for g in lebanon().values():
        for d in g.districts:
            if fold(text) in (fold(d.name_fr), fold(d.name_en), fold(d.name_ar)):
                return d.name_fr
    return text  # the service's check says what is wrong


def text(value: Any) -> str:
    return str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))


def code(value: Any) -> str:
    """Codes stay text: a spreadsheet that made 01001 a number gets its zeros back only for INSEE sizes."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


def geo_code(value: Any) -> str:
    """Département / région codes: 1 → 01, 2A stays 2A."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):02d}"
    t = str(value).strip()
    return f"{int(t):02d}" if t.isdigit() and len(t) == 1 else t


def a_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise Problem("not_uuid", value=str(value)) from None


def string_list(value: Any) -> list[str]:
    return parsing.split_list(value)


def moment(value: Any) -> Any:
    """An event's time: kept naive (the wall time in the event's time zone) unless it has an offset."""
    try:
        return parsing.parse_datetime(value)
    except ValueError:
        raise Problem("not_moment", value=str(value)) from None


_SPEAKER = re.compile(r"^(?P<name>[^()]+?)\s*(?:\((?P<organisation>[^()]*)\))?\s*$")


def speakers(value: Any) -> list[Any]:
    """`Name (Organisation) | Name`, or (JSON) a list of such texts or of {name, organisation, topic}."""
    out: list[Any] = []
    for piece in value if isinstance(value, list) else parsing.split_list_keeping_commas(value):
        piece = piece[0] if isinstance(piece, list) else piece
        if isinstance(piece, dict):
            out.append(piece)
            continue
        m = _SPEAKER.match(str(piece).strip())
        if m is None:
            raise Problem("not_speaker", value=str(piece))
        out.append({"name": m.group("name").strip(), "organisation": (m.group("organisation") or "").strip()})
    return out


def consent(value: Any) -> Any:
    from datetime import UTC

    moment = parsing.parse_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the column table --------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # the model field, or a special name (tags, references)
    parse: Callable[[Any], Any] | None
    aliases: tuple[str, ...] = ()
    doc: str = ""
    role: str = "field"  # field | tags | cref (a collectivity reference part) | key | ignored


@dataclass(frozen=True)
class CollectivityRef:
    """A reference to a collectivity: by id, code, external reference, or name + governorate/département."""

    field: str  # the model field it fills: collectivity_id, parent_id…
    prefix: str  # column prefix: collectivity, parent…
    labels: tuple[str, ...]  # French and English words for it
    geo: tuple[str, ...] = ()  # plain words meaning its governorate / département (needs: "gouvernorat")


def ref_columns(ref: CollectivityRef) -> list[Column]:
    p, labels = ref.prefix, ref.labels
    cols = [
        Column(f"{p}_id", a_uuid, tuple(f"{w} id" for w in labels), "its id", "cref"),
        Column(p, text, labels, "id, code, `source:value` or name", "cref"),
        Column(f"{p}_code", code, tuple(x for w in labels for x in (f"{w} code", f"code {w}")), "its code", "cref"),
        Column(f"{p}_ref", text, tuple(x for w in labels for x in (f"{w} ref", f"ref {w}")), "`source:value`", "cref"),
        Column(
            f"{p}_name",
            text,
            tuple(x for w in labels for x in (f"{w} name", f"nom {w}", f"{w} nom")),
            "its name (with governorate or département)",
            "cref",
        ),
        Column(
            f"{p}_governorate",
            governorate,
            tuple(x for w in labels for x in (f"{w} governorate", f"gouvernorat {w}")) + ref.geo[:1],
            "its governorate",
            "cref",
        ),
        Column(
            f"{p}_departement",
            geo_code,
            tuple(x for w in labels for x in (f"{w} departement", f"departement {w}")) + ref.geo[1:],
            "its département",
            "cref",
        ),
    ]
    return cols


COMMON = [
    Column("id", a_uuid, ("identifiant", "uuid"), "Jisr id: updates that record", "key"),
    Column("created_at", None, ("cree le", "date de creation"), "ignored (read-only)", "ignored"),
    Column("updated_at", None, ("modifie le", "date de modification"), "ignored (read-only)", "ignored"),
]

COLLECTIVITY_PARENT = CollectivityRef("parent_id", "parent", ("parent", "epci", "intercommunalite", "union"))

COLLECTIVITIES = [
    *COMMON,
    Column("country", word("country"), ("pays",), "FR/LB, France/Liban"),
    Column("kind", word("kind"), ("type", "nature", "categorie"), "commune, EPCI, département, municipalité…"),
    Column("name", text, ("nom", "libelle", "nom de la collectivite", "collectivite")),
    Column("name_ar", text, ("nom arabe", "nom en arabe", "name arabic", "arabic name", "الاسم")),
    Column("name_alt", string_list, ("autres noms", "autres orthographes", "alias", "other names"), "list"),
    Column("code", code, ("code insee", "insee", "code officiel", "official code"), "INSEE, SIREN…"),
    Column("governorate", governorate, ("gouvernorat", "mohafazat", "mohafaza", "محافظة"), "code or name"),
    Column("district", district, ("caza", "qada", "qadaa", "قضاء"), "caza, in French, English or Arabic"),
    Column("region", geo_code, ("code region",)),
    Column("departement", geo_code, ("department", "dept", "dep", "code departement")),
    *ref_columns(COLLECTIVITY_PARENT),
    Column("population", parsing.parse_int, ("habitants", "nombre d habitants", "inhabitants")),
    Column("latitude", parsing.parse_float, ("lat",)),
    Column("longitude", parsing.parse_float, ("lon", "lng", "long")),
    Column("website", text, ("site web", "site internet", "site", "url", "web")),
    Column("languages", word_list("language"), ("langues", "langue", "language"), "fr, en, ar"),
    Column("description", text, ("presentation",)),
    Column("capacity", word("capacity"), ("capacite", "capacite d action internationale"), "low/medium/high"),
    Column("preferred_governorates", governorates, ("gouvernorats preferes", "gouvernorats souhaites"), "list"),
    Column(
        "expertise_tag_ids",
        None,
        ("expertise", "expertises", "competences", "savoir faire", "expertise tags", "thematiques d expertise"),
        "tags",
        "tags",
    ),
    Column(
        "interest_tag_ids",
        None,
        ("interest", "interests", "interets", "centres d interet", "interest tags", "thematiques recherchees"),
        "tags",
        "tags",
    ),
]

NEED_COLLECTIVITY = CollectivityRef(
    "collectivity_id",
    "collectivity",
    ("collectivity", "collectivite", "municipalite", "municipality", "commune"),
    geo=("gouvernorat", "departement"),
)

NEEDS = [
    *COMMON,
    *ref_columns(NEED_COLLECTIVITY),
    Column("direction", word("direction"), ("sens", "type de besoin"), "request/offer, demande/offre"),
    Column("title", text, ("titre", "intitule", "besoin", "objet")),
    Column("description", text, ("detail", "details")),
    Column(
        "tag_ids", None, ("tags", "themes", "thematiques", "thematique", "theme", "secteur", "secteurs"), "tags", "tags"
    ),
    Column("priority", word("priority"), ("priorite",), "haute/moyenne/basse"),
    Column("status", word("need_status"), ("statut", "etat"), "draft, open…"),
    Column("source", word("source"), ("origine", "provenance"), "webinar, census…"),
    Column("source_event_id", a_uuid, ("evenement", "event", "event id")),
    Column("estimated_budget_eur", parsing.parse_int, ("budget", "budget estime", "budget eur", "estimated budget")),
]

FRENCH_SIDE = CollectivityRef(
    "french_collectivity_id",
    "french_collectivity",
    ("french collectivity", "collectivite francaise", "partenaire francais", "collectivite fr"),
    geo=("", "departement"),
)
LEBANESE_SIDE = CollectivityRef(
    "lebanese_collectivity_id",
    "lebanese_collectivity",
    (
        "lebanese collectivity",
        "collectivite libanaise",
        "partenaire libanais",
        "municipalite libanaise",
        "collectivite lb",
    ),
    geo=("gouvernorat",),
)

PARTNERSHIPS = [
    *COMMON,
    *ref_columns(FRENCH_SIDE),
    *ref_columns(LEBANESE_SIDE),
    Column("status", word("partnership_status"), ("statut", "etat"), "active, dormant… / en cours, terminé"),
    Column(
        "started_year",
        parsing.parse_year,
        ("annee de debut", "debut", "annee de premiere signature", "start year", "since"),
    ),
    Column("ended_year", parsing.parse_year, ("annee de fin", "fin", "end year", "date de fin")),
    Column("last_activity_year", parsing.parse_year, ("derniere activite", "last activity")),
    Column("tag_ids", None, ("tags", "themes", "thematiques", "thematique", "theme", "secteur"), "tags", "tags"),
    Column("description", text, ("titre", "title", "intitule")),
    Column("atlas_id", code, ("atlas", "id atlas", "identifiant atlas", "atlas id")),
    Column("system_note", None, ("note de jisr", "jisr note"), "ignored (read-only, written by Jisr)", "ignored"),
]

CONTACT_COLLECTIVITY = NEED_COLLECTIVITY

CONTACTS = [
    *COMMON,
    *ref_columns(CONTACT_COLLECTIVITY),
    Column("full_name", text, ("nom", "nom complet", "prenom nom", "name", "personne")),
    Column("role", text, ("fonction", "poste", "qualite", "title")),
    Column("email", text, ("e mail", "mail", "courriel", "adresse e mail", "adresse mail")),
    Column("phone", text, ("telephone", "tel", "portable", "mobile")),
    Column("languages", word_list("language"), ("langues", "langue", "language"), "fr, en, ar"),
    Column(
        "consent_at",
        consent,
        ("consentement", "date de consentement", "consent", "consent date"),
        "2021-06-15 or 15/06/2021",
    ),
    Column("active", parsing.parse_bool, ("actif", "active"), "oui/non"),
]

EVENTS = [
    *COMMON,
    Column("kind", word("event_kind"), ("type", "nature", "type d evenement", "event type"), "webinaire, atelier…"),
    Column("title", text, ("titre", "intitule", "nom", "evenement", "event", "name")),
    Column("description", text, ("detail", "details", "programme", "presentation")),
    Column(
        "starts_at",
        moment,
        ("debut", "date de debut", "date et heure de debut", "date", "start", "starts", "start date", "begins"),
        "15/06/2021 14:30, 2021-06-15T14:30 (wall time in `timezone`) or with an offset (+02:00, Z)",
    ),
    Column(
        "ends_at",
        moment,
        ("fin", "date de fin", "date et heure de fin", "end", "ends", "end date"),
        "as `starts_at`; after it",
    ),
    Column("timezone", text, ("fuseau horaire", "fuseau", "time zone", "tz"), "IANA name: Asia/Beirut (default)"),
    Column("location", text, ("lieu", "adresse", "ville", "place", "venue")),
    Column("country", word("country"), ("pays",), "FR/LB, France/Liban"),
    Column("online_url", text, ("lien", "lien de connexion", "lien visio", "visio", "url", "link", "online url")),
    Column("audience", word("audience"), ("public", "public vise", "pour"), "FR, LB or both (tous)"),
    Column("capacity", parsing.parse_int, ("capacite", "places", "nombre de places", "jauge", "seats")),
    Column("status", word("event_status"), ("statut", "etat"), "planned, open… / prévu, ouvert, annulé"),
    Column("speakers", speakers, ("intervenants", "intervenant", "orateurs", "speaker"), "Name (Organisation) | …"),
]

COLUMNS: dict[str, list[Column]] = {
    "collectivities": COLLECTIVITIES,
    "needs": NEEDS,
    "partnerships": PARTNERSHIPS,
    "contacts": CONTACTS,
    "events": EVENTS,
}

_REF_HEADER = re.compile(
    r"^\s*(?:ref|refs|reference|référence|réf\.?|external[_ ]refs?|external[_ ]reference)\s*[:._ ]\s*"
    r"([a-z][a-z0-9_-]{0,39})\s*$",
    re.IGNORECASE,
)


@dataclass
class HeaderMap:
    columns: dict[str, Column] = field(default_factory=dict)  # header -> column
    ref_sources: dict[str, str] = field(default_factory=dict)  # header -> external ref source
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _index(kind: str) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for col in COLUMNS[kind]:
        for name in (col.name, *col.aliases):
            if name:
                out.setdefault(fold(name), col)
    return out


def map_headers(kind: str, headers: list[str]) -> HeaderMap:
    index = _index(kind)
    out = HeaderMap()
    for header in headers:
        if header.startswith("#") and header[1:].isdigit():
            out.unknown.append(header)
            continue
        if header.startswith("#") or not header.strip():
            out.ignored.append(header)
            continue
        if header == "external_refs":
            out.ref_sources[header] = "*"
            continue
        m = _REF_HEADER.match(header)
        if m:
            out.ref_sources[header] = m.group(1).lower()
            continue
        col = index.get(fold(header))
        if col is None:
            out.unknown.append(header)
        elif col.role == "ignored":
            out.ignored.append(header)
        else:
            out.columns[header] = col
    return out


def known_headers(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind] if c.role != "ignored"]


def markdown() -> str:
    """The alias table, for documentation."""
    lines = []
    for kind, cols in COLUMNS.items():
        lines.append(f"\n**{kind}**\n\n| column | also accepted | values |\n| --- | --- | --- |")
        for c in cols:
            aliases = ", ".join(a for a in c.aliases if a)
            lines.append(f"| `{c.name}` | {aliases} | {c.doc} |")
    return "\n".join(lines)
