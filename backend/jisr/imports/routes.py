"""Bulk imports: CSV, XLSX or JSON in; created / updated / unchanged counts and every error out."""

import tempfile
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from jisr.auth.deps import Staff
from jisr.core.config import get_settings
from jisr.core.db import SessionDep, new_session
from jisr.core.errors import Invalid, responses
from jisr.core.pagination import ListParams, list_params_sorted_by
from jisr.imports import columns, parsing, service
from jisr.imports.models import ImportJobList, ImportKind, ImportReport, JobStatus, OnError

ImportListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

DryRun = Annotated[bool, Query(description="Check everything and write nothing.")]
OnErrorQ = Annotated[
    OnError, Query(description="`abort` (default): a file with any error writes nothing. `skip`: write the valid rows.")
]
Background = Annotated[
    bool | None,
    Query(
        alias="background",
        description="Force (true) or refuse (false) running as a job; by default files above 2 MiB run as a job.",
    ),
]

IMPORT_DOC = f"""\
Send a file as `multipart/form-data` (field `file`: CSV, XLSX or JSON), or the rows as a JSON array
body (`application/json`), or a CSV body (`text/csv`).

* CSV: UTF-8 with or without BOM, or Windows-1252; `;`, `,` or tab separated; the first line names
  the columns (French or English, see below; case, accents and punctuation do not matter).
  XLSX: the first sheet, same header. JSON: an array of objects (or `{{"items": [...]}}`).
* Dates: `2021-06-15` or `15/06/2021`. Lists: values separated by `|` or `;`. Tags: slugs or labels
  in French, English or Arabic (`Eau et assainissement | waste-management`).
* A collectivity (`collectivity`, `parent`, `french_collectivity`, `lebanese_collectivity`) is named
  by id, by code, by external reference (`cuf:C-1234`) or by name, with `…_governorate` or
  `…_departement` (or the plain `gouvernorat` / `département` column) to tell namesakes apart.
* `ref:<source>` columns carry external references (`ref:cuf`); they are also the key for upserts.
* Each row updates the record it matches — by `id`, by external reference, or by natural key
  (collectivities: country + kind + code, or name + governorate/département; needs: collectivity +
  direction + title; partnerships: `atlas_id`, or the pair; contacts: collectivity + e-mail, or
  name; events, which have no external references: kind + title + start) — and creates one otherwise.
* Event times: `15/06/2021 14:30` or `2021-06-15T14:30` is the wall time in the row's `timezone`
  (else the matched event's, else Asia/Beirut); with an offset (`+03:00`, `Z`) it is taken as is. A
  wall time the clocks skip is an error; one they repeat is its first (summer-time) occurrence.
* Only the columns present are written. Importing the same file again counts every row as
  `unchanged` and writes nothing.
* The answer counts `created`, `updated`, `unchanged` (what the file does, or would do for a dry
  run or a rejected file: see `committed`) and lists every error as `{{row, field, message}}`; `row`
  is the spreadsheet line (the header is line 1) or the 1-based position in a JSON array. Only the
  first 1,000 errors are listed; `error_count` has them all.
* Files above 2 MiB run as a job: the answer is 202 with `Location: /api/v1/imports/{{id}}` to poll.

Columns:
{columns.markdown()}
"""


async def _spool(request: Request) -> tuple[Any, str, str, int]:
    """The uploaded file (spooled to disk past 1 MiB), its name, format and size."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 (closed by the caller)
    filename = ""
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid(
                "Send the file in the multipart field 'file'.", errors=[{"loc": ["body", "file"], "msg": "missing"}]
            )
        filename = upload.filename or ""
        while chunk := await upload.read(1 << 20):
            spool.write(chunk)
        content_type = upload.content_type or ""
    else:
        async for chunk in request.stream():
            spool.write(chunk)
        content_type = ctype
    size = spool.tell()
    if size == 0:
        raise Invalid("The file is empty.", errors=[{"loc": ["body"], "msg": "empty"}])
    spool.seek(0)
    head = spool.read(8192)
    spool.seek(0)
    try:
        fmt = parsing.detect_format(head, filename, content_type)
    except parsing.FileError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["body", "file"], "msg": str(exc)}]) from exc
    return spool, filename, fmt, size


def _answer(report: ImportReport, queued: bool) -> Any:
    if queued:
        return JSONResponse(
            report.model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/imports/{report.id}"},
        )
    if report.status == JobStatus.failed:
        raise Invalid(report.detail, errors=[{"loc": ["body", "file"], "msg": report.detail or "unreadable"}])
    return report


REQUEST_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
        },
        "required": True,
    }
}


@router.post(
    "/france-reference",
    operation_id="imports-france-reference",
    summary="Load the French reference directory",
    description="""\
Régions, départements, EPCI and current communes from Etalab's *découpage administratif*
(`@etalab/decoupage-administratif`): upload `communes.json`, `epci.json`, `departements.json` and
`regions.json` (multipart, field `files`, repeated) or the package archive from `npm pack`; with no
file, the server fetches the package with npm. Always a job: 202, then poll
`GET /api/v1/imports/{id}`. A second run with the same data counts everything `unchanged`.""",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportReport,
    responses=responses(401, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                    }
                }
            },
            "required": False,
        }
    },
)
async def import_france(principal: Staff, request: Request, dry_run: DryRun = False) -> Any:
    files: dict[str, bytes] = {}
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=10, max_fields=10)
        for value in form.getlist("files"):
            if isinstance(value, UploadFile):
                files[value.filename or ""] = await value.read()

    def store() -> ImportReport:
        with new_session() as session:
            job = service.new_job(
                session,
                kind=service.FRANCE,
                actor=principal,
                dry_run=dry_run,
                on_error=OnError.abort,
                fmt="json",
                filename=", ".join(sorted(files)) or "npm",
                size=sum(map(len, files.values())),
                payload=service.pack_files(files) if files else b"",
            )
            session.commit()
            return service.report_of(job)

    report = await run_in_threadpool(store)  # the worker runs it (jisr.worker), not this request
    return _answer(report, queued=True)


@router.post(
    "/{kind}",
    operation_id="imports-create",
    summary="Import a file",
    description=IMPORT_DOC,
    response_model=ImportReport,
    responses={
        **responses(401, 403, 413, 422),
        202: {"description": "Running as a job: poll the Location", "model": ImportReport},
    },
    openapi_extra=REQUEST_BODY,
)
async def import_file(
    principal: Staff,
    request: Request,
    kind: Annotated[ImportKind, Path()],
    dry_run: DryRun = False,
    on_error: OnErrorQ = OnError.abort,
    run_as_job: Background = None,
) -> Any:
    spool, filename, fmt, size = await _spool(request)
    queued = run_as_job if run_as_job is not None else size > get_settings().import_job_threshold_bytes

    def execute() -> tuple[ImportReport, bool]:
        with new_session() as session:
            job = service.new_job(
                session,
                kind=kind.value,
                actor=principal,
                dry_run=dry_run,
                on_error=on_error,
                fmt=fmt,
                filename=filename,
                size=size,
                payload=spool.read() if queued else None,
            )
            session.commit()
            if queued:
                return service.report_of(job), True
            try:
                job.total = service.estimate_rows(spool, fmt)
                return service.run(session, job, spool), False
            finally:
                service.release(job.id)  # done already when the import finished; not when it broke

    try:
        report, is_job = await run_in_threadpool(execute)  # a job is run by the worker (jisr.worker)
    finally:
        spool.close()
    return _answer(report, queued=is_job)


@router.get(
    "",
    operation_id="imports-list",
    summary="List imports",
    response_model=ImportJobList,
    responses=responses(401, 403, 422),
)
def list_imports(
    _: Staff,
    session: SessionDep,
    params: ImportListParams,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    status: JobStatus | None = None,
) -> ImportJobList:
    rows, total = service.list_(session, params=params, kind=kind, status=status)
    return ImportJobList(
        items=[service.report_of(r) for r in rows], total=total, limit=params.limit, offset=params.offset
    )


@router.get(
    "/{import_id}",
    operation_id="imports-get",
    summary="Progress and report of an import",
    response_model=ImportReport,
    responses=responses(401, 403, 404, 422),
)
def get_import(_: Staff, session: SessionDep, import_id: uuid.UUID, response: Response) -> ImportReport:
    """`status`: queued → running → done / rejected / failed; `processed` of `total` rows so far."""
    return service.report_of(service.get(session, import_id))
