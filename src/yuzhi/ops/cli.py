"""Operator commands mounted at the top of ``yuzhi`` (``init``, ``backup``, ``restore``) and under
``yuzhi db`` (``upgrade``, ``current``). Thin: they read settings, call :mod:`yuzhi.ops`, print.

Errors are :class:`~yuzhi.errors.DomainError` so ``yuzhi`` prints them without a stack trace.
"""

from __future__ import annotations

import time

import typer
from rich.console import Console

console = Console()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    from yuzhi.db import normalise_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def init(
    admin: str = typer.Option(..., "--admin", help="Username of the first office administrator."),
    password_file: str = typer.Option(None, "--password-file",
                                      help="Read the password from the first line of this file (else a prompt)."),
    force: bool = typer.Option(False, "--force", help="Add an administrator even if one exists (audited)."),
) -> None:
    """Create the schema and the first office administrator on an empty database (production start)."""
    from yuzhi.config import get_settings
    from yuzhi.ops.bootstrap import check_new_admin, init_database, read_password_file

    if password_file:
        password = read_password_file(password_file)
    else:
        password = typer.prompt(f"Password for {admin}", hide_input=True, confirmation_prompt=True)
    check_new_admin(admin, password)
    url = get_settings().database_url
    t0 = time.perf_counter()
    result = init_database(url, username=admin, password=password, force=force)
    took = time.perf_counter() - t0
    console.print(f"[green]✓[/] office administrator [bold]{result.username}[/] created (user {result.user_id}) "
                  f"in {_safe_url(url)} ({took:.1f} s; schema was {result.schema_before})")
    if result.forced:
        console.print(f"  [yellow]--force:[/] administrators already present ({', '.join(result.existing_admins)}); "
                      "recorded as admin.init_forced in the audit log")
    console.print("  next: [bold]yuzhi serve[/], log in, then add programme years, providers and units")


def db_upgrade() -> None:
    """Apply every migration to the configured database (back it up first: ``yuzhi backup``)."""
    from yuzhi.config import get_settings
    from yuzhi.ops.schema import upgrade

    url = get_settings().database_url
    before, after = upgrade(url)
    if before.status == after.status and before.current == after.current:
        console.print(f"database is up to date: {_safe_url(url)} ({', '.join(after.current)})")
    else:
        # parentheses, not brackets: rich would read "[accounts_0002, …]" as markup and print nothing
        console.print(f"[green]✓[/] upgraded {_safe_url(url)}: ({', '.join(before.current) or 'empty'}) → "
                      f"({', '.join(after.current)})")


def db_current() -> None:
    """Show the database's migration revisions against this code's (exit 1 unless at head)."""
    from yuzhi.config import get_settings
    from yuzhi.db import make_engine
    from yuzhi.ops.schema import SchemaStatus, schema_state

    url = get_settings().database_url
    engine = make_engine(url)
    try:
        state = schema_state(engine)
    finally:
        engine.dispose()
    console.print(f"{_safe_url(url)}")
    console.print(f"  database: {', '.join(state.current) or '(empty)'}")
    console.print(f"  code:     {', '.join(state.heads)}")
    hint = {SchemaStatus.EMPTY: "empty: run yuzhi init --admin NAME",
            SchemaStatus.BEHIND: "behind: back up (yuzhi backup), then run yuzhi db upgrade",
            SchemaStatus.CURRENT: "at head",
            SchemaStatus.AHEAD: "ahead: written by a newer yuzhi; run that version"}[state.status]
    console.print(f"  status:   {hint}")
    if state.status != SchemaStatus.CURRENT:
        raise typer.Exit(1)


def backup(
    out: str = typer.Option(..., "--out", help="File to write (a .tar.gz; never overwritten)."),
) -> None:
    """Snapshot the database and the files under YUZHI_HOME into one file with a manifest and checksums."""
    from pathlib import Path

    from yuzhi.config import get_settings
    from yuzhi.ops.backup import backup as run_backup

    s = get_settings()
    result = run_backup(s.database_url, s.home, Path(out))
    m = result.manifest
    console.print(f"[green]✓[/] backup {result.path} ({result.bytes / 1e6:.1f} MB, {len(m.entries)} files, "
                  f"{m.dialect} at {', '.join(m.revisions)}) in {result.seconds:.1f} s")
    console.print("  it holds password hashes and keys: store it like them; restore with yuzhi restore FILE")


def restore(
    file: str = typer.Argument(..., help="A file written by yuzhi backup --out."),
) -> None:
    """Restore a backup into an empty YUZHI_HOME and an empty database (a non-empty target is refused)."""
    from pathlib import Path

    from yuzhi.config import get_settings
    from yuzhi.ops.backup import restore as run_restore

    s = get_settings()
    result = run_restore(s.database_url, s.home, Path(file))
    m = result.manifest
    console.print(f"[green]✓[/] restored the backup of {m.created_at} ({m.dialect}, {result.files} home files) "
                  f"into {_safe_url(s.database_url)} in {result.seconds:.1f} s")
    console.print("  next: yuzhi ledger check, yuzhi audit verify, then yuzhi serve")


def register(app: typer.Typer, db_app: typer.Typer) -> None:
    """Mount the operator commands (called once from :mod:`yuzhi.cli`)."""
    app.command("init")(init)
    app.command("backup")(backup)
    app.command("restore")(restore)
    db_app.command("upgrade")(db_upgrade)
    db_app.command("current")(db_current)
