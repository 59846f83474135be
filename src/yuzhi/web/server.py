"""Start the platform: migrate, optionally load demo data, serve with uvicorn."""

from __future__ import annotations

from rich.console import Console

from yuzhi.config import get_settings

console = Console()


def _metrics_dir(home) -> None:
    """A fresh ``PROMETHEUS_MULTIPROC_DIR`` (per port would be nicer; one server per home is the rule)."""
    import os
    import shutil

    path = home / "run" / f"metrics-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def check_schema(url: str, *, upgrade: bool) -> None:
    """Refuse to serve a database this code cannot run on; upgrade an older one only when asked.

    Empty → run ``yuzhi init``; newer than the code → refused (nothing touched); older → refused
    with the upgrade command, or upgraded with ``--upgrade``.
    """
    from yuzhi.db import make_engine, migrate
    from yuzhi.errors import Conflict
    from yuzhi.ops.schema import SchemaStatus, refuse_if_ahead, schema_state

    engine = make_engine(url)
    try:
        state = schema_state(engine)
    finally:
        engine.dispose()
    refuse_if_ahead(state)
    if state.status == SchemaStatus.EMPTY:
        raise Conflict("the database is empty (no schema, no administrator); nothing was started",
                       field="database", fix="run yuzhi init --admin NAME first (or yuzhi demo to try it out)")
    if state.status == SchemaStatus.BEHIND:
        if not upgrade:
            raise Conflict(f"the database schema is older than this yuzhi ({state.describe()}); nothing was "
                           "started", field="database",
                           fix="back it up (yuzhi backup --out FILE), then run yuzhi db upgrade, "
                           "or start with yuzhi serve --upgrade")
        migrate(url)
        console.print(f"database upgraded to {', '.join(state.heads)}")


def run(*, host: str | None, port: int | None, demo: bool, reset: bool = False, serve: bool = True,
        workers: int = 1, upgrade: bool = False) -> None:
    settings = get_settings()
    url = settings.database_url
    from yuzhi.ops.logging import configure, uvicorn_log_config

    configure(settings.log_format, settings.log_level)
    if reset and url.startswith("sqlite:///"):
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(url.split("///", 1)[1] + suffix).unlink(missing_ok=True)
    from yuzhi.db import get_engine, migrate

    if demo:
        from yuzhi.db import make_engine
        from yuzhi.ops.schema import refuse_if_ahead, schema_state

        probe = make_engine(url)
        try:
            refuse_if_ahead(schema_state(probe))
        finally:
            probe.dispose()
        migrate(url)
    else:
        check_schema(url, upgrade=upgrade)
    from yuzhi.db import import_all_models

    import_all_models()  # every mapper known before the dispatcher thread runs its first query
    if demo:
        from yuzhi.demo import load_demo

        logins = load_demo(get_engine(url))
        console.print("[bold]Demo logins[/] (password for all: [green]demo-pass-2026[/])")
        for role, username in logins:
            console.print(f"  {role:<28} {username}")
    if not serve:
        return
    import uvicorn

    from yuzhi.compute.worker import start_in_thread
    from yuzhi.web.app import create_app

    h, p = host or settings.host, port or settings.port
    from yuzhi.ops.leader import Leader
    from yuzhi.ops.web import DISPATCHER

    # dispatches and meters compute jobs in-process; of all processes on the database one leads
    leader = Leader(get_engine(url), "dispatcher") if settings.dispatcher else None
    DISPATCHER["leader"] = leader
    _thread, stop = start_in_thread(get_engine(url), leader=leader) if leader is not None else (None, None)
    log_config = uvicorn_log_config(settings.log_format, settings.log_level)
    stop_anchoring = None
    if settings.audit_anchor_seconds > 0:  # signed checkpoints of the audit heads, outside the database
        from yuzhi.audit.service import start_anchoring

        # one anchoring process among all serve processes and hosts on this database (leader lock)
        _anchor_thread, stop_anchoring = start_anchoring(get_engine(url), every_s=settings.audit_anchor_seconds,
                                                         leader=Leader(get_engine(url), "audit-anchor"))
    from yuzhi.ops import periodic

    stop_periodic = periodic.start(get_engine(url), periodic.serve_jobs(settings))  # each once, leader-run
    console.print(f"yuzhi serving on [link]http://{h}:{p}[/] — API docs at http://{h}:{p}/docs")
    try:
        if workers > 1:  # each worker process builds its own app and engine from the same settings
            _metrics_dir(settings.home)  # workers' metrics files, summed at each scrape
            uvicorn.run("yuzhi.ops.runtime:create_served_app", factory=True, host=h, port=p, workers=workers,
                        log_level=settings.log_level, log_config=log_config)
        else:
            from yuzhi.ops.runtime import freeze_heap, warm_forecasts

            served = create_app(get_engine(url))
            freeze_heap()  # start-up objects out of the collector's full passes (short pauses)
            warm_forecasts(served.state.engine)  # no dashboard view computes the day's forecast itself
            uvicorn.run(served, host=h, port=p, log_level=settings.log_level, log_config=log_config)
    finally:
        if stop is not None:
            stop.set()
        if stop_anchoring is not None:
            stop_anchoring()
        stop_periodic()
