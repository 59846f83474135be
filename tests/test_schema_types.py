"""Every schema takes its money, id and year bounds from ``yuzhi.types`` (issue 19 item 5).

Why: money fields used to be declared per domain with their own limits (compute and kpi each had a
``Fen = Field(…)`` of their own), so the same amount could be accepted by one route and refused by
another. Here every bounded ``*_fen`` field of every pydantic model in ``yuzhi.<domain>.schemas`` must
carry a shared money bound (strict integer, ≤ ``MAX_FEN``, or ≤ ``MAX_GRANT_FEN`` for programme grants),
every bounded ``year`` the shared year range, every bounded ``*_id`` the shared id range, and no schema
module spells a bound literally.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import annotated_types as at
import pytest
from pydantic import BaseModel

from yuzhi import types as T

SRC = Path(__file__).resolve().parents[1] / "src" / "yuzhi"
SCHEMAS = sorted(p for p in SRC.glob("*/schemas.py"))


def _models() -> list[type[BaseModel]]:
    out = []
    for path in SCHEMAS:
        mod = importlib.import_module(f"yuzhi.{path.parent.name}.schemas")
        out += [c for _, c in inspect.getmembers(mod, inspect.isclass)
                if issubclass(c, BaseModel) and c.__module__ == mod.__name__]
    return out


def _bounds(meta: list[object]) -> dict[str, object]:
    got: dict[str, object] = {}
    for m in meta:
        for name in ("ge", "gt", "le", "lt"):
            if isinstance(m, getattr(at, name.capitalize())):
                got[name] = getattr(m, name)
        if getattr(m, "strict", None) is not None:
            got["strict"] = m.strict  # type: ignore[attr-defined]
    return got


@pytest.mark.parametrize("model", _models(), ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_bounded_fields_use_the_shared_bounds(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        b = _bounds(field.metadata)
        if not b:
            continue  # a response field: no bounds to share
        if name.endswith("_fen") and field.annotation is int:
            assert b.get("le") in {T.MAX_FEN, T.MAX_GRANT_FEN} and b.get("strict") is True, (name, b)
        elif name == "year" or name.endswith("_year"):
            assert b.get("le") == T.MAX_YEAR, (name, b)
            assert b.get("ge") in {T.MIN_YEAR, T.MIN_PROGRAMME_YEAR, T.MIN_REPORT_YEAR}, (name, b)
        elif name.endswith("_id") and "ge" in b:
            assert (b.get("ge"), b.get("le")) == (1, T.MAX_ID), (name, b)


def test_no_schema_spells_a_money_or_year_bound() -> None:
    literal = re.compile(r"10\s*\*\*\s*1[0-9]|\ble=2100\b|\bge=20[0-9]{2}\b|2\s*\*\*\s*31")
    offenders = [f"{p.relative_to(SRC)}:{i}" for p in SCHEMAS
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if literal.search(line)]
    assert not offenders, f"use the bounded types of yuzhi/types.py: {offenders}"
