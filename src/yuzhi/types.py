"""Bounded, strict types for every number and date that crosses the edge (HTTP, files, CLI).

Why one module: an out-of-range id, year or offset used to reach the database and come back as a
500 (SQLite ``OverflowError`` above 2**63-1, PostgreSQL ``integer out of range`` above 2**31-1,
``ValueError: year out of range`` for year 0), and a
loose ``"amount_fen": true`` was booked as 1 fen. Declaring the bounds once here and using the same
names in every schema and route keeps the answer the same everywhere: a 422 naming the field, the
bound and the fix (``yuzhi.web.errors``), before any service code runs.

Two families:

* **Body types** (pydantic ``Annotated``): strict. Money is a JSON integer (``true``, ``1.0`` and
  ``"100"`` are refused); a date is ``YYYY-MM-DD`` (a datetime is refused, not truncated).
* **Path / query types** (FastAPI ``Path``/``Query``): query strings are text, so they are parsed,
  then bounded (ids 1..2**31-1, years 2000..2100, limit 1..1000, offset 0..10**9, durations finite
  and at most a year).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator, Field

#: Largest id the narrowest key column holds: record ids are PostgreSQL ``integer`` (int4); SQLite's
#: 64-bit ``INTEGER`` is wider, but an id above this bound cannot exist on either.
MAX_ID = 2**31 - 1
#: Programme and reporting years the platform accepts anywhere.
MIN_YEAR, MAX_YEAR = 2000, 2100
#: First year of a funding programme (vouchers, awards) and of enterprise reporting (kpi): narrower
#: lower bounds inside the same range, kept here so every domain names them the same way.
MIN_PROGRAMME_YEAR, MIN_REPORT_YEAR = 2024, 2020
#: 100 % in basis points (shares and rates of the funding programmes).
FULL_BP = 10_000
#: Largest amount of money accepted in one field: 10**15 fen = 10 trillion yuan (above Henan's GDP).
MAX_FEN = 10**15
#: Largest amount a funding programme's request may carry (pool, quota, bill): 10**13 fen = 100 billion
#: yuan. Lower than ``MAX_FEN`` because the subsidy rules multiply it by a rate in basis points (≤ 10**4)
#: and the product must stay a 64-bit integer on every path (10**17 < 2**63).
MAX_GRANT_FEN = 10**13
#: Page sizes and offsets.
MAX_LIMIT, MAX_OFFSET = 1000, 10**9
#: Longest duration (seconds) a query may ask for: one year.
MAX_SECONDS = 366 * 86400

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _strict_date(value: object) -> object:
    """A ``date`` or an ISO ``YYYY-MM-DD`` string; datetimes (objects or strings) are refused."""
    if isinstance(value, datetime):
        raise ValueError("a date is expected, not a date and time; use YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        return value.strip()
    raise ValueError("a date is expected as YYYY-MM-DD (e.g. 2026-03-31), without a time")


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a finite number is expected")
    return value


# --- body fields (strict) ----------------------------------------------------------------------

#: A reference to a record by id inside a body (bounded; form pages send ids as text, so not strict).
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="record id, 1..2**31-1")]
#: A year inside a body (bounded, like ``Id``).
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR, description=f"year, {MIN_YEAR}..{MAX_YEAR}")]
#: Money: integer fen (1 yuan = 100 fen), never a float, boolean or string.
Fen = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN, description="integer fen (1 yuan = 100 fen), ≥ 0")]
#: Money that must be more than zero.
PositiveFen = Annotated[int, Field(strict=True, gt=0, le=MAX_FEN,
                                   description="integer fen (1 yuan = 100 fen), > 0")]
#: A funding programme's year (vouchers and awards opened in 2024).
ProgrammeYear = Annotated[int, Field(ge=MIN_PROGRAMME_YEAR, le=MAX_YEAR,
                                     description=f"programme year, {MIN_PROGRAMME_YEAR}..{MAX_YEAR}")]
#: A year of enterprise reporting (KPI reports, estimates).
ReportYear = Annotated[int, Field(ge=MIN_REPORT_YEAR, le=MAX_YEAR,
                                  description=f"reporting year, {MIN_REPORT_YEAR}..{MAX_YEAR}")]
#: A share in basis points: 0..10000 (10000 = 100 %).
BasisPoints = Annotated[int, Field(ge=0, le=FULL_BP, description="basis points, 0..10000 (10000 = 100 %)")]
#: Money a funding programme grants or bills on (pool, cap, quota request, bill amount): > 0, ≤ MAX_GRANT_FEN.
GrantFen = Annotated[int, Field(strict=True, gt=0, le=MAX_GRANT_FEN,
                                description="integer fen (1 yuan = 100 fen), > 0, at most 10**13")]
#: A calendar date without a time.
StrictDate = Annotated[date, BeforeValidator(_strict_date), Field(description="date, YYYY-MM-DD")]
#: A count of something (non-negative, strict).
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_ID)]

# --- path and query parameters (parsed from text, then bounded) ---------------------------------

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="record id, 1..2**31-1")]
YearPath = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR, description=f"year, {MIN_YEAR}..{MAX_YEAR}")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="record id, 1..2**31-1")]
YearQuery = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description=f"year, {MIN_YEAR}..{MAX_YEAR}")]
RequiredYearQuery = Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR, description=f"year, {MIN_YEAR}..{MAX_YEAR}")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1..{MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip, 0..{MAX_OFFSET}")]
SecondsQuery = Annotated[float, BeforeValidator(_finite),
                         Query(ge=0, le=MAX_SECONDS, allow_inf_nan=False,
                               description=f"seconds, 0..{MAX_SECONDS} (one year)")]
