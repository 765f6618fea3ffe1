"""One error shape: RFC 9457 problem+json, raised as AppError from services."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

log = logging.getLogger("jisr")

REQUEST_INVALID = "The request is not valid: see errors."
"""The detail of every 422 made by request validation (before the operation runs), and of no other answer."""

PROBLEM = "application/problem+json"


class ProblemItem(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemItem] | None = None
    code: str | None = Field(
        default=None,
        description="A stable name for this kind of problem (`event_closed`, `relaunch_no_open_need`…): "
        "clients translate it, with `params`, into a sentence in the reader's language.",
    )
    params: dict[str, Any] | None = Field(default=None, description="Values the sentence of `code` names.")


class AppError(Exception):
    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.code = code
        self.params = params


class Unauthorized(AppError):
    status, title = 401, "Not authenticated"


class Forbidden(AppError):
    status, title = 403, "Forbidden"


class NotFound(AppError):
    status, title = 404, "Not found"


class Conflict(AppError):
    status, title = 409, "Conflict"


class PreconditionFailed(AppError):
    status, title = 412, "Precondition failed"


class PayloadTooLarge(AppError):
    status, title = 413, "Payload too large"


class Invalid(AppError):
    status, title = 422, "Invalid input"


class TooManyRequests(AppError):
    status, title = 429, "Too many requests"


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

# PostgreSQL's answers when the database is saturated rather than the request wrong: a lock not had within
# lock_timeout, a statement cancelled by statement_timeout, no connection slot left.
_SATURATED_SQLSTATES = {"55P03", "57014", "53300"}


def saturated(exc: BaseException) -> bool:
    """Whether a database error means "busy, try again" (answered 503 + Retry-After)."""
    if isinstance(exc, SQLAlchemyTimeoutError):  # no connection from the pool in time
        return True
    if isinstance(exc, OperationalError):
        orig = exc.orig
        if getattr(orig, "sqlstate", None) in _SATURATED_SQLSTATES:
            return True
        return "database is locked" in str(orig)  # SQLite: the write lock not had within its busy timeout
    return False


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
    params: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    if code is not None:
        body["code"] = code
        body["params"] = params or {}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """The methods some API route takes on this path (the SPA mount takes any path: it does not count)."""
    allowed = []
    for method in _METHODS:
        scope = {"type": "http", "path": request.url.path, "root_path": "", "method": method, "headers": []}
        routes = (r for r in request.app.router.routes if not isinstance(r, Mount))
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_: Request, exc: AppError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            code=exc.code,
            params=exc.params,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return problem_response(422, REQUEST_INVALID, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail: str | None = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400:
            # The framework's 400s all mean "the body cannot be read" (not UTF-8, broken multipart):
            # invalid input, which this API answers with 422 everywhere.
            msg = detail or "cannot be read"
            return problem_response(
                422, f"The request body cannot be read: {msg}.", errors=[{"loc": ["body"], "msg": msg}]
            )
        status = exc.status_code
        if status in (404, 405):
            # Starlette names only the first route on the path in Allow (RFC 9110 wants every method), and
            # with the web app mounted at "/" a wrong method on an API path reaches the mount and comes back 404.
            allowed = _allowed_methods(request)
            if allowed and request.method not in allowed:
                status, detail = 405, None
                headers["Allow"] = ", ".join(allowed)
        return problem_response(status, detail, headers=headers or None)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return problem_response(409, "This change conflicts with existing data (a duplicate or a record still in use).")

    @app.exception_handler(DataError)
    async def data_error(_: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses although it passed validation: a NUL character in a text
        # (PostgreSQL only), a number out of the column's range. The client's input, not our fault.
        log.info("data error: %s", exc.orig)
        return problem_response(422, "A value cannot be stored as given (for example, it contains a NUL character).")

    async def busy(request: Request, exc: Exception) -> JSONResponse:
        if not saturated(exc):
            return await unexpected(request, exc)
        from jisr.core.config import get_settings

        retry = get_settings().retry_after_seconds
        log.warning(
            "database saturated, answered 503: %s %s: %s",
            request.method,
            request.url.path,
            str(getattr(exc, "orig", None) or exc).splitlines()[0],
        )
        return problem_response(
            503,
            "The database is busy; nothing was changed. Try again in a few seconds.",
            headers={"Retry-After": str(retry)},
        )

    app.add_exception_handler(OperationalError, busy)
    app.add_exception_handler(SQLAlchemyTimeoutError, busy)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "An unexpected error occurred. It has been logged.")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error codes an operation can answer."""
    ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {c: {"description": _TITLES.get(c, "Error"), "content": {PROBLEM: ref}} for c in codes}
