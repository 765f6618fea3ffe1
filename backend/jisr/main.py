"""The application: routers, error handlers, limits, and the SPA at /."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from jisr import __version__, worker
from jisr.audit import service as audit
from jisr.audit.routes import router as audit_router
from jisr.auth.routes import router as auth_router
from jisr.census.routes import router as census_router
from jisr.collectivities.routes import router as collectivities_router
from jisr.contacts.personal_data import router as personal_data_router
from jisr.contacts.routes import router as contacts_router
from jisr.core import http as web_hardening
from jisr.core.bootstrap import bootstrap
from jisr.core.config import get_settings
from jisr.core.db import get_engine, new_session
from jisr.core.errors import Problem, install_handlers, problem_response
from jisr.core.limits import BodyLimitMiddleware, ConcurrencyLimitMiddleware
from jisr.core.pagination import answers
from jisr.events.routes import router as events_router
from jisr.exports.routes import router as exports_router
from jisr.imports.routes import router as imports_router
from jisr.matching.routes import meetings_router
from jisr.matching.routes import router as matching_router
from jisr.needs.routes import router as needs_router
from jisr.notifications.routes import router as outbox_router
from jisr.notifications.unsubscribe_routes import router as unsubscribe_router
from jisr.partnerships.routes import router as partnerships_router
from jisr.sync.routes import router as sync_router
from jisr.tags.routes import router as tags_router
from jisr.webhooks.routes import router as webhooks_router

log = logging.getLogger("jisr")

DESCRIPTION = """\
Jisr ("bridge") is the partnership platform of the French–Lebanese decentralized cooperation
programme. Lebanese municipalities say what they need, French local authorities what they can
bring; coordinators turn needs into partnerships.

* **Auth**: `POST /api/v1/auth/token` (OAuth2 password or client credentials), then
  `Authorization: Bearer <token>` (valid `expires_in` seconds; no refresh token: ask again). Roles:
  `admin`, `coordinator`, `member` (acts for its own collectivity only), `viewer`; contacts are for
  admins and coordinators. A forbidden operation is 403.
* **Lists** answer `{"items", "total", "limit", "offset"}`; `limit` ≤ 500; `sort=-updated_at,name`
  (each list publishes the fields it sorts by); `updated_since=` on every list; `q` ignores case,
  accents and Arabic letter variants; `tag=` includes the tag's sub-themes.
* **Writes**: `POST` → 201 + `Location`; `PATCH` partial (fields left out are kept); `DELETE` → 204,
  or 409 while other records still refer to it (nothing cascades).
  Single resources carry an `ETag`; send it back in `If-Match` and a stale one gets 412.
* **Times** sent to the API need an offset (`2026-06-15T09:00:00+03:00` or `Z`) and are answered in
  UTC; event times without an offset are wall times in the event's `timezone`.
* **Errors** are `application/problem+json` (RFC 9457) with `errors: [{loc, msg}]` on 422. Refusals a
  person must act on also carry `code` (a stable name, e.g. `event_full`) and `params`: translate
  those, not `detail` (English). Bodies over 5 MiB get 413; 429 (sign-in, census form) and 503 (the
  database is saturated) carry `Retry-After`.
* **Headers**: every answer has `X-Request-ID` (yours if you send a safe one: quote it when reporting a
  problem); API answers are `Cache-Control: no-store`.
* **Staying in step**: `GET /api/v1/changes` with the `next_cursor` of the previous call (deletions
  included), or webhooks (signed `Jisr-Signature: v1=<HMAC-SHA256>`, retried with backoff); see the
  `changes` and `webhooks` tags.
* **Long work**: imports of files above 2 MiB and matching runs answer 202 + `Location` to poll when
  they outlast the request.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "auth", "description": "Tokens (password or client credentials) and who the token belongs to."},
    {"name": "users", "description": "Accounts (admins). A member account is tied to one collectivity."},
    {
        "name": "api-clients",
        "description": "Credentials for partner systems (admins): the secret is shown once, stored hashed.",
    },
    {"name": "tags", "description": "The theme tree. Filters by a tag include its sub-themes."},
    {"name": "reference", "description": "Reference data: Lebanon's governorates and districts."},
    {
        "name": "collectivities",
        "description": "French and Lebanese local authorities. Members may edit their own collectivity's "
        "profile, not its identity (country, kind, code, parent, external references).",
    },
    {
        "name": "contacts",
        "description": "People (admins and coordinators only). Listed only with a consent date (`consent_at`).",
    },
    {"name": "personal-data", "description": "Export or erase what Jisr holds about an e-mail address (admins)."},
    {
        "name": "needs",
        "description": "Requests and offers. Members move their own needs between draft, open and closed; "
        "in_discussion and matched are set by coordinators.",
    },
    {"name": "partnerships", "description": "Partnerships between a French and a Lebanese collectivity."},
    {
        "name": "events",
        "description": "Webinars, workshops, field missions, meetings. Times are stored in UTC and "
        "shown in the event's time zone; one seat per collectivity; a full event is 409 `event_full`.",
    },
    {"name": "meetings", "description": "A field mission's availability windows and its meeting schedule."},
    {
        "name": "census",
        "description": "Needs census campaigns. The public form is reached by a private link without an "
        "account: a wrong, revoked or expired link gets the same 404; 60 requests per address per 10 "
        "minutes.",
    },
    {
        "name": "matches",
        "description": "Matching runs and proposals. A run replaces the `proposed` proposals of the needs it "
        "covers and keeps those being worked on; unanswered proposals are reminded, then expire.",
    },
    {
        "name": "imports",
        "description": "CSV, XLSX or JSON, French or English headers. All or nothing unless "
        "`on_error=skip`; `dry_run=true` writes nothing; the answer is the report.",
    },
    {"name": "exports", "description": "Lists as CSV (French Excel), XLSX or JSON, with the lists' own filters."},
    {
        "name": "changes",
        "description": "The change feed: created, updated and deleted records since a cursor. Recent items "
        "may come twice: keep the higher `updated_at`.",
    },
    {
        "name": "webhooks",
        "description": "Signed notifications (admins register them). Answer 2xx within 10 s or the delivery "
        "is retried; check `Jisr-Signature` against the timestamp and raw body.",
    },
    {"name": "outbox", "description": "E-mails and webhook deliveries waiting, sent or dead (admins)."},
    {"name": "unsubscribe", "description": "Public: opt an address out of reminders (the link in each reminder)."},
    {"name": "audit", "description": "Who changed what and when (admins, read only)."},
    {"name": "operations", "description": "Health checks for a proxy or a monitor."},
]


def _static_dir() -> Path | None:
    configured = get_settings().static_dir
    for candidate in (configured, Path(__file__).parent / "static", Path("frontend/dist")):
        if candidate is not None and (candidate / "index.html").is_file():
            return candidate
    return None


class SpaStaticFiles(StaticFiles):
    """The built web app. A path that is no file (a client-side route such as /needs/42) gets
    index.html, so reloading any screen works; paths of the API and of operations stay 404
    (problem+json), and so do missing files with an extension (a stale /assets/x.js)."""

    RESERVED = frozenset({"api", "openapi.json", "docs", "redoc", "healthz", "readyz"})

    async def get_response(self, path: str, scope: Scope) -> Response:
        first = path.strip("/").split("/", 1)[0]
        if first in self.RESERVED:
            raise StarletteHTTPException(status_code=404)
        try:
            response = await super().get_response(path, scope)
        except StarletteHTTPException as exc:
            last = path.rstrip("/").rsplit("/", 1)[-1]
            if exc.status_code != 404 or "." in last:
                raise
            response = await super().get_response("index.html", scope)
        if response.media_type == "text/html":
            response.headers["Cache-Control"] = "no-cache"
        elif first == "assets":  # file names carry a content hash
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    def start() -> None:
        with new_session() as session:
            bootstrap(session)

    to_thread.current_default_thread_limiter().total_tokens = get_settings().request_threads
    await run_in_threadpool(start)
    # What start-up built (routes, models, mappers: most of the heap) is kept out of the cyclic garbage
    # collector's passes: each full pass walked it all, and the list benchmark's p99 went 111 → 24 ms.
    gc.freeze()  # (given back at shutdown: a test process starts many apps)
    settings = get_settings()
    background = worker.start_background(jobs=settings.worker_jobs_in_process) if settings.worker_in_process else None
    try:
        yield
    finally:
        if background is not None:
            thread, stop = background
            stop.set()
            await run_in_threadpool(thread.join, 30)
        await answers().close()  # the list cache's snapshot connection
        gc.unfreeze()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Jisr API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served by jisr.core.http.install_docs, with its own CSP
        redoc_url=None,
    )
    install_handlers(app)
    app.add_middleware(audit.ActorContext)  # who writes, for the audit trail (jisr.audit.service)
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes, large=settings.max_import_bytes)
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.request_threads)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_credentials=False,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    for router in (
        auth_router,
        tags_router,
        collectivities_router,
        contacts_router,
        needs_router,
        partnerships_router,
        events_router,
        census_router,
        matching_router,
        meetings_router,
        imports_router,
        exports_router,
        sync_router,
        webhooks_router,
        outbox_router,
        unsubscribe_router,
        audit_router,
        personal_data_router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"], operation_id="operations-healthz", summary="Process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        operation_id="operations-readyz",
        summary="Database is reachable",
        responses={
            503: {
                "description": "Database unreachable",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        },
    )
    def readyz() -> Any:
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            log.exception("readiness check failed")
            return problem_response(503, "The database is not reachable.", title="Service unavailable")
        return JSONResponse({"status": "ready"})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
            components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components["Problem"].pop("$defs", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    static = _static_dir()
    web_hardening.install_docs(app)
    web_hardening.install(
        app, static, hsts_seconds=settings.hsts_seconds, trusted_proxies=bool(settings.trusted_proxy_list)
    )
    if static is not None:
        app.mount("/", SpaStaticFiles(directory=static, html=True), name="spa")
    return app


app = create_app()
