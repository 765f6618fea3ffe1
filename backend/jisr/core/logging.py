"""Log format and redaction: one JSON object per line (production) or readable text (development).

Every line carries the request id of the request it belongs to (``jisr.core.http.request_id()``).
Secrets must never be logged in the first place; ``redact`` is the safety net applied to every
line that leaves the process: bearer tokens, JWTs, ``password=``/``client_secret=``-style pairs
census private links (``/census/<token>``, ``/api/v1/census/forms/<token>``) and unsubscribe links
(``/api/v1/unsubscribe/<token>``, which name the address).
"""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

REDACTED = "[redacted]"

_SECRET_KEYS = (
    r"password|passwd|new_password|client_secret|secret_key|secret|access_token|refresh_token|id_token"
    r"|token|authorization|api_key|apikey"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # An Authorization header value, wherever it turns up.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # A JWT (three base64url parts, the first one a JSON header).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # key=value / "key": "value" pairs (form bodies, query strings, reprs, JSON).
    (
        re.compile(rf"(?i)\b((?:{_SECRET_KEYS})['\"]?\s*[:=]\s*['\"]?)(?!\[redacted\])[^\s&'\",;}}\])]+"),
        rf"\1{REDACTED}",
    ),
    # Census private links: the token is the credential. The API form route, then the web app's
    # public screen (/census/<token>, one segment; staff screens are /census/campaigns/… etc.).
    (re.compile(r"(/census/forms/)[^/?#\s'\"]+"), rf"\1{REDACTED}"),
    # Unsubscribe links carry the address (signed): personal data, and a credential for the opt-out.
    (re.compile(r"(/unsubscribe/)[^/?#\s'\"]+"), rf"\1{REDACTED}"),
    (re.compile(r"(/census/)(?!campaigns\b|responses\b|forms\b)[^/?#\s'\"]+(?=$|[/?#\s'\"])"), rf"\1{REDACTED}"),
]


def redact(text: str) -> str:
    """The text with anything that looks like a credential replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# Fields the access log (and anyone else) may attach with ``extra=``; copied into JSON lines.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "actor", "client")


class RequestContextFilter(logging.Filter):
    """Stamps every record with the id of the request being served (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            from jisr.core.http import request_id

            record.request_id = request_id()
        return True


class RedactingFilter(logging.Filter):
    """Rewrites the message of a record that would carry a credential (safety net, see ``redact``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        path = getattr(record, "path", None)
        if isinstance(path, str):
            record.path = redact(path)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, message, request_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for key in EXTRA_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for development: time, level, logger, [request id], message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact(super().format(record))


def log_config(fmt: Literal["json", "text"], level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the app and uvicorn (``jisr serve`` passes it to uvicorn,
    which applies it in every worker). uvicorn's own access log is left off: the app writes a
    richer one (``jisr.access``: duration, request id, actor)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "jisr.core.logging.RequestContextFilter"},
            "redact": {"()": "jisr.core.logging.RedactingFilter"},
        },
        "formatters": {
            "json": {"()": "jisr.core.logging.JsonFormatter"},
            "text": {"()": "jisr.core.logging.TextFormatter"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                "filters": ["context", "redact"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "jisr": {"level": level},
        },
        "root": {"handlers": ["default"], "level": "WARNING" if level in ("DEBUG", "INFO") else level},
    }
