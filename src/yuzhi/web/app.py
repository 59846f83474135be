"""The FastAPI application: REST API under ``/api/<domain>``, HTML pages, static assets, OpenAPI at /docs.

Every domain's ``api.router`` and ``pages.router`` are included automatically (see ``yuzhi.DOMAINS``);
a pages module may declare ``NAV = [(label, href, who)]`` (who: public / any / office) for the menu.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from yuzhi import DOMAINS, __version__
from yuzhi.db import get_engine, import_all_models, session_factory
from yuzhi.web import errors


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


def create_app(engine: Engine | None = None) -> FastAPI:
    import_all_models()
    app = FastAPI(
        title="豫智 yuzhi API",
        version=__version__,
        description="Compute vouchers (算力券), compute network, and factory AI services for Henan. "
        "Money is integer fen (1 yuan = 100 fen). Authenticate with `Authorization: Bearer <token>`.",
        docs_url=None,  # served offline by yuzhi.web.openapi
        redoc_url=None,
    )
    app.state.engine = engine or get_engine()
    app.state.sessionmaker = session_factory(app.state.engine)
    errors.install(app)
    from yuzhi.ops.web import install as install_ops

    install_ops(app)  # /healthz, /readyz, /metrics; request ids and metrics on every request
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    from yuzhi.web import pages as core_pages

    app.include_router(core_pages.router)
    nav: list[tuple[str, str, str]] = list(core_pages.NAV)
    for name in DOMAINS:
        api = _optional(f"yuzhi.{name}.api")
        if api is not None and hasattr(api, "router"):
            app.include_router(api.router)
        pages = _optional(f"yuzhi.{name}.pages")
        if pages is not None and hasattr(pages, "router"):
            app.include_router(pages.router)
            nav += list(getattr(pages, "NAV", []))
    app.state.nav = nav
    from yuzhi.web import openapi
    from yuzhi.web.security import SecurityMiddleware

    openapi.install(app)  # /docs without a CDN; every route's error answers in the schema
    app.add_middleware(SecurityMiddleware)  # CSRF tokens on every form, CSP and other headers
    return app
