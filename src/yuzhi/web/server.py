"""Start the platform: migrate, optionally load demo data, serve with uvicorn."""

from __future__ import annotations

from rich.console import Console

from yuzhi.config import get_settings

console = Console()


def run(*, host: str | None, port: int | None, demo: bool, reset: bool = False, serve: bool = True,
        workers: int = 1) -> None:
    settings = get_settings()
    url = settings.database_url
    if reset and url.startswith("sqlite:///"):
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(url.split("///", 1)[1] + suffix).unlink(missing_ok=True)
    from yuzhi.db import get_engine, migrate

    migrate(url)
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
    _thread, stop = start_in_thread(get_engine(url))  # dispatches and meters compute jobs in-process
    console.print(f"yuzhi serving on [link]http://{h}:{p}[/] — API docs at http://{h}:{p}/docs")
    try:
        if workers > 1:  # each worker process builds its own app and engine from the same settings
            uvicorn.run("yuzhi.web.app:create_app", factory=True, host=h, port=p, workers=workers,
                        log_level="info")
        else:
            uvicorn.run(create_app(get_engine(url)), host=h, port=p, log_level="info")
    finally:
        stop.set()
