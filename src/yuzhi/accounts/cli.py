"""``yuzhi accounts``: API tokens and login sessions (list, revoke) and the office's token lifetime.

Run on the server by an operator: it acts as the programme office (``system``), so it sees and
revokes every user's tokens, and every change is audited.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Users' API tokens and sessions.", no_args_is_help=True)
tokens_app = typer.Typer(help="List and revoke API tokens and browser sessions.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


def _bj(value) -> str:  # type: ignore[no-untyped-def]
    """A UTC time in Beijing time, minutes precision."""
    from yuzhi.fmt import local_time  # the display zone (YUZHI_TIMEZONE, 北京时间), to the minute

    return local_time(value)


@tokens_app.command("list")
def list_tokens(
    user: str = typer.Option(None, help="only this username's tokens"),
    revoked: bool = typer.Option(False, help="include revoked and expired tokens"),
) -> None:
    """Every live token: id, owner, name, kind, created, expires and last use (Beijing time)."""
    from yuzhi.accounts import service
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction

    with transaction(get_engine()) as s:
        rows = service.list_tokens(s, actor=SYSTEM, everyone=True, include_revoked=revoked)
        t = Table("id", "user", "name", "kind", "prefix", "created", "expires", "last used", "revoked",
                  title="API tokens and sessions (Beijing time)")
        shown = 0
        for tok, username in rows:
            if user and username != user:
                continue
            shown += 1
            t.add_row(str(tok.id), username, tok.name, "session" if tok.session else "api", tok.prefix,
                      _bj(tok.created_at), _bj(tok.expires_at), _bj(tok.last_used_at), "yes" if tok.revoked else "")
    Console(width=200).print(t)
    typer.echo(f"{shown} token(s)")


@tokens_app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="the id shown by `yuzhi accounts tokens list`")) -> None:
    """Revoke a token at once (audited); the program or browser using it gets 401 from then on."""
    from yuzhi.accounts import service
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction

    with transaction(get_engine()) as s:
        tok = service.revoke_token_id(s, actor=SYSTEM, token_id=token_id)
        typer.echo(f"token {tok.id} ({tok.name}, {tok.prefix}…) is revoked")


@app.command("token-policy")
def token_policy(max_days: int = typer.Option(None, help="set the longest life of an API token (days)")) -> None:
    """Show, or set, the longest life of an API token. Lowering it shortens tokens already issued."""
    from yuzhi.accounts import service
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction

    with transaction(get_engine()) as s:
        if max_days is not None:
            n = service.set_token_max_days(s, actor=SYSTEM, days=max_days)
            typer.echo(f"API tokens now live at most {max_days} days; {n} token(s) shortened")
        else:
            typer.echo(f"API tokens live at most {service.token_max_days(s)} days")
