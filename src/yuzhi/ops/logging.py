"""Structured logs: one JSON object per line (``YUZHI_LOG_FORMAT=json``) carrying the request id.

The request id comes from the caller's ``X-Request-ID`` (a load balancer's, if it sets one) or is
made here; it is echoed in the response header and in every error body, so a user's report
("request 3f2a…") leads straight to the log lines of that request.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("yuzhi_request_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def accept_request_id(header: str | None) -> str:
    """The caller's id when it is short and plain (it ends up in logs), else a new random one."""
    if header and _SAFE_ID.match(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (``%(request_id)s`` in text formats)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC ISO), level, logger, message, request_id, and extras."""

    _SKIP = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"request_id", "message"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in self._SKIP and not key.startswith("_"):
                out[key] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(fmt: str = "text", level: str = "info") -> None:
    """Install one stderr handler on the root logger (idempotent) in ``text`` or ``json`` format."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_yuzhi", False):
            root.removeHandler(h)
    handler = logging.StreamHandler()
    handler._yuzhi = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())


def uvicorn_log_config(fmt: str, level: str) -> dict[str, object]:
    """A uvicorn ``log_config`` that routes its error and access logs through the same format."""
    formatter = {"()": "yuzhi.ops.logging.JsonFormatter"} if fmt == "json" else {
        "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"rid": {"()": "yuzhi.ops.logging.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["rid"]}},
        "root": {"handlers": ["main"], "level": level.upper()},
        "loggers": {"uvicorn": {"level": level.upper()}, "uvicorn.access": {"level": level.upper()}},
    }
