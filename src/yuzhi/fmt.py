"""One rule for money and time as people read and write them (pure: no database, no HTTP).

Money is stored and computed as integer fen. People read it in two ways:

* **exact** (tables, statements, exports): ``1,234.56`` under a header that carries the unit (元), or
  ``¥1,234.56`` where there is no header — integer arithmetic, never float;
* **at a glance** (cards, charts, alerts): ``57.70 万元`` / ``8.56 亿元`` (zh, ja) or ``¥577.0k`` /
  ``¥8.56bn`` (en), always with the unit.

People *write* money the way they say it: ``1,234.56``, ``¥800``, ``50万``, ``1.2亿``, ``3,000元``.
:func:`parse_money` turns that into fen with :class:`~decimal.Decimal` (exact) and refuses sub-fen
amounts, negatives (unless asked) and anything that is not a number, with a :class:`MoneyError`
that carries a machine code so every layer can say it in the reader's language.

Time is stored in UTC and shown in one zone (``YUZHI_TIMEZONE``, default ``Asia/Shanghai``: 北京时间)
to the minute. A naive datetime is read as UTC, because that is how it was stored.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache

#: the zone shown when none is configured
DEFAULT_TIMEZONE = "Asia/Shanghai"

_WAN = 1_000_000  # fen in 1 万元 (10,000 yuan)
_YI = 10_000_000_000  # fen in 1 亿元 (100,000,000 yuan)
_MAX_FEN = 10**15  # the bound used at every money edge (yuzhi.types)


# --------------------------------------------------------------------------------------------- money out

def fen_exact(value: int | None, *, symbol: str = "") -> str:
    """Integer fen → ``1,234.56`` (``symbol`` in front, e.g. ``¥``); exact, by integer arithmetic."""
    if value is None:
        return "—"
    v = int(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{symbol}{v // 100:,}.{v % 100:02d}"


def yuan(value: int | None) -> str:
    """Integer fen → ``¥1,234.56`` (exact, with the unit: for sentences and tables without a unit header)."""
    return fen_exact(value, symbol="¥")


def _scaled(value: int, unit: int, decimals: int) -> str:
    """``value / unit`` rounded half-up to ``decimals`` places, with thousands separators (Decimal, exact)."""
    q = (Decimal(int(value)) / Decimal(unit)).quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP")
    return f"{q:,.{decimals}f}"


def money_card(value: int | None, lang: str = "zh") -> str:
    """Integer fen → an amount read at a glance, always with its unit.

    zh/ja: under 1 万元 in 元 (``8,500.00 元``), under 1 亿元 in 万元 (``57.70 万元``), above in 亿元
    (``8.56 亿元``). en: ``¥8,500.00``, ``¥577.0k``, ``¥1.20m``, ``¥8.56bn``.
    """
    if value is None:
        return "—"
    v = int(value)
    a = abs(v)
    if lang == "en":
        if a < 1_000_000:  # under 10,000 yuan
            return yuan(v)
        if a < 100_000_000:  # under 1 m yuan
            return f"¥{_scaled(v, 100_000, 1)}k"
        if a < 100_000_000_000:  # under 1 bn yuan
            return f"¥{_scaled(v, 100_000_000, 2)}m"
        return f"¥{_scaled(v, 100_000_000_000, 2)}bn"
    if a < _WAN:
        return f"{fen_exact(v)} 元"
    if a < _YI:
        return f"{_scaled(v, _WAN, 2)} 万元"
    return f"{_scaled(v, _YI, 2)} 亿元"


# ---------------------------------------------------------------------------------------------- money in

class MoneyError(ValueError):
    """An amount that cannot be read. ``code`` names the problem for the message catalog:
    ``money_required``, ``money_not_a_number``, ``money_sub_fen``, ``money_negative``, ``money_zero``,
    ``money_too_large``."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋，", "0123456789.-+,")
_MULTIPLIER = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1_000)}
_AMOUNT = re.compile(r"^(?P<sign>[-+]?)(?P<num>\d+(?:\.\d*)?|\.\d+)(?P<mult>[千万亿]?)$")


def parse_money(text: str | None, *, allow_empty: bool = False, allow_zero: bool = False,
                allow_negative: bool = False) -> int | None:
    """An amount as people write it, in yuan, → integer fen, exactly.

    Accepts ``1,234.56``, ``1234.5``, ``¥800`` / ``￥800`` / ``RMB 800``, ``800元``, ``50万`` / ``50万元``,
    ``1.2亿``, full-width digits, thin spaces; refuses more precision than the fen, negative amounts
    (unless ``allow_negative``), zero (unless ``allow_zero``) and anything else with a
    :class:`MoneyError` naming the problem.
    """
    raw = (text or "").translate(_FULLWIDTH)
    raw = re.sub(r"[\s\u00a0\u2009\u202f,，_']", "", raw)
    raw = re.sub(r"^(?:[¥￥]|RMB|CNY)", "", raw, flags=re.IGNORECASE)
    raw = re.sub(r"^([-+])(?:[¥￥]|RMB|CNY)", r"\1", raw, flags=re.IGNORECASE)
    raw = re.sub(r"(?:元|圆|yuan|RMB|CNY)$", "", raw, flags=re.IGNORECASE)
    if not raw:
        if allow_empty:
            return None
        raise MoneyError("money_required", text or "")
    m = _AMOUNT.match(raw)
    if m is None:
        raise MoneyError("money_not_a_number", text or "")
    try:
        value = Decimal(m["num"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numerals
        raise MoneyError("money_not_a_number", text or "") from None
    if m["mult"]:
        value *= _MULTIPLIER[m["mult"]]
    if m["sign"] == "-":
        value = -value
    fen = value * 100
    if fen != fen.to_integral_value():
        raise MoneyError("money_sub_fen", text or "")
    if fen < 0 and not allow_negative:
        raise MoneyError("money_negative", text or "")
    if fen == 0 and not allow_zero:
        raise MoneyError("money_zero", text or "")
    if abs(fen) > _MAX_FEN:
        raise MoneyError("money_too_large", text or "")
    return int(fen)


# -------------------------------------------------------------------------------------------------- time

@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no tz database on this machine: China has kept UTC+8 without DST since 1991
        if name in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
            return timezone(timedelta(hours=8), "CST")
        raise ValueError(f"YUZHI_TIMEZONE={name!r} is not a known time zone; use e.g. Asia/Shanghai") from None


def zone_name() -> str:
    """The configured display zone: ``YUZHI_TIMEZONE`` in the environment (read each call, so tests may change
    it), else the ``timezone`` setting (``.env`` / ``yuzhi.toml``), else Asia/Shanghai."""
    named = os.environ.get("YUZHI_TIMEZONE", "").strip()
    if named:
        return named
    try:
        from yuzhi.config import get_settings

        return get_settings().timezone or DEFAULT_TIMEZONE
    except Exception:  # settings that cannot load are reported by the command that needs them
        return DEFAULT_TIMEZONE


def local_zone() -> tzinfo:
    return _zone(zone_name())


def to_local(ts: datetime) -> datetime:
    """A stored datetime (aware, or naive meaning UTC) in the display zone."""
    aware = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    return aware.astimezone(local_zone())


def local_time(ts: datetime | date | str | None, *, seconds: bool = False) -> str:
    """``2026-12-09 18:53`` in the display zone, to the minute (``seconds=True`` adds them); a date is
    shown as a date; an ISO string is parsed first; None is ``—``."""
    if ts is None or ts == "":
        return "—"
    if isinstance(ts, str):
        text = ts
        try:
            ts = datetime.fromisoformat(text)
        except ValueError:
            return text
    if not isinstance(ts, datetime):
        return ts.isoformat()
    return to_local(ts).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(ts: datetime | date | None) -> str:
    """The calendar day in the display zone (a disclosure ending 23:00 UTC ends the next day in Beijing)."""
    if ts is None:
        return "—"
    if not isinstance(ts, datetime):
        return ts.isoformat()
    return to_local(ts).strftime("%Y-%m-%d")


def zone_label(lang: str = "zh") -> str:
    """What to print next to a time: ``北京时间`` for the default zone in zh, else the UTC offset."""
    if zone_name() == DEFAULT_TIMEZONE:
        return {"zh": "北京时间", "ja": "北京時間"}.get(lang, "Beijing time")
    off = datetime.now(local_zone()).strftime("%z")
    return f"UTC{off[:3]}:{off[3:]}"
