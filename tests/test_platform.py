"""Platform-wide checks: migrations match the models, the CLI's demo, ledger check and audit verify."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from yuzhi.db import Base, import_all_models


def test_migrations_match_the_models(engine):
    import_all_models()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff[:5]}"


def test_demo_loads_idempotently_and_books_prove(tmp_path, monkeypatch):
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    monkeypatch.delenv("YUZHI_DATABASE_URL", raising=False)
    from yuzhi import config, db

    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    from yuzhi.cli import app

    runner = CliRunner()
    try:
        for _ in range(2):  # idempotent
            r = runner.invoke(app, ["demo", "--no-serve"])
            assert r.exit_code == 0, r.output
            assert "sc-zhengzhou" in r.output
        r = runner.invoke(app, ["ledger", "check"])
        assert r.exit_code == 0 and "books balance and reconcile" in r.output, r.output
        r = runner.invoke(app, ["audit", "verify"])
        assert r.exit_code == 0 and "chain intact" in r.output, r.output
        # tamper with one audit row: verify must fail and name it
        from sqlalchemy import text

        with db.get_engine().begin() as conn:
            conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 5"))
        r = runner.invoke(app, ["audit", "verify"])
        assert r.exit_code == 1 and "event 5" in r.output
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()


def test_bill_import_is_all_or_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    monkeypatch.delenv("YUZHI_DATABASE_URL", raising=False)
    from yuzhi import config, db

    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    from yuzhi.cli import app

    runner = CliRunner()
    try:
        assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
        from sqlalchemy import select

        from yuzhi.accounts.models import Organisation
        from yuzhi.vouchers.models import Bill

        with db.transaction() as s:
            yutong = s.scalar(select(Organisation.uscc).where(Organisation.name.like("宇通%")))
            before = len(s.scalars(select(Bill)).all())
        bad = tmp_path / "bills.csv"
        bad.write_text("invoice_no,customer_uscc,period_start,period_end,amount_fen\n"
                       f"IMP-1,{yutong},2026-10-01,2026-10-31,100000\n"
                       f"IMP-2,{yutong},2026-10-01,2026-09-30,100000\n", encoding="utf-8")
        r = runner.invoke(app, ["vouchers", "import-bills", str(bad), "--provider-id", "1"])
        assert r.exit_code != 0 and "line 3" in str(r.exception or r.output)
        with db.transaction() as s:
            assert len(s.scalars(select(Bill)).all()) == before  # nothing written
        good = tmp_path / "good.csv"
        good.write_text("invoice_no,customer_uscc,period_start,period_end,amount_fen\n"
                        f"IMP-1,{yutong},2026-10-01,2026-10-31,100000\n", encoding="utf-8")
        r = runner.invoke(app, ["vouchers", "import-bills", str(good), "--provider-id", "1"])
        assert r.exit_code == 0 and "1 bills recorded, subsidy 200.00 yuan" in r.output, r.output
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
