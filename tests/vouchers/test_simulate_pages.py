"""``/vouchers/simulate`` through the real app: office only, side-by-side figures that match the
simulator, charts as inline SVG, the workbook download, bad rules shown with line and key, nothing
written."""

from __future__ import annotations

import re
from io import BytesIO

from tests.vouchers.test_pages import browser, error_of
from tests.vouchers.test_simulate import _counts, _year

from yuzhi.vouchers import simulate as sim
from yuzhi.vouchers import simulate_service as ss


def test_the_office_compares_rule_sets_in_the_browser(app, engine, session):
    _year(session)
    y = ss.snapshot(engine, 2026)
    expect = sim.replay(y, sim.parse_rules("rate_percent = 15\nunit_cap_yuan = 500000\n", base=y.in_force))
    office = browser(app, "admin")  # logging in writes a session token: count after it
    before = _counts(session)
    session.rollback()  # release SQLite's write lock before the app serves
    r = office.get("/vouchers/simulate?lang=en")
    assert r.status_code == 200 and 'data-testid="simulate-form"' in r.text and "rate_percent = 15" in r.text
    r = office.post("/vouchers/simulate?lang=en", data={
        "year": "2026", "rules_a": 'name = "fifteen"\nrate_percent = 15\nunit_cap_yuan = 500000\n',
        "rules_b": "", "rules_c": "", "fmt": "html"},
        files={"files": ("wide.toml", b'name = "wide"\nrate_percent = 30\n', "text/plain")})
    assert r.status_code == 200, r.text
    html = r.text
    assert "fifteen" in html and "wide" in html and sim.yuan(expect.total_fen) in html
    assert "rate 30% is above the plan" in html  # flagged, still simulated
    assert "sim-by-industry" in html and "sim-by-kind" in html
    for tid in ("burn-chart", "lorenz-chart", "city-chart"):
        assert f'data-testid="{tid}"><svg' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and not re.search(r"\son\w+=", html)  # CSP-safe
    zh = office.post("/vouchers/simulate?lang=zh", data={"year": "2026", "rules_a": "rate_percent = 15\n",
                                                         "fmt": "html"})
    assert "补贴总额" in zh.text and "资金池耗尽日期" in zh.text
    x = office.post("/vouchers/simulate", data={"year": "2026", "rules_a": "rate_percent = 15\n", "fmt": "xlsx"})
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    assert "Lorenz" in load_workbook(BytesIO(x.content)).sheetnames
    session.rollback()
    assert _counts(session) == before


def test_bad_rules_show_line_and_key_and_members_are_refused(app, session):
    _year(session)
    office = browser(app, "admin")
    bad = "rate_percent = 15\nunit_cap_yuan = 'x'\n"
    r = office.post("/vouchers/simulate?lang=en", data={"year": "2026", "rules_a": bad, "fmt": "html"})
    assert r.status_code == 422 and "line 2, key unit_cap_yuan" in error_of(r.text)
    assert "unit_cap_yuan = &#39;x&#39;" in r.text or "unit_cap_yuan = 'x'" in r.text  # the form keeps the text
    assert browser(app, "unit1").get("/vouchers/simulate").status_code == 403
    assert browser(app).get("/vouchers/simulate").status_code == 303


def test_the_dashboard_shows_the_forecast_and_how_it_was_made(app, engine, session):
    _year(session)
    f = ss.forecast_for(engine, 2026)
    r = browser(app, "admin").get("/vouchers/dashboard?year=2026&lang=en")
    assert r.status_code == 200, (r.status_code, r.headers, r.text[:300])
    html = r.text
    assert 'data-testid="forecast"' in html and 'data-testid="forecast-how"' in html
    from yuzhi.web.templating import fen

    assert fen(f.expected_use_fen) in html and fen(f.unused_fen) in html
    assert "No previous year to backtest on" in html  # the test year has no 2025 before it
    assert f.used_fen <= f.expected_use_fen <= f.committed_fen
    # the dashboard reads monthly sums per unit and provider; bill by bill gives the same forecast
    from yuzhi.vouchers import forecast as fc

    full = fc.forecast(ss.snapshot(engine, 2026), f.as_of)
    assert (full.used_fen, full.committed_fen) == (f.used_fen, f.committed_fen)
    assert abs(full.expected_use_fen - f.expected_use_fen) <= 100 * 12  # rounding of monthly sums only
