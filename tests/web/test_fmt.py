"""The one money/time rule (yuzhi.fmt): exact round trips, people's ways of writing amounts, Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yuzhi.fmt import MoneyError, fen_exact, local_date, local_time, money_card, parse_money, yuan


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_exact_round_trip(v: int) -> None:
    assert parse_money(fen_exact(v), allow_zero=True, allow_negative=True) == v
    assert parse_money(yuan(v), allow_zero=True, allow_negative=True) == v


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(["万", "万元", "亿"]))
def test_chinese_units(n: int, unit: str) -> None:
    per = 1_000_000 if unit.startswith("万") else 10_000_000_000
    if n * per <= 10**15:
        assert parse_money(f"{n}{unit}") == n * per


@pytest.mark.parametrize("text,fen", [
    ("1,234.56", 123456), ("¥800", 80000), ("￥ 800.5", 80050), ("50万", 50_000_000), ("1.2亿", 12_000_000_000),
    ("3,000元", 300000), ("０.０１", 1), ("RMB 12", 1200), ("12.5万元", 12_500_000), ("0.01万", 10000),
])
def test_people_write(text: str, fen: int) -> None:
    assert parse_money(text) == fen


@pytest.mark.parametrize("text,code", [
    ("", "money_required"), ("abc", "money_not_a_number"), ("1.234", "money_sub_fen"),
    ("0.0000001万", "money_sub_fen"), ("-5", "money_negative"), ("0", "money_zero"), ("1e5", "money_not_a_number"),
    ("nan", "money_not_a_number"), ("1.2.3", "money_not_a_number"), ("99999999999亿", "money_too_large"),
    ("万", "money_not_a_number"),
])
def test_refused(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_money(text)
    assert info.value.code == code


def test_card_units() -> None:
    assert money_card(850_000) == "8,500.00 元"
    assert money_card(57_700_000) == "57.70 万元"
    assert money_card(8_560_000_000_000) == "856.00 亿元"
    assert money_card(82_000_000) == "82.00 万元"
    assert money_card(57_700_000, "en") == "¥577.0k"
    assert money_card(8_560_000_000_000, "en") == "¥85.60bn"
    assert money_card(None) == "—"


@given(st.integers(min_value=0, max_value=10**15))
def test_card_close_to_exact(v: int) -> None:
    """The glance figure is the exact amount rounded, never a different number."""
    text = money_card(v)
    number = float(text.split()[0].replace(",", ""))
    scale = 1 if text.split()[1] == "元" else 10_000 if "万" in text else 100_000_000
    assert abs(number * scale * 100 - v) <= scale * 100 * 0.005 + 1e-6 * v


def test_beijing_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUZHI_TIMEZONE", raising=False)
    t = datetime(2026, 12, 9, 10, 53, 41, 123456, tzinfo=UTC)
    assert local_time(t) == "2026-12-09 18:53"
    assert local_time(t.replace(tzinfo=None)) == "2026-12-09 18:53"  # naive = stored UTC
    assert local_date(datetime(2026, 12, 9, 20, 0, tzinfo=UTC)) == "2026-12-10"
    assert local_date(date(2026, 1, 2)) == "2026-01-02"
    assert local_time("2026-12-09T10:53:00+00:00") == "2026-12-09 18:53"
    monkeypatch.setenv("YUZHI_TIMEZONE", "Europe/Berlin")
    assert local_time(t) == "2026-12-09 11:53"


def test_exports_write_times_in_the_display_zone() -> None:
    from yuzhi.web.exports import to_csv, to_xlsx

    row = (1, datetime(2026, 12, 9, 23, 30, 5, 123, tzinfo=UTC))
    assert to_csv(["n", "at"], [row]).decode("utf-8-sig").splitlines()[1] == "1,2026-12-10 07:30 +08:00"
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(to_xlsx("t", ["n", "at"], [row]))).active
    assert ws["B2"].value == "2026-12-10 07:30 +08:00"  # the offset spelt out: a file travels without its page
