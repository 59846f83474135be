"""A busy unit's statement page shows its bills a hundred at a time; the totals cover all of them."""

from __future__ import annotations

import re
from datetime import date

from tests.clients import CsrfClient
from tests.factories import PASSWORD, approved_quota, code, make_world
from yuzhi.vouchers import reports, service
from yuzhi.vouchers.schemas import BillIn


def test_statement_pages_bills_and_keeps_totals(app, session):
    w = make_world(session, units=1)
    approved_quota(session, w, 0, 50_000_00, contract="C-1")
    service.record_bills(session, actor=w.provider, bills_in=[BillIn(
        invoice_no=f"S-{i:04d}", customer_uscc=code(1), period_start=date(2026, 1 + i % 12, 1),
        period_end=date(2026, 1 + i % 12, 28), amount_fen=100_00 + i) for i in range(229)])
    service.record_bill(session, actor=w.provider, bill_in=BillIn(
        invoice_no="S-0229", customer_uscc=code(1), period_start=date(2026, 1, 1), period_end=date(2026, 1, 28),
        amount_fen=50_00, kind="credit", original_invoice_no="S-0000"))
    session.commit()
    every = reports.statement(session, actor=w.admin, org_id=w.unit_orgs[0], year=2026)
    for page in (1, 3, 9):  # one page read, totals summed in the database: the same as reading them all
        one = reports.statement(session, actor=w.admin, org_id=w.unit_orgs[0], year=2026, page=page)
        assert (one.billed_fen, one.subsidy_fen, one.owed_fen, one.bills_total) == (
            every.billed_fen, every.subsidy_fen, every.owed_fen, 230)
        assert [b.id for b in one.bills] == [b.id for b in every.bills][(min(page, 3) - 1) * 100:min(page, 3) * 100]
    assert every.billed_fen == sum(100_00 + i for i in range(229)) - 50_00 and every.subsidy_fen > 0
    session.rollback()  # end the read (SQLite: the pages below write from another connection)
    c = CsrfClient(app, follow_redirects=False)
    assert c.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 303
    org = w.unit_orgs[0]
    seen: set[str] = set()
    billed = []
    for page in (1, 2, 3):
        r = c.get(f"/vouchers/statement?year=2026&org_id={org}&page={page}")
        assert r.status_code == 200, r.text[:300]
        rows = re.findall(r'data-testid="st-bill-(S-\d{4})"', r.text)
        assert len(rows) == (100 if page < 3 else 30)
        seen |= set(rows)
        assert 'data-testid="pager"' in r.text
        billed.append(re.search(r'data-testid="billed"[^>]*>(.*?)<', r.text).group(1))
    assert len(seen) == 230  # every bill on exactly one page
    assert len(set(billed)) == 1 and billed[0].replace(",", "").replace("¥", "").strip().startswith(
        str(every.billed_fen // 100))  # the totals cover all pages


def test_the_office_finds_a_unit_by_search_not_in_a_list_of_all(app, session):
    """The statement page's unit picker is a search (issue 14): at most 20 matches, by name or USCC."""
    w = make_world(session, units=3)
    session.commit()
    c = CsrfClient(app, follow_redirects=False)
    assert c.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 303
    page = c.get("/vouchers/statement?year=2026").text
    assert 'data-testid="unit-search"' in page and f'<option value="{w.unit_orgs[0]}"' not in page
    assert page.count('href="/vouchers/statement?org_id=') >= 3  # a small office still just clicks
    found = c.get(f"/vouchers/statement?year=2026&q={code(2).lower()}").text  # a USCC, any case
    assert re.findall(r'href="/vouchers/statement\?org_id=(\d+)', found) == [str(w.unit_orgs[1])]
    none = c.get("/vouchers/statement?year=2026&q=%25%25no-such-unit").text  # LIKE wildcards are literal
    assert 'data-testid="unit-matches"' in none and not re.findall(r'href="/vouchers/statement\?org_id=', none)
    shown = c.get(f"/vouchers/statement?year=2026&org_id={w.unit_orgs[0]}").text
    assert f'name="org_id" value="{w.unit_orgs[0]}"' in shown and 'data-testid="quota"' in shown
