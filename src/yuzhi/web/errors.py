"""One place that maps domain errors to HTTP: a specific status, the field and the fix, no traces."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from yuzhi.errors import DomainError

log = logging.getLogger("yuzhi.web")


class ErrorItem(BaseModel):
    """One invalid value of a request (422 bodies list every one found)."""

    field: str | None = Field(description="dotted path of the value, e.g. `lines.0.amount_fen`")
    message: str
    fix: str | None = None
    type: str = Field(default="", description="machine-readable kind of the problem")


class ErrorDetail(BaseModel):
    """What is wrong, where, and how to fix it: the same shape for every 4xx/5xx answer."""

    code: str = Field(description="e.g. invalid_request, invalid_input, not_found, forbidden, conflict")
    message: str
    field: str | None = None
    fix: str | None = None
    errors: list[ErrorItem] | None = Field(default=None, description="every invalid value (validation errors)")


class ErrorBody(BaseModel):
    """The body of every error response: ``{"detail": {code, message, field, fix}}``."""

    detail: ErrorDetail

_FIXES = {
    "json_invalid": "send a valid JSON body (check quotes, commas and brackets)",
    "missing": "add this field",
    "extra_forbidden": "remove this field; it is not part of the schema (see /docs)",
    "int_parsing": "send a whole number",
    "int_type": "send a whole number (money is integer fen: 1 yuan = 100 fen)",
    "greater_than": "send a positive number",
    "date_from_datetime_parsing": "use an ISO date like 2026-03-31",
    "date_parsing": "use an ISO date like 2026-03-31",
    "string_pattern_mismatch": "use only letters, digits and - _ . /",
    "less_than_equal": "send a smaller value (the bound is in the message)",
    "greater_than_equal": "send a larger value (the bound is in the message)",
    "less_than": "send a smaller value (the bound is in the message)",
    "int_from_float": "send a whole number without a fraction",
    "finite_number": "send a finite number (not nan or inf)",
    "date_type": "use an ISO date like 2026-03-31",
    "value_error": "correct this value as the message says",
    "string_too_long": "send a shorter text (the limit is in the message)",
    "enum": "use one of the values listed in the message",
    "literal_error": "use one of the values listed in the message",
}


#: Absolute server paths in a message (temporary uploads, the data home, the code): shown by their last
#: part only, so an error never tells a client how the server's disk is laid out.
_SERVER_PATH = re.compile(r"(?:/tmp|/var|/home|/opt|/srv|/usr|/work|/data|/root|/etc|/mnt|/run|/private)"
                          r"(?:/[^\s'\"()\[\],;:]+)+")


def scrub_paths(text: str | None) -> str | None:
    """``text`` with every absolute server path replaced by its file name."""
    if not text:
        return text
    return _SERVER_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def _validation_body(exc: RequestValidationError | ValidationError) -> dict[str, object]:
    errors = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        etype = e.get("type", "")
        errors.append({"field": ".".join(loc) or None, "message": e.get("msg", "invalid"),
                       "fix": _FIXES.get(etype, "correct this value (see the schema at /docs)"), "type": etype})
    first = errors[0] if errors else {"field": None, "message": "invalid request", "fix": None}
    return {"detail": {"code": "invalid_request", "message": first["message"], "field": first["field"],
                       "fix": first["fix"], "errors": errors}}


def install(app: FastAPI) -> None:
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from yuzhi.web import pages  # a browser on a page path gets the zh/en HTML page, programs JSON

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if pages.wants_html(request):
            return await run_in_threadpool(pages.error_page, request, exc.status_code)
        return await http_exception_handler(request, exc)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        if pages.wants_html(request):
            return await run_in_threadpool(pages.error_page, request, exc.status_code, exc)
        body = {k: scrub_paths(v) for k, v in exc.to_dict().items()}
        return JSONResponse(status_code=exc.status_code, content={"detail": body})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=_validation_body(exc))

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> JSONResponse:
        # a schema built inside an endpoint (e.g. from form fields) refused its input: the client's
        # error, answered like any request validation error, not a 500
        return JSONResponse(status_code=422, content=_validation_body(exc))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return JSONResponse(status_code=409, content={"detail": {
            "code": "conflict", "message": "the request conflicts with an existing record (duplicate or "
            "concurrent change); nothing was written", "field": None, "fix": "reload and retry"}})

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # a last line of defence: numbers are bounded at the edge (yuzhi.types); one that still
        # reaches the database driver out of range is the client's input, not a server fault
        log.warning("number out of range reached the database: %s", exc)
        return JSONResponse(status_code=422, content={"detail": {
            "code": "out_of_range", "message": "a number in the request is out of range; nothing was written",
            "field": None, "fix": "send ids of 1..2**31-1, years of 2000..2100 and amounts up to 10**15 fen"}})

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # the database refused a value (e.g. PostgreSQL "integer out of range"): same last line of defence
        log.warning("value refused by the database: %s", exc.orig)
        return JSONResponse(status_code=422, content={"detail": {
            "code": "out_of_range", "message": "a value in the request is out of range; nothing was written",
            "field": None, "fix": "send ids of 1..2**31-1, years of 2000..2100 and amounts up to 10**15 fen"}})

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database error: %s", exc.orig)
        return JSONResponse(status_code=503, content={"detail": {
            "code": "unavailable", "message": "the database is busy or unavailable; nothing was written",
            "field": None, "fix": "retry in a moment"}})
