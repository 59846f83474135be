"""The ``yuzhi`` command. This file only mounts each domain's Typer sub-app and the few
platform-wide commands (``serve``, ``demo``, ``db``); the work happens in the domains.

Domain CLIs import heavy libraries (torch, OR-Tools) inside their commands, so ``yuzhi --help``
stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from yuzhi import DOMAINS, __version__
from yuzhi.errors import DomainError

app = typer.Typer(
    name="yuzhi",
    help="豫智 yuzhi — compute vouchers, compute network and factory AI services for Henan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
err = Console(stderr=True)


@app.command()
def version() -> None:
    """Print the yuzhi version."""
    typer.echo(__version__)


def _mount_ops() -> None:
    """``init``, ``backup``, ``restore``, ``db upgrade``, ``db current`` (see ``yuzhi.ops.cli``)."""
    from yuzhi.ops.cli import register

    register(app, db_app)


_mount_ops()


def _safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to bind (default YUZHI_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default YUZHI_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Web worker processes (use one per CPU core in production)."),
    upgrade: bool = typer.Option(False, "--upgrade", help="Upgrade an older database schema before serving."),
) -> None:
    """Serve the web UI and REST API (no demo data). Start a new database with ``yuzhi init`` first."""
    from yuzhi.web.server import run

    run(host=host, port=port, demo=False, workers=workers, upgrade=upgrade)


@app.command()
def demo(
    host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
    reset: bool = typer.Option(False, help="Delete the embedded demo database first."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Load demo data and exit."),
) -> None:
    """Migrate, load realistic demo data (idempotent), print one login per role, and serve."""
    from yuzhi.web.server import run

    run(host=host, port=port, demo=True, reset=reset, serve=not no_serve)


def _mount_domains() -> None:
    for name in DOMAINS:
        try:
            module = importlib.import_module(f"yuzhi.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name in (f"yuzhi.{name}", f"yuzhi.{name}.cli"):
                continue
            raise
        sub = getattr(module, "app", None)
        if sub is not None:
            app.add_typer(sub, name=name)


_mount_domains()


def _mount_help() -> None:
    """An example under every command's --help, and no ``<bool>`` after flags (see ``yuzhi.cli_help``)."""
    from yuzhi.cli_help import install

    install(app)


_mount_help()


def main() -> None:
    """Entry point: run the app and turn domain errors into a clean message and exit code 2."""
    try:
        app()
    except DomainError as exc:
        from rich.markup import escape

        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except ValueError as exc:  # a bad setting (pydantic's ValidationError is a ValueError): no stack trace
        from pydantic import ValidationError
        from rich.markup import escape

        if not (exc.title == "Settings" if isinstance(exc, ValidationError) else str(exc).startswith("YUZHI_")):
            raise
        reasons = [e.get("msg", str(e)) for e in exc.errors()] if isinstance(exc, ValidationError) else [str(exc)]
        err.print(f"[bold red]configuration error:[/] {escape('; '.join(reasons))}")
        err.print("  see docs/operations.md for every setting (environment, .env, yuzhi.toml)")
        sys.exit(2)
