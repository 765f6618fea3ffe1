"""Turning lists into spreadsheet files: flat rows, neutralised formulas, CSV for French Excel, XLSX, JSON."""

import io
import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from jisr.collectivities.models import Collectivity
from jisr.core import notes
from jisr.core.hygiene import for_json
from jisr.core.spreadsheet import excel_csv, xlsx_cell
from jisr.exports import labels
from jisr.tags.models import ThematicTag

TAG_FIELDS = ("tag_ids", "expertise_tag_ids", "interest_tag_ids")
COLLECTIVITY_FIELDS = ("collectivity_id", "parent_id", "french_collectivity_id", "lebanese_collectivity_id")


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


class Separator(StrEnum):
    semicolon = ";"
    comma = ","


MEDIA = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.json: "application/json",
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return " | ".join(str(_cell(v)) for v in value)
    return value


class Lookups:
    """Tag slugs and collectivity names, loaded once per export."""

    def __init__(self, session: Session, lang: str | None = None):
        self.session = session
        self.lang = lang  # None: the API's field names and values; fr/en/ar: headers and labels for people
        self._tags: dict[uuid.UUID, ThematicTag] | None = None
        self._names: dict[uuid.UUID, str] = {}

    @property
    def tags(self) -> dict[uuid.UUID, ThematicTag]:
        if self._tags is None:
            self._tags = {t.id: t for t in self.session.exec(select(ThematicTag))}
        return self._tags

    def names(self, ids: Iterable[Any]) -> dict[uuid.UUID, str]:
        missing = {i for i in ids if i is not None and i not in self._names}
        for start in range(0, len(missing), 1000):
            chunk = list(missing)[start : start + 1000]
            stmt = select(Collectivity.id, Collectivity.name).where(col(Collectivity.id).in_(chunk))
            for id_, name in self.session.exec(stmt):
                self._names[id_] = name
        return self._names

    def tag_text(self, tag_id: uuid.UUID) -> str:
        """A theme in an export: its slug, or its label in the export's language."""
        tag = self.tags[tag_id]
        if self.lang is None:
            return tag.slug
        return {"fr": tag.label_fr, "en": tag.label_en, "ar": tag.label_ar}.get(self.lang) or tag.label_fr

    def theme(self, tag_id: uuid.UUID) -> str:
        tag = self.tags.get(tag_id)
        if tag is None:
            return ""
        parent = self.tags.get(tag.parent_id) if tag.parent_id else None
        return f"{parent.label_fr} › {tag.label_fr}" if parent else tag.label_fr


def flatten(items: list[BaseModel], lookups: Lookups) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows an import reads back: tags as slugs, references as `ref:<source>`, names beside ids."""
    dumps = [item.model_dump() for item in items]
    ids = {d.get(f) for d in dumps for f in COLLECTIVITY_FIELDS if d.get(f)}
    names = lookups.names(ids) if ids else {}
    headers: list[str] = []
    sources: list[str] = []
    rows = []
    for d in dumps:
        row: dict[str, Any] = {}
        for key, value in d.items():
            if key == "external_refs":
                for source, ref in (value or {}).items():
                    if source not in sources:
                        sources.append(source)
                    row[f"ref:{source}"] = ref
                continue
            if key == "system_note":  # a server-written sentence (core.notes): in the export's language
                value = notes.render(value["key"], value["params"], lookups.lang or "fr") if value else ""
            elif key in TAG_FIELDS:
                value = [lookups.tag_text(t) for t in value if t in lookups.tags]
            elif lookups.lang:
                value = labels.value(key, value.value if isinstance(value, StrEnum) else value, lookups.lang)
            row[key] = _cell(value)
            if key in COLLECTIVITY_FIELDS:
                row[key.removesuffix("_id") + "_name"] = names.get(value, "") if value else ""
        rows.append(row)
        if not headers:
            headers = list(row)
    if not headers and items:
        headers = list(rows[0])
    headers = [h for h in headers if not h.startswith("ref:")] + [f"ref:{s}" for s in sources]
    if lookups.lang:
        return _for_people(headers, rows, lookups.lang)
    return headers, rows


def _for_people(headers: list[str], rows: list[dict[str, Any]], lang: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Headers in the language, ids in the last columns (before the external references)."""
    order = [h for h in headers if not labels.is_id(h) and not h.startswith("ref:")]
    order += [h for h in headers if labels.is_id(h)] + [h for h in headers if h.startswith("ref:")]
    named = {h: labels.header(h, lang) for h in order}
    return [named[h] for h in order], [{named[h]: row.get(h, "") for h in order} for row in rows]


ATLAS_HEADERS = [
    "Identifiant Atlas",
    "Titre",
    "Collectivité française",
    "Collectivité libanaise",
    "Année de première signature",
    "Thématique",
    "Statut",
    "Date de fin",
]


def atlas_rows(items: list[BaseModel], lookups: Lookups) -> tuple[list[str], list[dict[str, Any]]]:
    """Partnerships in the terms of the Atlas of decentralized cooperation (planned ones are not signed: left out)."""
    dumps = [i.model_dump() for i in items if str(i.model_dump()["status"]) != "planned"]
    names = lookups.names({d["french_collectivity_id"] for d in dumps} | {d["lebanese_collectivity_id"] for d in dumps})
    rows = []
    for d in dumps:
        fr, lb = names.get(d["french_collectivity_id"], ""), names.get(d["lebanese_collectivity_id"], "")
        first_line = (d.get("description") or "").strip().splitlines()[0:1]
        title = first_line[0][:200] if first_line else f"Coopération {fr} – {lb}"
        ended = str(d["status"]) == "ended"
        rows.append(
            {
                "Identifiant Atlas": d.get("atlas_id") or "",
                "Titre": title,
                "Collectivité française": fr,
                "Collectivité libanaise": lb,
                "Année de première signature": d.get("started_year") or "",
                "Thématique": " ; ".join(filter(None, (lookups.theme(t) for t in d.get("tag_ids") or []))),
                "Statut": "Terminé" if ended else "En cours",
                "Date de fin": (d.get("ended_year") or "") if ended else "",
            }
        )
    return ATLAS_HEADERS, rows


def to_csv(headers: list[str], rows: list[dict[str, Any]], separator: str = ";") -> bytes:
    return excel_csv(headers, ([row.get(h, "") for h in headers] for row in rows), separator)


def to_xlsx(headers: list[str], rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append([xlsx_cell(h) for h in headers])
    for row in rows:
        ws.append([xlsx_cell(row.get(h, "")) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _utf8_json(data: Any) -> bytes:
    # The one place JSON files are written: text is kept as is (json escapes controls), an unpaired
    # surrogate, which UTF-8 cannot hold, becomes U+FFFD.
    return for_json(json.dumps(data, ensure_ascii=False, indent=1, default=str)).encode("utf-8")


def to_json(items: list[BaseModel]) -> bytes:
    return _utf8_json([i.model_dump(mode="json") for i in items])


def to_json_rows(rows: list[dict[str, Any]]) -> bytes:
    return _utf8_json(rows)
