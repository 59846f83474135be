"""Policy simulator: a year recorded through the live services, replayed under its own rules, must give
back the books to the fen; other rules move the results the way the rules say; a simulation writes
nothing; bad rules files name the line and the key."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from tests.factories import code, make_world

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM
from yuzhi.accounts.models import OrgKind
from yuzhi.accounts.schemas import AffiliationCreate, OrgCreate, UserCreate
from yuzhi.db import Base
from yuzhi.errors import InvalidInput
from yuzhi.ledger import service as ledger
from yuzhi.providers import service as registry
from yuzhi.providers.models import Criterion
from yuzhi.providers.schemas import ProviderCreate
from yuzhi.vouchers import service
from yuzhi.vouchers import simulate as sim
from yuzhi.vouchers import simulate_service as ss
from yuzhi.vouchers.models import Bill, SettlementLine
from yuzhi.vouchers.rules import draw, draw_sequence
from yuzhi.vouchers.schemas import ApplicationCreate, BillIn, Review, SettlementCreate

UNITS = 8


def _year(session, *, mode: str = "discount", seed: int = 7):  # type: ignore[no-untyped-def]
    """A busy year through the live services: two providers, approvals cut by cap and pool and chosen
    by the reviewer, bills before and after quota, quota run dry, credit notes, a related party."""
    rng = random.Random(seed)
    w = make_world(session, units=UNITS, pool_fen=1_600_000_00, unit_cap_fen=400_000_00, mode=mode)
    porg = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(
        uscc=code(500), name="空港智算运营", kind=OrgKind.ENTERPRISE, industry="电子信息"))
    accounts.decide_org(session, actor=w.admin, org_id=porg.id, approve=True)
    kg = registry.whitelist(session, actor=w.admin, provider_in=ProviderCreate(
        org_id=porg.id, name="河南空港智算中心", criterion=Criterion.AI_COMPUTING_100PF,
        valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)))
    kg_actor = accounts.actor_for(accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
        username="kg-billing", password="test-pass-123", role="provider", provider_id=kg.id)))
    accounts.add_affiliation(session, actor=w.admin, aff_in=AffiliationCreate(
        org_a_id=min(w.unit_orgs[7], porg.id), org_b_id=max(w.unit_orgs[7], porg.id), note="related"))
    providers = [(w.provider_id, w.provider), (kg.id, kg_actor)]

    def submit(unit: int, prov: int, planned_yuan: int, contract: str) -> int:
        return service.apply(session, actor=w.units[unit], app_in=ApplicationCreate(
            year=2026, provider_id=providers[prov][0], contract_no=contract, planned_spend_fen=planned_yuan * 100)).id

    def review(app_id: int, amount: int | None = None) -> None:
        service.review(session, actor=w.reviewer, app_id=app_id, decision=Review(approve=True, amount_fen=amount))

    def apply(unit: int, prov: int, planned_yuan: int, contract: str, amount: int | None = None) -> None:
        review(submit(unit, prov, planned_yuan, contract), amount)

    n = [0]

    def bills(prov: int, rows: list[tuple[int, int]], month: int) -> None:
        items = []
        for unit, amount in rows:
            n[0] += 1
            items.append(BillIn(invoice_no=f"INV-{n[0]:05d}", customer_uscc=code(unit + 1),
                                period_start=date(2026, month, 1), period_end=date(2026, month, 28),
                                amount_fen=amount))
        service.record_bills(session, actor=providers[prov][1], bills_in=items)

    # unit 6 bills before its application is approved; units 0-5 get quota (2: the reviewer approves less; 4, 5: the
    # pool runs short), unit 0 a second contract later (cap), unit 3 with both providers
    a6 = submit(6, 0, 500_000, "A-6")
    bills(0, [(6, 300_000_00)], 1)
    apply(0, 0, 1_000_000, "A-0")
    apply(1, 0, 1_500_000, "A-1")  # 300,000 (rate share)
    apply(2, 0, 2_500_000, "A-2", amount=123_456_78)
    apply(3, 1, 900_000, "A-3k")
    bills(0, [(u, rng.randrange(10_000_00, 400_000_00)) for u in (0, 1, 2, 6) for _ in range(3)], 3)
    apply(3, 0, 600_000, "A-3s")
    apply(0, 0, 2_000_000, "A-0b")  # unit 0 reaches its cap
    bills(1, [(3, rng.randrange(50_000_00, 300_000_00)) for _ in range(4)] + [(7, 250_000_00)], 4)
    apply(4, 1, 3_000_000, "A-4")  # cap binds; the pool nearly gone
    review(a6)  # the pool binds
    bills(0, [(u, rng.randrange(1_00, 900_000_00)) for u in (0, 1, 2, 3, 6) for _ in range(4)], 6)
    bills(1, [(u, rng.randrange(1_00, 500_000_00)) for u in (3, 4, 4, 4) for _ in range(2)], 7)
    # credit notes (a partial and a second one on the same bill; one on an unsubsidised bill)
    first = session.scalar(select(Bill).where(Bill.org_id == w.unit_orgs[0], Bill.subsidy_fen > 0).order_by(Bill.id))
    for inv, amt in ((first.invoice_no, 50_000_00), (first.invoice_no, 12_345), ("INV-00001", 100_000_00)):
        orig = session.scalar(select(Bill).where(Bill.invoice_no == inv))
        n[0] += 1
        service.record_bills(session, actor=w.provider if orig.provider_id == w.provider_id else kg_actor,
                             bills_in=[BillIn(invoice_no=f"CN-{n[0]:05d}", kind="credit", original_invoice_no=inv,
                                              customer_uscc=code(w.unit_orgs.index(orig.org_id) + 1),
                                              period_start=orig.period_start, period_end=orig.period_end,
                                              amount_fen=amt)])
    bills(0, [(u, rng.randrange(1_00, 300_000_00)) for u in (0, 1, 2, 6) for _ in range(3)], 9)
    service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
    session.commit()
    return w


@pytest.mark.parametrize("mode", ["discount", "reimbursement"])
def test_replay_under_its_own_rules_reproduces_the_books_to_the_fen(engine, session, mode):
    _year(session, mode=mode)
    y = ss.snapshot(engine, 2026)
    r = sim.replay(y, y.in_force)
    books = session.execute(select(Bill.id, Bill.subsidy_fen, Bill.net_subsidy_fen, Bill.org_id, Bill.kind)
                            .order_by(Bill.id)).all()
    assert len(books) == len(y.bill_id) > 50
    assert r.bill_subsidy.tolist() == [b.subsidy_fen for b in books]  # per bill (credits: reversal)
    assert r.bill_net.tolist() == [b.net_subsidy_fen if b.kind == "bill" else 0 for b in books]
    assert 0 < (r.bill_subsidy > 0).sum() < len(books)  # some bills got nothing: the test means something
    per_unit = dict(session.execute(select(Bill.org_id, func.sum(Bill.net_subsidy_fen)).where(Bill.kind == "bill")
                                    .group_by(Bill.org_id)).all())
    assert {int(y.unit_id[i]): int(v) for i, v in enumerate(r.unit_subsidy)} == {k: int(v) for k, v in per_unit.items()}
    pool_left = ledger.balance(session, "pool:2026")
    assert r.committed_fen == 1_600_000_00 - pool_left  # pool use (quota committed)
    assert r.pool_exhausted_on is not None  # the pool cut an approval
    lines = session.execute(select(func.sum(SettlementLine.province_fen), func.sum(SettlementLine.city_fen),
                                   func.sum(SettlementLine.amount_fen))).one()
    assert (r.province_fen, r.city_fen, r.used_fen) == tuple(int(v) for v in lines)
    reasons = dict(zip(y.bill_id.tolist(), r.bill_reason, strict=True))
    assert reasons[books[0].id] == "no_quota" and "related_party" in reasons.values()
    assert "quota_used_up" in reasons.values() and r.units_capped >= 1


def test_other_rules_move_the_results_the_way_the_rules_say(engine, session):
    _year(session)
    y = ss.snapshot(engine, 2026)
    base = sim.replay(y, y.in_force)
    low = sim.replay(y, sim.parse_rules("rate_percent = 15\n", base=y.in_force))
    assert 0 < low.total_fen < base.total_fen
    # with a pool and caps that never bind, every eligible bill gets exactly 15% rounded down, less credits
    free = sim.replay(y, sim.parse_rules('rate_percent = 15\nunit_cap_yuan = 1e9\npool_yuan = 1e10\n'
                                         'approval = "maximum"\nbill_binding = "unit"', base=y.in_force))
    elig = np.array([why == "" or why.startswith("quota") for why in free.bill_reason]) & ~y.bill_credit
    unbound = free.bill_subsidy[elig]
    assert (unbound == y.bill_amount[elig] * 1500 // 10000).sum() >= 0.6 * elig.sum()
    assert any("above the plan" in f for f in free.flags) and any("above the pool" not in f for f in free.flags)
    # a disclosure period longer than the time between approval and bill: the quota is not effective yet
    late = sim.replay(y, sim.parse_rules("disclosure_days = 30\n", base=y.in_force))
    assert late.total_fen == 0 and set(late.bill_reason) - {""} <= {"no_quota", "related_party"}
    # admitting related-party deals gives the related unit nothing here: its provider never approved it quota
    rel = sim.replay(y, sim.parse_rules("[eligibility]\nrelated_party = true\n", base=y.in_force))
    assert "related_party" not in rel.bill_reason and rel.flags
    # only the supercomputing centre admitted: the other provider's bills and quota drop out
    sc = sim.replay(y, sim.parse_rules('[eligibility]\nprovider_criteria = ["national_supercomputing"]\n',
                                       base=y.in_force))
    assert sc.excluded["provider_criterion"]["bills"] > 0 and sc.total_fen < base.total_fen
    # province:city 3:2 splits each payee's total by split_funding
    split = sim.replay(y, sim.parse_rules('province_city = "3:2"\n', base=y.in_force))
    assert split.province_fen + split.city_fen == split.total_fen == base.total_fen
    assert split.province_fen >= split.total_fen * 3 // 5
    gain, lose = sim.movers(y, low, base)
    assert not gain and lose and all(d < 0 for _, d in lose)


def _counts(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t.name: session.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar()
            for t in Base.metadata.sorted_tables}


def test_a_simulation_writes_nothing(engine, session, tmp_path, monkeypatch, db_url):
    from typer.testing import CliRunner

    from yuzhi import config, db
    from yuzhi.cli import app

    _year(session)
    before = _counts(session)
    head = session.execute(text("SELECT chain, seq, hash FROM audit_events ORDER BY chain, seq")).all()
    rules = tmp_path / "r15.toml"
    rules.write_text('name = "15%, 500k"\nrate_percent = 15\nunit_cap_yuan = 500000\n', encoding="utf-8")
    monkeypatch.setenv("YUZHI_DATABASE_URL", db_url)
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path / "home"))
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        out = tmp_path / "report.xlsx"
        res = CliRunner().invoke(app, ["vouchers", "simulate", "--year", "2026", "--rules", str(rules),
                                       "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert "15%, 500k" in res.output and out.stat().st_size > 5000
    finally:
        db.get_engine.cache_clear()
        config.get_settings.cache_clear()
    session.rollback()
    assert _counts(session) == before
    assert session.execute(text("SELECT chain, seq, hash FROM audit_events ORDER BY chain, seq")).all() == head

    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert {"Summary", "Pool", "Lorenz", "By city", "Excluded", "Movers", "Units", "Rules"} <= set(wb.sheetnames)
    assert all(len(wb[s]._charts) == 1 for s in ("Pool", "Lorenz", "By city", "By industry", "By kind"))
    summary = {row[0]: row[1:] for row in wb["Summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["rate"] == ("20%", "15%")


BASE = sim.SimRules(name="base", pool_fen=50_000_000_00, rate_bp=2000, unit_cap_fen=1_000_000_00)


@pytest.mark.parametrize(("body", "line", "key"), [
    ("rate_percent = 15\nunit_cap_yuan = \"lots\"\n", 2, "unit_cap_yuan"),
    ("# comment\nrate_percent = 150\n", 2, "rate_percent"),
    ("rate_percent = 15\n\n[eligibility]\nrelated_party = \"no\"\n", 4, "eligibility.related_party"),
    ("rate_percent = 15\nunit_cap = 5\n", 2, "unit_cap"),
    ('province_city = "1:2"\n', 1, "province_city"),
    ('settlement_mode = "cash"\n', 1, "settlement_mode"),
])
def test_a_malformed_rules_file_names_line_and_key(body, line, key):
    with pytest.raises(InvalidInput) as exc:
        sim.parse_rules(body, base=BASE, source="r.toml")
    assert f"r.toml line {line}, key {key}:" in exc.value.message and exc.value.fix


def test_a_syntax_error_names_the_line():
    with pytest.raises(InvalidInput, match=r"r.toml line 3: not valid TOML"):
        sim.parse_rules("name = 'x'\nrate_percent = 15\npool_yuan = = 1\n", base=BASE, source="r.toml")


def test_rules_beyond_the_plan_are_parsed_and_flagged_not_refused():
    r = sim.parse_rules("rate_percent = 25\nunit_cap_yuan = 60000000\npool_yuan = 55000000\n", base=BASE)
    assert r.rate_bp == 2500 and r.unit_cap_fen == 60_000_000_00
    assert len(r.flags()) == 4  # rate, cap above plan, pool above plan, cap above pool


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-500, 2000), st.integers(0, 3000)), max_size=60))
def test_draw_sequence_is_draw_bill_after_bill(rows):
    """The vectorised form gives what the live path's per-bill ``draw`` gives, in recording order
    (quota held only grows within a year; a credit gives back at most what was drawn)."""
    held: dict[int, int] = {}
    drawn: dict[int, int] = {}
    g, d, a, expect = [], [], [], []
    for grp, dem, add in rows:
        held[grp] = held.get(grp, 0) + add
        s = drawn.get(grp, 0)
        if dem < 0:
            dem = -min(-dem, s)
            x = dem
        else:
            x = draw(dem, held[grp] - s)
        drawn[grp] = s + x
        g.append(grp)
        d.append(dem)
        a.append(held[grp])
        expect.append(x)
    assert draw_sequence(np.array(d, dtype=np.int64), np.array(a, dtype=np.int64), np.array(g)).tolist() == expect


def test_the_snapshot_is_consistent_while_a_provider_keeps_billing(engine, session):
    """A bill committed by another connection while the snapshot is being read is not half-seen: the
    snapshot (one read-only transaction) shows the year as it was when it began."""
    from sqlalchemy import event

    from yuzhi.db import transaction

    w = _year(session)
    y0 = ss.snapshot(engine, 2026)
    f0 = ss.forecast_for(engine, 2026, date(2026, 12, 4))
    assert ss.forecast_for(engine, 2026, date(2026, 12, 4)) is f0  # cached while the books stand still
    fired = []

    def bill_meanwhile(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if fired or "voucher_applications" not in statement or not conn.get_execution_options().get(
                "yuzhi_read_only"):
            return
        fired.append(True)
        with transaction(engine) as s:  # another connection, committed before the snapshot reads the bills
            service.record_bills(s, actor=w.provider, bills_in=[BillIn(
                invoice_no="LATE-1", customer_uscc=code(1), period_start=date(2026, 10, 1),
                period_end=date(2026, 10, 31), amount_fen=1_000_00)])

    event.listen(engine, "after_cursor_execute", bill_meanwhile)
    try:
        y1 = ss.snapshot(engine, 2026)
    finally:
        event.remove(engine, "after_cursor_execute", bill_meanwhile)
    assert fired and session.scalar(select(func.count()).select_from(Bill)) == len(y0.bill_id) + 1
    assert y1.bill_id.tolist() == y0.bill_id.tolist()  # the late bill is not in this snapshot
    assert len(ss.snapshot(engine, 2026).bill_id) == len(y0.bill_id) + 1  # the next one sees it
    assert ss.forecast_for(engine, 2026, date(2026, 12, 4)) is not f0  # a new bill: the forecast is redone


def _demand_book(rows_demand: list[tuple]) -> bytes:  # type: ignore[type-arg]
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "units"
    sheets = {
        "units": [("unit", "kind", "city", "industry"), ("甲企业", "enterprise", "郑州", "新材料"),
                  ("乙大学", "university", "开封", "电子信息")],
        "providers": [("provider", "criterion"), ("超算中心", "national_supercomputing")],
        "applications": [("unit", "provider", "planned_spend_yuan", "approved_on"),
                         ("甲企业", "超算中心", 1_000_000, "2027-02-01"),
                         ("乙大学", "超算中心", 10_000_000, "2027-03-01")],
        "demand": [("unit", "provider", "month", "amount_yuan"), *rows_demand],
    }
    for name, rows in sheets.items():
        ws = wb["units"] if name == "units" else wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_synthetic_year_from_a_workbook_of_expected_demand(engine, tmp_path, monkeypatch, db_url):
    book = _demand_book([("甲企业", "超算中心", m, 100_000) for m in range(3, 13)]
                        + [("乙大学", "超算中心", 2, 2_000_000), ("乙大学", "超算中心", 6, 3_000_000)])
    base = ss.rules_in_force(engine, 2027)  # no 2027 programme: the plan's defaults
    assert (base.rate_bp, base.unit_cap_fen, base.pool_fen) == (2000, 1_000_000_00, 50_000_000_00)
    y = ss.year_from_workbook(book, 2027, base)
    r = sim.replay(y, base)
    # 甲: quota 20% × 1,000,000 = 200,000, ten months of 20,000; 乙: quota capped at 1,000,000, its February
    # bill came before its approval (no quota), June asks 600,000
    assert r.unit_subsidy.tolist() == [200_000_00, 600_000_00]
    assert r.bill_reason[y.bill_unit.tolist().index(1)] == "no_quota"
    low = sim.replay(y, sim.parse_rules("rate_percent = 15\nunit_cap_yuan = 500000\n", base=base))
    assert low.unit_subsidy.tolist() == [150_000_00, 450_000_00] and low.committed_fen == 650_000_00
    bad = _demand_book([("甲企业", "超算中心", 13, 100_000)])
    with pytest.raises(InvalidInput, match=r"demand!C2: 13 is not a month"):
        ss.year_from_workbook(bad, 2027, base, source="demand.xlsx")
    with pytest.raises(InvalidInput, match=r"demand!A2: unit '丙' is not on the 'units' sheet"):
        ss.year_from_workbook(_demand_book([("丙", "超算中心", 3, 1)]), 2027, base)

    from typer.testing import CliRunner

    from yuzhi import config, db
    from yuzhi.cli import app

    path = tmp_path / "demand.xlsx"
    path.write_bytes(book)
    rules = tmp_path / "r15.toml"
    rules.write_text('name = "fifteen"\nrate_percent = 15\nunit_cap_yuan = 500000\n', encoding="utf-8")
    monkeypatch.setenv("YUZHI_DATABASE_URL", db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        res = CliRunner().invoke(app, ["vouchers", "simulate", "--year", "2027", "--demand", str(path),
                                       "--rules", str(rules)])
    finally:
        db.get_engine.cache_clear()
        config.get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    assert "800,000.00" in res.output and "600,000.00" in res.output  # totals in force and under 15%
