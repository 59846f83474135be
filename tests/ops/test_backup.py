"""``yuzhi backup`` / ``yuzhi restore`` on SQLite and PostgreSQL: the restored system proves its books
and serves the same statements; a non-empty target, a corrupt or a foreign file is refused and
nothing is changed."""

from __future__ import annotations

import io
import tarfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tests.factories import approved_quota, code, make_world
from tests.ops.conftest import PG_URL, create_pg_database, drop_pg_database
from yuzhi.db import make_engine, session_factory
from yuzhi.errors import Conflict, InvalidInput

STRONG = "granite-lantern-orchard-41"


def _populate(env, tmp_path: Path) -> list[int]:  # type: ignore[no-untyped-def]
    pw = tmp_path / "pw"
    pw.write_text(STRONG)
    assert env.run("init", "--admin", "boss", "--password-file", str(pw)).exit_code == 0
    from yuzhi.vouchers import service
    from yuzhi.vouchers.schemas import BillIn

    engine = make_engine(env.url)
    with session_factory(engine)() as s, s.begin():
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 3_000_00, contract="C-1")
        approved_quota(s, w, 1, 9_000_00, contract="C-2")
        for i, (unit, amount) in enumerate([(1, 1_000_00), (2, 2_500_00), (1, 1_500_00), (2, 40_000_00)]):
            service.record_bill(s, actor=w.provider, bill_in=BillIn(
                invoice_no=f"INV-{i}", customer_uscc=code(unit), period_start=date(2026, 3, 1),
                period_end=date(2026, 3, 31), amount_fen=amount))
        orgs = list(w.unit_orgs)
    engine.dispose()
    art = env.home_dir / "artifacts" / "job-1"
    art.mkdir(parents=True)
    (art / "result.bin").write_bytes(bytes(range(256)) * 100)
    kb = env.home_dir / "assist" / "kb-1"
    kb.mkdir(parents=True)
    (kb / "条例.txt").write_text("第一条 算力券……", encoding="utf-8")
    return orgs


def _statements(url: str, orgs: list[int]) -> list[tuple]:
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.vouchers.reports import statement

    engine = make_engine(url)
    out = []
    try:
        with session_factory(engine)() as s:
            for org in orgs:
                st = statement(s, actor=SYSTEM, org_id=org, year=2026)
                out.append((st.quota_fen, st.used_fen, st.remaining_fen, st.billed_fen, st.subsidy_fen, st.owed_fen,
                            [(b.invoice_no, b.amount_fen, b.subsidy_fen, b.owed_fen) for b in st.bills]))
            s.rollback()
    finally:
        engine.dispose()
    return out


def _point_at(monkeypatch, url: str, home: Path) -> None:  # type: ignore[no-untyped-def]
    from yuzhi import config, db

    monkeypatch.setenv("YUZHI_HOME", str(home))
    monkeypatch.setenv("YUZHI_DATABASE_URL", url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


@pytest.fixture
def target(fresh_url, tmp_path):  # type: ignore[no-untyped-def]
    """A second empty database of the same kind, with its own (absent) home."""
    home = tmp_path / "restored-home"
    if fresh_url.startswith("sqlite"):
        yield f"sqlite:///{home / 'yuzhi.db'}", home
        return
    url = create_pg_database()
    try:
        yield url, home
    finally:
        drop_pg_database(url)


def test_backup_and_restore_round_trip(yuzhi_env, target, tmp_path, monkeypatch):
    orgs = _populate(yuzhi_env, tmp_path)
    before = _statements(yuzhi_env.url, orgs)
    assert before[1][4] > 0 and len(before[1][6]) == 2
    out = tmp_path / "backup.tar.gz"
    r = yuzhi_env.run("backup", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert (out.stat().st_mode & 0o777) == 0o600
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json"
    assert "home/artifacts/job-1/result.bin" in names and "home/assist/kb-1/条例.txt" in names
    r = yuzhi_env.run("backup", "--out", str(out))  # never overwrites
    assert isinstance(r.exception, Conflict)

    url, home = target
    _point_at(monkeypatch, url, home)
    r = yuzhi_env.run("restore", str(out))
    assert r.exit_code == 0, r.output
    assert _statements(url, orgs) == before
    assert (home / "artifacts" / "job-1" / "result.bin").read_bytes() == bytes(range(256)) * 100
    assert (home / "assist" / "kb-1" / "条例.txt").read_text(encoding="utf-8") == "第一条 算力券……"
    r = yuzhi_env.run("ledger", "check")
    assert r.exit_code == 0 and "books balance and reconcile" in r.output, r.output
    r = yuzhi_env.run("audit", "verify")
    assert r.exit_code == 0 and "chain intact" in r.output, r.output
    assert yuzhi_env.run("db", "current").exit_code == 0
    # the restored system is the live system now: a second restore into it is refused
    r = yuzhi_env.run("restore", str(out))
    assert isinstance(r.exception, Conflict) and "not empty" in str(r.exception)


def _target_is_untouched(url: str, home: Path) -> None:
    assert not home.exists() or not any(home.iterdir())
    if url.startswith("sqlite"):
        db = Path(url.split("///", 1)[1])
        assert not db.exists() or db.stat().st_size == 0
    else:
        engine = make_engine(url)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        engine.dispose()


def test_corrupt_truncated_and_foreign_files_are_refused(yuzhi_env, target, tmp_path, monkeypatch):
    _populate(yuzhi_env, tmp_path)
    good = tmp_path / "good.tar.gz"
    assert yuzhi_env.run("backup", "--out", str(good)).exit_code == 0, "backup failed"
    raw = good.read_bytes()

    # a member altered but still a valid archive: the checksum catches it
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(good) as src, tarfile.open(altered, "w:gz") as dst:
        for m in src:
            data = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name == "home/artifacts/job-1/result.bin":
                data = b"X" + data[1:]
            dst.addfile(m, io.BytesIO(data))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(raw[:200] + bytes([raw[200] ^ 0xFF]) + raw[201:])
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a backup at all")
    other_tar = tmp_path / "other.tar.gz"
    with tarfile.open(other_tar, "w:gz") as t:
        t.add(foreign, arcname="notes.txt")
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(good) as src, tarfile.open(evil, "w:gz") as dst:
        for m in src:
            dst.addfile(m, src.extractfile(m))
        info = tarfile.TarInfo("home/../../escape.txt")
        info.size = 3
        dst.addfile(info, io.BytesIO(b"bad"))

    url, home = target
    _point_at(monkeypatch, url, home)
    for bad, words in ((altered, "checksum"), (truncated, "not a readable"), (flipped, ""), (foreign, "not a readable"),
                       (other_tar, "no manifest"), (evil, "unsafe"), (tmp_path / "missing.tar.gz", "does not exist")):
        r = yuzhi_env.run("restore", str(bad))
        assert isinstance(r.exception, InvalidInput), (bad.name, r.output, r.exception)
        assert words in str(r.exception), (bad.name, str(r.exception))
        _target_is_untouched(url, home)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_restore_refuses_a_non_empty_target(yuzhi_env, tmp_path, monkeypatch):
    orgs = _populate(yuzhi_env, tmp_path)
    out = tmp_path / "b.tar.gz"
    assert yuzhi_env.run("backup", "--out", str(out)).exit_code == 0
    before = _statements(yuzhi_env.url, orgs)
    r = yuzhi_env.run("restore", str(out))  # onto the live system itself
    assert isinstance(r.exception, Conflict) and "not empty" in str(r.exception), r.output
    assert _statements(yuzhi_env.url, orgs) == before
    assert yuzhi_env.run("ledger", "check").exit_code == 0


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL tests need YUZHI_TEST_DATABASE_URL (the CI server)")
def test_a_sqlite_backup_is_not_restored_into_postgresql(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from yuzhi.cli import app

    _point_at(monkeypatch, f"sqlite:///{tmp_path / 'h' / 'yuzhi.db'}", tmp_path / "h")
    runner = CliRunner()
    pw = tmp_path / "pw"
    pw.write_text(STRONG)
    assert runner.invoke(app, ["init", "--admin", "boss", "--password-file", str(pw)]).exit_code == 0
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(app, ["backup", "--out", str(out)]).exit_code == 0
    url = create_pg_database()
    try:
        _point_at(monkeypatch, url, tmp_path / "h2")
        r = runner.invoke(app, ["restore", str(out)])
        assert isinstance(r.exception, InvalidInput) and "holds a sqlite database" in str(r.exception)
        _target_is_untouched(url, tmp_path / "h2")
    finally:
        drop_pg_database(url)
