"""CLI help people can act on (issue 15): every command shows an example, no ``<bool>`` after flags, and
``vouchers import-bills`` takes amounts in yuan and the provider by name."""

from __future__ import annotations

import click
import typer
from typer.testing import CliRunner


def _commands() -> list[list[str]]:
    from yuzhi.cli import app

    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(cmd: click.Command, path: list[str], ctx: click.Context) -> None:
        if hasattr(cmd, "list_commands"):  # a group (Typer's groups are not click.Group subclasses)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name], click.Context(sub, parent=ctx, info_name=name))
        else:
            found.append(path)

    walk(root, [], click.Context(root, info_name="yuzhi"))
    return found


def test_every_command_has_an_example_and_no_bool_metavar() -> None:
    from yuzhi.cli import app
    from yuzhi.cli_help import EXAMPLES

    commands = _commands()
    assert len(commands) > 50
    missing = [" ".join(c) for c in commands if " ".join(c) not in EXAMPLES]
    assert not missing, f"commands without an example in yuzhi/cli_help.py: {missing}"
    runner = CliRunner()
    for path in commands:
        r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
        assert r.exit_code == 0, (path, r.output)
        assert "示例 Example" in r.output and f"yuzhi {' '.join(path)}" in r.output, (path, r.output)
        assert "<bool>" not in r.output, (path, r.output)
    for name, lines in EXAMPLES.items():  # an example names its own command
        assert lines[0].startswith(f"yuzhi {name}"), (name, lines[0])


def test_import_bills_in_yuan_with_the_provider_by_name(engine, db_url, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The CLI's database is the test database; the world (a provider, a unit with an effective quota)
    comes from the factories."""
    from sqlalchemy import func, select

    from tests.factories import approved_quota, code, make_world
    from yuzhi import config, db
    from yuzhi.cli import app
    from yuzhi.vouchers.models import Bill

    with db.transaction(engine) as s:
        w = make_world(s, units=1)
        approved_quota(s, w, 0, 1_000_000_00, contract="C-1")
    monkeypatch.setenv("YUZHI_DATABASE_URL", db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    try:
        bills = tmp_path / "bills.csv"
        header = "invoice_no,customer_uscc,period_start,period_end,amount_yuan\n"
        unit = code(1)
        bills.write_text(header + f"Y-1,{unit},2026-10-01,2026-10-31,\"1,000.00\"\n"
                         f"Y-2,{unit},2026-10-01,2026-10-31,1.234\n", encoding="utf-8")
        r = runner.invoke(app, ["vouchers", "import-bills", str(bills), "--provider", "国家超算郑州中心"])
        assert r.exit_code != 0 and "line 3" in str(r.exception) and "amount_yuan" in str(r.exception), r.exception
        r = runner.invoke(app, ["vouchers", "import-bills", str(bills), "--provider", "没有这个服务商"])
        assert r.exit_code != 0 and "国家超算郑州中心" in str(r.exception)  # the refusal lists the names
        with db.transaction(engine) as s:
            assert s.scalar(select(func.count()).select_from(Bill)) == 0  # nothing written
        bills.write_text(header + f"Y-1,{unit},2026-10-01,2026-10-31,\"1,000.00\"\n"
                         f"Y-2,{unit},2026-10-01,2026-10-31,0.5万\n", encoding="utf-8")
        r = runner.invoke(app, ["vouchers", "import-bills", str(bills), "--provider", code(999)])  # by USCC
        assert r.exit_code == 0, (r.output, r.exception)
        with db.transaction(engine) as s:
            assert sorted(s.scalars(select(Bill.amount_fen))) == [100_000, 500_000]
        # compute commands take the provider by name too; an unknown name lists the whitelist
        r = runner.invoke(app, ["compute", "rate-card", "list", "国家超算郑州中心"])
        assert r.exit_code == 0, (r.output, r.exception)
        r = runner.invoke(app, ["compute", "rate-card", "list", "没有这个服务商"])
        assert r.exit_code != 0 and "国家超算郑州中心" in str(r.exception)
        r = runner.invoke(app, ["compute", "budget", str(w.unit_orgs[0]), "--yuan", "5万"])  # money in yuan
        assert r.exit_code == 0 and "budget ¥50,000.00" in r.output, (r.output, r.exception)
        r = runner.invoke(app, ["compute", "budget", str(w.unit_orgs[0]), "--yuan", "5.001"])
        assert r.exit_code != 0 and "--yuan" in str(r.exception)
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
