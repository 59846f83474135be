"""Help that people can act on: an example under every command's ``--help``, and no ``<bool>`` after flags.

The examples live in one table so a reviewer sees them together and a test
(``tests/web/test_cli_help.py``) can check that every command has one; :func:`install` puts each into its
command's epilog when ``yuzhi`` mounts the domains. Money on the command line is yuan (``--amount 1,234.56``
or ``50万``) wherever a person types it; fen stays the API's unit.
"""

from __future__ import annotations

from typing import Any

#: command path → one or more example lines (shell), shown as "示例 Example" under --help
EXAMPLES: dict[str, list[str]] = {
    "version": ["yuzhi version"],
    "init": ["yuzhi init --admin office --password-file /run/secrets/admin-password"],
    "backup": ["yuzhi backup --out /srv/backups/yuzhi-2026-12-04.tar.gz"],
    "restore": ["yuzhi restore /srv/backups/yuzhi-2026-12-04.tar.gz"],
    "serve": ["yuzhi serve --host 0.0.0.0 --port 8000 --workers 4"],
    "demo": ["yuzhi demo --reset        # then open http://127.0.0.1:8000 and log in as office / demo-pass-2026"],
    "db upgrade": ["yuzhi db upgrade"],
    "db current": ["yuzhi db current || echo 'run: yuzhi db upgrade'"],
    "audit verify": ["yuzhi audit verify"],
    "audit anchor": ["yuzhi audit anchor --force"],
    "audit adopt-ledger": ["yuzhi audit adopt-ledger   # once, after upgrading from a version without ledger digests"],
    "audit rotate-key": ["yuzhi audit rotate-key"],
    "audit export-anchors": ["yuzhi audit export-anchors anchors-2026.jsonl"],
    "accounts token-policy": ["yuzhi accounts token-policy --max-days 90"],
    "accounts tokens list": ["yuzhi accounts tokens list --user sc-zhengzhou"],
    "accounts tokens revoke": ["yuzhi accounts tokens revoke 12"],
    "providers list": ["yuzhi providers list"],
    "providers whitelist": ["yuzhi providers whitelist --org-id 13 --name 国家超算郑州中心 "
                            "--criterion national_supercomputing --valid-from 2026-01-01 --valid-to 2026-12-31"],
    "providers suspend": ["yuzhi providers suspend 1 --reason '资质到期 qualification expired'"],
    "providers resume": ["yuzhi providers resume 1"],
    "ledger check": ["yuzhi ledger check"],
    "compute connect": ["yuzhi compute connect 1 --kind local",
                        "yuzhi compute connect 2 --kind slurm --config '{\"partition\": \"gpu\"}'"],
    "compute capacity": ["yuzhi compute capacity 1 --nodes 4 --cores 64 --gpus 8 --memory-gb 512"],
    "compute budget": ["yuzhi compute budget 3 --yuan 5万     # or in fen: yuzhi compute budget 3 5000000"],
    "compute register-app": ["yuzhi compute register-app fem 'python -m fem.solve' --description 'FEM solver'"],
    "compute upload": ["yuzhi compute upload images.zip --as yutong"],
    "compute submit": ["yuzhi compute submit --as yutong --kind inspect.train --input images.zip --cpus 8"],
    "compute jobs": ["yuzhi compute jobs --as yutong --status running"],
    "compute show": ["yuzhi compute show 42 --as yutong"],
    "compute log": ["yuzhi compute log 42 --as yutong"],
    "compute cancel": ["yuzhi compute cancel 42 --as yutong"],
    "compute worker": ["yuzhi compute worker --interval 2"],
    "compute rebill": ["yuzhi compute rebill"],
    "compute statement": ["yuzhi compute statement 国家超算郑州中心 --year 2026"],
    "compute rate-card add": ["yuzhi compute rate-card add 1 --core-hour-fen 10 --gpu-hour-fen 800 "
                              "--valid-from 2026-01-01"],
    "compute rate-card list": ["yuzhi compute rate-card list 国家超算郑州中心   # name, USCC or id"],
    "compute rate-card end": ["yuzhi compute rate-card end 1 3 --valid-to 2026-12-31"],
    "compute invoice": ["yuzhi compute invoice --provider 国家超算郑州中心 --month 2026-11"],
    "compute accounts sync": ["yuzhi compute accounts sync --provider 国家超算郑州中心"],
    "compute accounts list": ["yuzhi compute accounts list --provider 国家超算郑州中心"],
    "compute reconcile": ["yuzhi compute reconcile --provider 国家超算郑州中心 --month 2026-11 --xlsx nov.xlsx"],
    "vouchers programmes": ["yuzhi vouchers programmes"],
    "vouchers import-bills": ["yuzhi vouchers import-bills bills-2026-11.csv --provider-id 1",
                              "(columns: invoice_no, org_uscc, period_start, period_end, amount_yuan — or amount_fen)"],
    "vouchers settle": ["yuzhi vouchers settle 2026 --out settlement-2026.xlsx"],
    "vouchers close-year": ["yuzhi vouchers close-year 2025 --yes"],
    "vouchers repay": ["yuzhi vouchers repay 2026 --payee-id 3 --amount 1,200.00 --ref BANK-2026-0042"],
    "vouchers position": ["yuzhi vouchers position 2026 --payee-id 3"],
    "vouchers simulate": ["yuzhi vouchers simulate --year 2026 --rules rate15.toml --out report.xlsx"],
    "awards check": ["yuzhi awards check"],
    "awards disclosure": ["yuzhi awards disclosure --year 2026"],
    "awards models": ["yuzhi awards models --status approved"],
    "kpi path": ["yuzhi kpi path --actual 2025=950"],
    "kpi template": ["yuzhi kpi template report-2026.xlsx"],
    "kpi check-file": ["yuzhi kpi check-file report-2026-q3.xlsx"],
    "kpi dashboard": ["yuzhi kpi dashboard --year 2026 --xlsx kpi-2026.xlsx"],
    "inspect train": ["yuzhi inspect train photos/good --out models/tile"],
    "inspect run": ["yuzhi inspect run models/tile photos/today --out report/"],
    "inspect eval": ["yuzhi inspect eval models/tile mvtec/hazelnut"],
    "schedule solve": ["yuzhi schedule solve plan.xlsx --objective total-tardiness --time-limit 30 "
                       "--out schedule.json"],
    "schedule check": ["yuzhi schedule check plan.xlsx schedule.json"],
    "schedule template": ["yuzhi schedule template --out plan.xlsx --example"],
    "schedule gantt": ["yuzhi schedule gantt schedule.json --instance plan.xlsx --out gantt.svg"],
    "schedule reschedule": ["yuzhi schedule reschedule schedule.json --instance plan.xlsx --at 240 "
                            "--down M2:240-360 --out replan.json"],
    "monitor fit": ["yuzhi monitor fit normal.csv --out models/mine"],
    "monitor detect": ["yuzhi monitor detect models/mine today.csv --out alarms.csv"],
    "monitor watch": ["yuzhi monitor watch today.csv --out alarms.csv"],
    "monitor presets": ["yuzhi monitor presets"],
    "monitor rules": ["yuzhi monitor rules today.csv --preset coal-mine-co --sensor co"],
    "monitor ingest": ["yuzhi monitor ingest readings.csv --org 91410400170007G7XX"],
    "monitor mqtt": ["yuzhi monitor mqtt --topic 'mine/+/readings' --org 7 --host 10.0.0.5"],
    "monitor stale-check": ["yuzhi monitor stale-check     # from cron, every minute"],
    "monitor notify": ["yuzhi monitor notify          # from cron, every minute"],
    "monitor notifications": ["yuzhi monitor notifications --alarm 12"],
    "monitor purge": ["yuzhi monitor purge           # from cron, nightly"],
    "monitor eval skab": ["yuzhi monitor eval skab ../shared/data/SKAB --baselines"],
    "monitor eval nab": ["yuzhi monitor eval nab ../shared/data/NAB --baselines"],
    "monitor sensor add": ["yuzhi monitor sensor add co --org 7 --preset coal-mine-co --name 一氧化碳"],
    "monitor sensor list": ["yuzhi monitor sensor list --org 7"],
    "monitor sensor model": ["yuzhi monitor sensor model models/mine --org 7 --name 通风机组"],
    "monitor contact add": ["yuzhi monitor contact add safety@example.cn --org 7 --name 值班员 --after-min 10"],
    "monitor contact list": ["yuzhi monitor contact list"],
    "assist index": ["yuzhi assist index laws/ --out var/kb/laws"],
    "assist search": ["yuzhi assist search var/kb/laws '受限空间作业需要哪些审批'"],
    "assist ask": ["yuzhi assist ask var/kb/laws '粉尘爆炸危险场所有哪些要求？'"],
    "assist eval": ["yuzhi assist eval var/kb/laws gold.jsonl"],
    "assist kb-create": ["yuzhi assist kb-create 本厂规程 --org 3 --description '安全操作规程'"],
    "assist kb-add": ["yuzhi assist kb-add 本厂规程 docs/规程/   # a knowledge base by name or id"],
    "assist kb-list": ["yuzhi assist kb-list"],
}


def _epilog(lines: list[str]) -> str:
    # "\b" keeps click/typer from re-wrapping the lines, so a long command stays copyable
    return "\b\n示例 Example:\n" + "\n".join(f"  {line}" for line in lines)


def _walk(typer_app: Any, prefix: str) -> None:
    for info in typer_app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        lines = EXAMPLES.get(f"{prefix}{name}")
        if lines and not info.epilog:
            info.epilog = _epilog(lines)
    for group in typer_app.registered_groups:
        name = group.name or group.typer_instance.info.name
        _walk(group.typer_instance, f"{prefix}{name} ")


def hide_flag_types() -> None:
    """Typer prints ``<bool>`` after every flag (``--help <bool>``); a flag takes no value, so show nothing."""
    from typer.core import TyperOption

    if getattr(TyperOption.display_type_rich, "_yuzhi", False):
        return
    original = TyperOption.display_type_rich

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag else original(self, ctx)

    display_type_rich._yuzhi = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


def install(typer_app: Any) -> None:
    """Examples into every command's epilog; flags without a type."""
    _walk(typer_app, "")
    hide_flag_types()
