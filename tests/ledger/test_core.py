import pytest

from yuzhi.ledger.core import Posting, Txn, balances, check_non_negative, check_years_isolated, transfer


def test_unbalanced_transaction_is_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        Txn("x", 2026, (Posting("pool:2026", 1),))


def test_float_amounts_are_refused():
    with pytest.raises(TypeError):
        Posting("pool:2026", 1.5)  # type: ignore[arg-type]


def test_flows_and_balances():
    txns = [
        Txn("fund", 2026, (Posting("pool:2026", 1000), Posting("funding:2026:province", -500),
                           Posting("funding:2026:city", -500))),
        transfer("approve", 2026, debit="quota:2026:app:1", credit="pool:2026", amount=300),
        transfer("subsidy", 2026, debit="payable:2026:provider:1", credit="quota:2026:app:1", amount=120),
    ]
    b = balances(txns)
    assert b == {"pool:2026": 700, "funding:2026:province": -500, "funding:2026:city": -500,
                 "quota:2026:app:1": 180, "payable:2026:provider:1": 120}
    assert check_non_negative(b, ("pool:", "quota:")) == []
    assert check_years_isolated(txns) == []


def test_invariant_checks_report_problems():
    assert check_non_negative({"quota:2026:app:3": -1}, ("quota:",)) == ["account quota:2026:app:3 is negative: -1 fen"]
    t = transfer("subsidy", 2026, debit="payable:2026:org:1", credit="quota:2025:app:1", amount=5)
    assert check_years_isolated([t]) == ["subsidy : account quota:2025:app:1 is outside year 2026"]
