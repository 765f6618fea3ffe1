"""Exports of every list, with the list's own filters, as CSV (French Excel), XLSX or JSON.

Each export endpoint takes the parameters of its list (same filters, same permission) and pages
through the whole result with the list itself, so the two never disagree.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.params import Depends as DependsMarker

from jisr.collectivities.routes import list_collectivities
from jisr.contacts.routes import list_contacts
from jisr.core.db import utcnow
from jisr.core.errors import responses
from jisr.core.models import AwareUTC
from jisr.core.pagination import ListParams, sort_pattern
from jisr.exports import service
from jisr.exports.service import ExportFormat, Lookups, Separator
from jisr.needs.routes import list_needs
from jisr.partnerships.routes import list_partnerships
from jisr.tags.routes import list_tags

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])

PAGE = 500
CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}
DOC = """\
The whole list, with the same filters as `GET /api/v1/{name}` (no `limit`/`offset`): `csv`
(UTF-8 with BOM, `;`-separated by default: French Excel opens it as is; `separator=,` otherwise),
`xlsx` or `json`. Tags are written as slugs, external references as `ref:<source>` columns and
collectivities by id with their name beside: the file can be imported back. Text that a
spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`.
"""


class ExportLanguage(StrEnum):
    fr = "fr"
    en = "en"
    ar = "ar"


@dataclass
class ExportOptions:
    sort: str | None
    updated_since: datetime | None
    separator: Separator
    lang: ExportLanguage | None = None


def export_options_for(sort_fields: tuple[str, ...]) -> Callable[..., ExportOptions]:
    """The options of an export, as a dependency, so that they come after the list's own filters in the schema;
    `sort` takes the fields its list takes (the same pattern as the list's)."""
    pattern = sort_pattern(sort_fields)

    def export_options(
        sort: Annotated[str | None, Query(max_length=200, pattern=pattern)] = None,
        updated_since: Annotated[AwareUTC | None, Query()] = None,
        separator: Annotated[Separator, Query(description="CSV only: `;` (default) or `,`.")] = Separator.semicolon,
        lang: Annotated[
            ExportLanguage | None,
            Query(
                description="For people: column headers and values (statuses, kinds, governorates, themes) in "
                "`fr`, `en` or `ar`, ids in the last columns. French and English files import back unchanged. "
                "Without it: the API's field names and values."
            ),
        ] = None,
    ) -> ExportOptions:
        return ExportOptions(sort, updated_since, separator, lang)

    return export_options


def _sort_fields(list_fn: Callable[..., Any]) -> tuple[str, ...]:
    """The fields the list behind an export sorts by (its `params` dependency knows them)."""
    annotation = inspect.signature(list_fn).parameters["params"].annotation
    dependency = next(m.dependency for m in annotation.__metadata__ if isinstance(m, DependsMarker))
    return tuple(getattr(dependency, "sort_fields"))  # noqa: B009  (set by list_params_sorted_by)


def _extra_params(list_fn: Callable[..., Any]) -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    options = Depends(export_options_for(_sort_fields(list_fn)))
    return [
        inspect.Parameter("format", kw, annotation=Annotated[ExportFormat, Path(description="csv, xlsx or json")]),
        inspect.Parameter("options", kw, annotation=Annotated[ExportOptions, options]),
    ]


def _add(
    name: str,
    list_fn: Callable[..., Any],
    shape: Callable[[list[Any], Lookups], tuple[list[str], list[dict[str, Any]]]],
    summary: str,
    doc: str,
) -> None:
    kw = inspect.Parameter.KEYWORD_ONLY
    own = [p.replace(kind=kw) for p in inspect.signature(list_fn).parameters.values() if p.name != "params"]

    def export(**kwargs: Any) -> Response:
        fmt: ExportFormat = kwargs.pop("format")
        options: ExportOptions = kwargs.pop("options")
        sort, since, separator = options.sort, options.updated_since, options.separator
        items: list[Any] = []
        offset = 0
        while True:
            page = list_fn(**kwargs, params=ListParams(limit=PAGE, offset=offset, sort=sort, updated_since=since))
            items.extend(page.items)
            offset += PAGE
            if not page.items or offset >= page.total:
                break
        stamp = utcnow().strftime("%Y%m%d")
        if fmt == ExportFormat.json and shape is service.flatten:
            body = service.to_json(items)
        else:
            lang = options.lang.value if options.lang and shape is service.flatten else None
            headers, rows = shape(items, Lookups(kwargs["session"], lang))
            if fmt == ExportFormat.csv:
                body = service.to_csv(headers, rows, separator.value)
            elif fmt == ExportFormat.xlsx:
                body = service.to_xlsx(headers, rows, name)
            else:
                body = service.to_json_rows(rows)
        return Response(
            body,
            media_type=service.MEDIA[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt.value}"'},
        )

    export.__signature__ = inspect.Signature(own + _extra_params(list_fn), return_annotation=Response)  # type: ignore[attr-defined]
    export.__name__ = f"export_{name.replace('-', '_')}"
    router.add_api_route(
        f"/{name}.{{format}}",
        export,
        methods=["GET"],
        operation_id=f"exports-{name}",
        summary=summary,
        description=doc,
        response_class=Response,
        responses={**CONTENT, **responses(401, 403, 404, 422)},
    )


for _name, _fn, _summary in (
    ("collectivities", list_collectivities, "Export collectivities"),
    ("needs", list_needs, "Export needs"),
    ("partnerships", list_partnerships, "Export partnerships"),
    ("contacts", list_contacts, "Export contacts"),
    ("tags", list_tags, "Export the theme tree"),
):
    _add(_name, _fn, service.flatten, _summary, DOC.format(name=_name))

_add(
    "partnerships-atlas",
    list_partnerships,
    service.atlas_rows,
    "Export partnerships for the Atlas",
    "Partnerships in the terms of the Atlas of decentralized cooperation, for the yearly declaration: "
    "Atlas id, title, French and Lebanese collectivities, year of first signature, theme › sub-theme, "
    "status (`En cours` / `Terminé`) and end year. Planned partnerships (not signed yet) are left out. "
    "Same filters as `GET /api/v1/partnerships`.",
)
