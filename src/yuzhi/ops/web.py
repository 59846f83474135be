"""HTTP side of operations: ``/healthz``, ``/readyz``, ``/metrics`` and the request-id/metrics
middleware. Installed by :func:`yuzhi.web.app.create_app` through :func:`install`.

``/healthz`` and ``/readyz`` need no login (load balancers and systemd probe them). ``/metrics``
answers an office account's token, or a direct request from this host (loopback, and not relayed
by a proxy: a request that carries ``X-Forwarded-For`` came from outside).
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from yuzhi.errors import Forbidden
from yuzhi.ops.logging import accept_request_id, request_id_var

log = logging.getLogger("yuzhi.web")
router = APIRouter(tags=["operations"])

#: Set by ``yuzhi serve`` in the process that runs the dispatcher thread (None elsewhere).
DISPATCHER: dict[str, object] = {"leader": None}
_LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}


@router.get("/healthz", include_in_schema=True)
def healthz() -> dict[str, str]:
    """The process is alive and answering (no database access)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: database reachable, schema at the code's head; dispatcher state for information."""
    from yuzhi.ops.leader import leader_elsewhere
    from yuzhi.ops.schema import SchemaStatus, schema_state

    engine = request.app.state.engine
    checks: dict[str, object] = {}
    ready = True
    try:
        t0 = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.rollback()
        checks["database"] = {"ok": True, "ms": round((time.perf_counter() - t0) * 1000, 1)}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    try:
        state = schema_state(engine)
        ok = state.status == SchemaStatus.CURRENT
        checks["migrations"] = {"ok": ok, "status": state.status.value, "current": list(state.current)}
        ready = ready and ok
    except Exception as exc:
        checks["migrations"] = {"ok": False, "error": type(exc).__name__}
        ready = False
    leader = DISPATCHER.get("leader")
    try:
        held = leader_elsewhere(engine)
    except Exception:
        held = None
    checks["dispatcher"] = {
        "here": bool(getattr(leader, "is_leader", False)),
        "running_somewhere": held,
        "state": "leader in this process" if getattr(leader, "is_leader", False)
        else ("leader elsewhere" if held else ("none running" if held is False else "unknown")),
    }
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


def _local(request: Request) -> bool:
    host = request.client.host if request.client else ""
    relayed = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    return host in _LOOPBACK and not relayed


@router.get("/metrics", include_in_schema=True)
def metrics(request: Request) -> Response:
    """Prometheus text format. Needs an office account's token unless asked from this host directly."""
    from yuzhi.ops.metrics import render

    if not _local(request):
        from yuzhi.web.deps import optional_actor

        actor = optional_actor(request)
        if actor is None or not actor.is_office:
            raise Forbidden("metrics need a programme-office token, or a request from this host",
                            field="Authorization", fix="send 'Authorization: Bearer <office token>' "
                            "(yuzhi accounts token) or scrape from the host itself")
    body, ctype = render(request.app.state.engine)
    return Response(content=body, media_type=ctype)


def _with_request_id(body: bytes, rid: str) -> bytes:
    """Add ``request_id`` to an error body's ``detail`` object (left as is when it is not one)."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and isinstance(data.get("detail"), dict):
        data["detail"]["request_id"] = rid
    elif isinstance(data, dict):
        data["request_id"] = rid
    else:
        return body
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class RequestContextMiddleware:
    """Pure ASGI: request id in, request id out (header), metrics by route template, a JSON 500
    carrying the request id when something unexpected escapes (the trace goes to the log only)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from yuzhi.ops.metrics import LATENCY, REQUESTS

        headers = dict(scope.get("headers") or [])
        rid = accept_request_id(headers.get(b"x-request-id", b"").decode("latin-1") or None)
        token = request_id_var.set(rid)
        status = {"code": 500, "started": False}
        t0 = time.perf_counter()

        held: dict[str, object] = {}  # a JSON error answer, held back to add the request id to its body

        async def _send(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if message["status"] >= 400 and ctype.startswith(b"application/json"):
                    held["start"], held["body"] = message, b""
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                held["body"] = held["body"] + message.get("body", b"")
                if message.get("more_body"):
                    return
                start, body = held.pop("start"), _with_request_id(held.pop("body"), rid)  # type: ignore[arg-type]
                start["headers"] = [(k, v) for k, v in start["headers"]  # type: ignore[index]
                                    if k.lower() != b"content-length"] + [(b"content-length", str(len(body)).encode())]
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if status["started"]:
                raise
            body = JSONResponse(status_code=500, content={"detail": {
                "code": "internal_error", "message": "an unexpected error occurred; nothing was written",
                "field": None, "fix": f"retry; if it persists, report request id {rid}", "request_id": rid}})
            await body(scope, receive, _send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope.get("path", "").startswith("/static")
                                                         else "unmatched")
            method = scope.get("method", "GET")
            REQUESTS.labels(method, template, str(status["code"])).inc()
            LATENCY.labels(method, template).observe(time.perf_counter() - t0)
            request_id_var.reset(token)


def install(app: FastAPI) -> None:
    """Add the operations routes and middleware to the app."""
    import yuzhi.vouchers.service  # noqa: F401 - first: bills and service import each other in this order
    from yuzhi.ops.metrics import observe_bill_batch
    from yuzhi.vouchers.desk import BATCH_OBSERVERS

    app.include_router(router)
    app.add_middleware(RequestContextMiddleware)
    if observe_bill_batch not in BATCH_OBSERVERS:
        BATCH_OBSERVERS.append(observe_bill_batch)
