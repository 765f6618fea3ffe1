"""Web hardening and the request context: security headers, request ids, the access log.

One pure ASGI middleware wraps the whole application, outside Starlette's error middleware, so
that every answer — API, problem+json errors (500s included), the web app, /docs — carries the
security headers and the ``X-Request-ID``, and every log line written while serving a request
knows its id (a contextvar: ``request_id()``; the audit trail stores it too).

Content-Security-Policy, by kind of answer:
- the web app (any ``text/html`` answer but /docs): scripts only from this origin plus the hashes
  of the inline scripts of the built ``index.html`` (computed at start-up), styles from this origin
  (React sets ``style=`` through the CSSOM, which CSP allows), fetches to this origin only;
- /docs and /redoc: Swagger UI and Redoc from files installed with the package (``DOCS_ASSETS``, served
  under /docs/assets: no CDN, so they work offline) and the hash of the page's own inline script, set by
  the docs routes themselves; Redoc also needs inline styles (styled-components) and a blob: worker;
- everything else (JSON, files): ``default-src 'none'`` — nothing in an API answer may run.
"""

import base64
import hashlib
import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse

from jisr.core.logging import redact

access_log = logging.getLogger("jisr.access")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when short and plain (it is echoed in a header and written to logs).
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_ASSETS_PATH = "/docs/assets"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


@dataclass
class RequestContext:
    id: str
    language: str = "fr"  # from Accept-Language: the language of server-written sentences (core.notes)


_current: ContextVar[RequestContext | None] = ContextVar("jisr_request", default=None)


def request_id() -> str | None:
    """The id of the request being served (from a valid incoming X-Request-ID, else generated)."""
    ctx = _current.get()
    return ctx.id if ctx else None


LANGUAGES = ("fr", "en", "ar")


def accept_language(header: str | None) -> str:
    """The first of ``Accept-Language``'s languages (by q-value, then order) that Jisr speaks, else French."""
    best: tuple[float, str] | None = None
    for part in (header or "").split(","):
        tag, _, rest = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0].split("_")[0]
        q = 1.0
        for p in rest.split(";"):
            name, _, value = p.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if base in LANGUAGES and q > 0 and (best is None or q > best[0]):
            best = (q, base)
    return best[1] if best else "fr"


def request_language() -> str:
    """fr, en or ar: the request's ``Accept-Language`` (French outside a request or by default)."""
    ctx = _current.get()
    return ctx.language if ctx else "fr"


# --- Content-Security-Policy -----------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of the inline scripts of a trusted HTML document."""
    hashes = []
    for m in _INLINE_SCRIPT.finditer(html):
        if re.search(r"\bsrc\s*=", m["attrs"], re.IGNORECASE):
            continue
        digest = base64.b64encode(hashlib.sha256(m["body"].encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return hashes


def spa_policy(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def docs_policy(script_hashes: list[str], *, redoc: bool = False) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    # Redoc styles itself with <style> elements it writes (styled-components) and searches in a blob: worker.
    styles = "'self' 'unsafe-inline'" if redoc else "'self'"
    worker = "; worker-src blob:" if redoc else ""
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self'{worker}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def docs_assets() -> dict[str, Path]:
    """Swagger UI's and Redoc's files, from the pinned ``fastapi-offline`` package (it ships them)."""
    from importlib.resources import files

    folder = Path(str(files("fastapi_offline") / "static"))
    names = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
    return {name: folder / name for name in names if (folder / name).is_file()}


def spa_policy_for(static_dir: Path | None) -> str:
    """The web app's policy, with the hashes of its index.html's inline scripts (read once: a new
    build needs a restart, as its hashed asset names do anyway)."""
    index = static_dir / "index.html" if static_dir else None
    html = index.read_text(encoding="utf-8") if index and index.is_file() else ""
    return spa_policy(inline_script_hashes(html))


def _html_with_policy(response: HTMLResponse, *, redoc: bool = False) -> HTMLResponse:
    html = bytes(response.body).decode()
    response.headers["Content-Security-Policy"] = docs_policy(inline_script_hashes(html), redoc=redoc)
    return response


def install_docs(app: FastAPI, path: str = "/docs", redoc_path: str = "/redoc") -> None:
    """/docs (Swagger UI) and /redoc (Redoc) from files installed with the package, each page with a
    policy naming this origin and the hash of its own inline script. Replaces FastAPI's docs routes
    (create the app with ``docs_url=None, redoc_url=None``)."""
    redirect = f"{path}/oauth2-redirect"
    assets = docs_assets()

    @app.get(path, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _html_with_policy(
            get_swagger_ui_html(
                openapi_url=root + (app.openapi_url or "/openapi.json"),
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon.png",
                oauth2_redirect_url=root + redirect,
                # no badge fetched from the public validator (another origin)
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(redirect, include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return _html_with_policy(get_swagger_ui_oauth2_redirect_html())

    @app.get(redoc_path, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _html_with_policy(
            get_redoc_html(
                openapi_url=root + (app.openapi_url or "/openapi.json"),
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{DOCS_ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            ),
            redoc=True,
        )

    @app.get(DOCS_ASSETS_PATH + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        file = assets.get(name)
        if file is None:
            raise StarletteHTTPException(status_code=404)
        return FileResponse(file, headers={"Cache-Control": "public, max-age=86400"})


# --- the middleware --------------------------------------------------------------------------


def _actor_from_token(headers: Headers) -> str | None:
    """The subject of a validly signed bearer token (no database read), for the access log."""
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return None
    from jisr.core.security import decode_token

    try:
        return str(decode_token(auth[7:].strip())["sub"])
    except Exception:
        return None


UNVERIFIED_CLIENT = "unverified-forwarded"


def distrust_forwarded_client(scope: dict[str, Any]) -> None:
    """With no trusted proxy configured, undo a server's own trust in X-Forwarded-For.

    Plain ``uvicorn jisr.main:app`` believes the header from 127.0.0.1 before Jisr sees the request: the
    client address then is one of the header's entries, which anyone may write. Jisr cannot recover the
    real peer, so every such request counts as one client (throttles cannot be dodged by rotating the
    header). ``jisr serve`` does not let uvicorn do this unless JISR_TRUSTED_PROXIES names the proxies.
    """
    client = scope.get("client")
    if not client:
        return
    forwarded = b",".join(v for k, v in scope.get("headers") or [] if k == b"x-forwarded-for")
    if not forwarded:
        return
    entries = {e.strip().strip("[]") for e in forwarded.decode("latin-1").split(",")}
    entries |= {e.rsplit(":", 1)[0].strip("[]") for e in entries if e.count(":") == 1 or "]:" in e}
    if str(client[0]) in entries:
        scope["client"] = (UNVERIFIED_CLIENT, 0)


class HardeningMiddleware:
    """Security headers, the request id and one access-log line per request (pure ASGI: no
    buffering, streaming answers stay streamed)."""

    def __init__(self, app: Any, *, spa_csp: str, hsts_seconds: int = 0, trusted_proxies: bool = False) -> None:
        self.app, self.spa_csp = app, spa_csp
        self.trusted_proxies = trusted_proxies
        self.common = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("X-Frame-Options", "DENY"),
            ("Permissions-Policy", PERMISSIONS_POLICY),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if hsts_seconds > 0:
            self.common.append(("Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains"))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.trusted_proxies:
            distrust_forwarded_client(scope)
        incoming = next((v for k, v in scope.get("headers") or [] if k == b"x-request-id"), b"")
        try:
            rid = incoming.decode("ascii")
        except UnicodeDecodeError:
            rid = ""
        if not _VALID_REQUEST_ID.fullmatch(rid):
            rid = uuid.uuid4().hex
        api = scope["path"].startswith("/api/")
        ctx = RequestContext(rid)
        accept = next((v for k, v in scope.get("headers") or [] if k == b"accept-language"), b"")
        if accept:
            ctx.language = accept_language(accept.decode("latin-1"))
        token = _current.set(ctx)
        start = time.perf_counter()
        status = 500

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                for name, value in self.common:
                    headers.setdefault(name, value)
                if api:
                    # API answers carry tokens, personal data and private links: no cache keeps them
                    # (RFC 6749 5.1 for the token). Nothing in the API relies on HTTP caching.
                    headers.setdefault("Cache-Control", "no-store")
                    headers.setdefault("Pragma", "no-cache")
                # A 304's headers replace the cached answer's: with no content type to go by, it keeps
                # the policy the cached answer came with (an API policy there would break the web app).
                if status != 304 and "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers["Content-Security-Policy"] = self.spa_csp if html else API_POLICY
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except BaseException:
            # The context is left set: the server's own "Exception in ASGI application" line, written
            # further up in this request's task, keeps the request id (the task ends with it).
            self._log(scope, ctx, status, start)
            raise
        self._log(scope, ctx, status, start)
        _current.reset(token)

    @staticmethod
    def _log(scope: dict[str, Any], ctx: RequestContext, status: int, start: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        path = redact(scope["path"])
        client = scope.get("client")
        access_log.info(
            "%s %s %d",
            scope["method"],
            path,
            status,
            extra={
                "method": scope["method"],
                "path": path,
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                "actor": _actor_from_token(Headers(scope=scope)),
                "client": client[0] if client else None,
            },
        )


def install(app: FastAPI, static_dir: Path | None, *, hsts_seconds: int = 0, trusted_proxies: bool = False) -> None:
    """Wrap the whole app (outside Starlette's error middleware, so 500s get the headers too)."""
    spa_csp = spa_policy_for(static_dir)
    build = app.build_middleware_stack

    def build_hardened() -> Any:
        return HardeningMiddleware(build(), spa_csp=spa_csp, hsts_seconds=hsts_seconds, trusted_proxies=trusted_proxies)

    app.build_middleware_stack = build_hardened  # type: ignore[method-assign]
