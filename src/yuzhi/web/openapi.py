"""The OpenAPI document and ``/docs`` as an air-gapped network needs them.

* ``/docs`` renders Swagger UI from assets served by the app itself (the ``fastapi-offline``
  PyPI package ships them; the starter script is ``/static/docs-init.js``): no request leaves
  the machine, and no inline script is needed (see ``yuzhi.web.security``).
* Every operation documents the error answers it can give, all with the one shared body
  (:class:`yuzhi.web.errors.ErrorBody`): 422 (validation; replacing FastAPI's own shape, which
  this app never sends), 400, and by what the route depends on 401/403 (authenticated routes),
  404 (a path parameter names a record), 409 (writes), 429 (login), 503 (database busy).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS = "/docs-assets"

_DESCRIPTIONS = {
    "400": "Bad request: the what / where / fix body",
    "401": "Not logged in: no, an unknown, an expired or a revoked token",
    "403": "Forbidden: this role may not do this (or the form's CSRF token is missing)",
    "404": "Not found (records of other tenants are reported as not found too)",
    "409": "Conflict with an existing record (duplicate, concurrent change)",
    "422": "Invalid input: every invalid value, with its field and fix",
    "429": "Too many requests of this kind (failed logins: wait 15 minutes; objections: see the message)",
    "503": "The database is busy or unavailable: nothing was written, retry",
}


def _assets_dir() -> Path | None:
    try:
        import fastapi_offline
    except ImportError:  # pragma: no cover - the package is a dependency
        return None
    return Path(fastapi_offline.__file__).parent / "static"


def _depends_on(route: APIRoute, name: str) -> bool:
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if getattr(dep.call, "__name__", "") == name:
            return True
        stack.extend(dep.dependencies)
    return False


def _codes(route: APIRoute) -> list[str]:
    codes = ["400", "422", "503"]
    if _depends_on(route, "current_actor"):
        codes += ["401", "403"]
    if route.dependant.path_params or any(p.name.endswith("_id") for p in route.dependant.query_params) \
            or 404 in route.responses or "404" in route.responses:
        codes.append("404")
    methods = route.methods or set()
    if methods & {"POST", "PUT", "PATCH", "DELETE"}:
        codes += ["403", "404", "409"]  # 404: a record the body names (provider, organisation, knowledge base)
    if route.path.endswith("/login"):
        codes += ["401", "429"]
    if route.path.endswith("/objections") and "POST" in methods:  # identified and rate-limited (issue 13)
        codes.append("429")
    return sorted(set(codes))


def _all_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every route (API and pages) with its full path (newer FastAPI keeps included routers nested)."""
    from fastapi import routing

    if not hasattr(routing, "iter_route_contexts"):
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    return [(ctx.path_format or ctx.original_route.path, ctx.original_route)
            for ctx in routing.iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute)]


_api_routes = _all_routes


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    from yuzhi.web.errors import ErrorBody

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    defs = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in defs.pop("$defs", {}).items():
        components[name] = sub
    components["ErrorBody"] = defs
    for obsolete in ("HTTPValidationError", "ValidationError"):
        components.pop(obsolete, None)
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    routes = {(path, m.lower()): r for path, r in _api_routes(app) for m in r.methods or ()}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            route = routes.get((path, method))
            if route is None:
                continue
            responses = op.setdefault("responses", {})
            for code in _codes(route):
                existing = responses.get(code, {})
                responses[code] = {"description": existing.get("description") or _DESCRIPTIONS[code], **ref}
    _plain_tuples(schema)
    app.openapi_schema = schema
    return schema


def _plain_tuples(node: Any) -> None:
    """``list[tuple[str, str]]`` (the KPI report's ``flags``) comes out as ``prefixItems``, which
    many OpenAPI tools and 3.0-era validators reject; describe a tuple of one type as an array of
    that type with a fixed length instead (the same JSON on the wire)."""
    if isinstance(node, dict):
        items = node.get("prefixItems")
        if isinstance(items, list) and items and all(i == items[0] for i in items):
            node.pop("prefixItems")
            node["items"] = items[0]
            node.setdefault("minItems", len(items))
            node.setdefault("maxItems", len(items))
        for value in node.values():
            _plain_tuples(value)
    elif isinstance(node, list):
        for value in node:
            _plain_tuples(value)


def install(app: FastAPI) -> None:
    """Serve the Swagger UI assets and /docs, and make ``app.openapi()`` document the errors."""
    assets = _assets_dir()
    if assets is not None:
        app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{app.title} · API</title>"
            f"<link rel=\"stylesheet\" href=\"{DOCS_ASSETS}/swagger-ui.css\">"
            f"<link rel=\"icon\" href=\"{DOCS_ASSETS}/favicon.png\"></head>"
            "<body><div id=\"swagger-ui\"></div>"
            f"<script src=\"{DOCS_ASSETS}/swagger-ui-bundle.js\"></script>"
            "<script src=\"/static/docs-init.js\"></script></body></html>")

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
