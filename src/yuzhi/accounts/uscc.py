"""Unified Social Credit Code (统一社会信用代码) validation, GB 32100-2015.

Pure core: no database, no HTTP. An 18-character code is::

    1   registration authority   (1 = 机构编制, 5 = 民政, 9 = 工商, Y = 其他 …)
    2   organisation type        (e.g. 9/1 → 1 = enterprise, 2 = individual business …)
    3-8 administrative region    (GB/T 2260; Henan is 41xxxx)
    9-17 organisation code
    18  check character

Check character: charset ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (31 symbols, no I O Z S V), weights
``3^(i-1) mod 31`` for i = 1..17, check = ``(31 − Σ value·weight mod 31) mod 31``.

>>> check_character("91410100MA44XXXXX")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

from yuzhi.errors import InvalidInput

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^(i-1) mod 31 for i = 1..17
_VALUE = {c: i for i, c in enumerate(CHARSET)}

#: Registration-authority + type prefixes that denote an individual business (个体工商户): refused.
INDIVIDUAL_PREFIXES = ("92",)


def check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters."""
    total = 0
    for i, ch in enumerate(first17):
        if ch not in _VALUE:
            raise InvalidInput(
                f"character {ch!r} at position {i + 1} is not allowed in a USCC",
                field="uscc",
                fix=f"use only {CHARSET} (no I, O, Z, S, V)",
            )
        total += _VALUE[ch] * WEIGHTS[i]
    return CHARSET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class USCC:
    code: str

    @property
    def region(self) -> str:
        return self.code[2:8]

    @property
    def province(self) -> str:
        return self.code[2:4]

    @property
    def is_henan(self) -> bool:
        return self.province == "41"

    @property
    def is_individual(self) -> bool:
        return self.code[:2] in INDIVIDUAL_PREFIXES


def parse(code: str, *, field: str = "uscc") -> USCC:
    """Validate format and check character; return the parsed code (upper-cased, stripped)."""
    raw = (code or "").strip().upper()
    if len(raw) != 18:
        raise InvalidInput(
            f"a Unified Social Credit Code has 18 characters, got {len(raw)}",
            field=field,
            fix="copy the 18-character code from the business licence (统一社会信用代码)",
            key="uscc_length", params={"length": len(raw)},
        )
    expected = check_character(raw[:17])
    if raw[17] not in _VALUE:
        raise InvalidInput(f"check character {raw[17]!r} is not allowed", field=field,
                           fix=f"the 18th character must be one of {CHARSET}",
                           key="uscc_check_char_not_allowed", params={"char": raw[17], "charset": CHARSET})
    if raw[17] != expected:
        raise InvalidInput(
            f"check character of {raw} is wrong: expected {expected!r}, got {raw[17]!r} (GB 32100-2015)",
            field=field,
            fix="re-type the code from the business licence; one character is probably mistyped",
            key="uscc_check_wrong", params={"code": raw, "expected": expected, "got": raw[17]},
        )
    return USCC(raw)


def parse_henan_unit(code: str, *, field: str = "uscc") -> USCC:
    """Validate a code for a voucher applicant: Henan region, not an individual business."""
    parsed = parse(code, field=field)
    if parsed.is_individual:
        raise InvalidInput(
            "individual businesses (个体工商户, code prefix 92) cannot join the voucher programme",
            field=field,
            fix="apply as an enterprise, university or research institute",
            key="uscc_individual",
        )
    if not parsed.is_henan:
        raise InvalidInput(
            f"region code {parsed.region} is outside Henan (41xxxx); the programme serves Henan units only",
            field=field,
            fix="register the Henan legal entity (its code has 41 in positions 3-4)",
            key="uscc_outside_henan", params={"region": parsed.region},
        )
    return parsed


def make(prefix17: str) -> str:
    """Complete 17 characters into a valid 18-character code (for demo data and tests)."""
    return prefix17 + check_character(prefix17)
