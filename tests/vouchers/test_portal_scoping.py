"""The provider portal's monthly statement reads through services that apply ``accounts.tenancy``:
an operator sees its own provider's bills, the month range of those bills and the names of those
bills' units only — never another provider's customers, even in the same month (issue 19)."""

from __future__ import annotations

from datetime import date

from tests.factories import PASSWORD, approved_quota, code, make_world

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM, Actor, Role
from yuzhi.accounts.models import OrgKind
from yuzhi.accounts.schemas import OrgCreate, UserCreate
from yuzhi.db import transaction
from yuzhi.providers import service as registry
from yuzhi.providers.models import Criterion
from yuzhi.providers.schemas import ProviderCreate
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.schemas import ApplicationCreate, BillIn, Review

HTML = {"accept": "text/html"}


def _bill(no: str, unit: int, end: date) -> BillIn:
    return BillIn(invoice_no=no, customer_uscc=code(unit), period_start=end.replace(day=1), period_end=end,
                  amount_fen=10_000_00)


def _two_providers(engine) -> tuple[Actor, Actor]:  # type: ignore[no-untyped-def]
    """Provider 1 bills unit 1 in March; provider 2 bills unit 3 in March and April."""
    with transaction(engine) as s:
        w = make_world(s, units=3, disclosure_days=0)
        approved_quota(s, w, 0, 1_000_000_00, contract="HT-1")
        org = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(998), name="另一算力中心运营单位", kind=OrgKind.UNIVERSITY))
        accounts.decide_org(s, actor=w.admin, org_id=org.id, approve=True)
        other = registry.whitelist(s, actor=w.admin, provider_in=ProviderCreate(
            org_id=org.id, name="另一算力中心", criterion=Criterion.NATIONAL_SUPERCOMPUTING,
            valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)))
        op = accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="provider2", password=PASSWORD, role=Role.PROVIDER.value, provider_id=other.id))
        second = accounts.actor_for(op)
        a = vouchers.apply(s, actor=w.units[2], app_in=ApplicationCreate(
            year=w.year, provider_id=other.id, contract_no="HT-3", planned_spend_fen=1_000_000_00))
        vouchers.review(s, actor=w.reviewer, app_id=a.id, decision=Review(approve=True))
        assert w.provider is not None
        first = w.provider
    with transaction(engine) as s:
        vouchers.record_bills(s, actor=first, bills_in=[_bill("P1-MAR", 1, date(2026, 3, 31))])
        vouchers.record_bills(s, actor=second, bills_in=[_bill("P2-MAR", 3, date(2026, 3, 31)),
                                                         _bill("P2-APR", 3, date(2026, 4, 30))])
    return first, second


def test_statement_services_see_only_the_operators_provider(engine) -> None:  # type: ignore[no-untyped-def]
    first, second = _two_providers(engine)
    with transaction(engine) as s:
        march = vouchers.month_bills(s, actor=first, start=date(2026, 3, 1), end=date(2026, 4, 1))
        assert [b.invoice_no for b in march] == ["P1-MAR"]
        assert [b.invoice_no for b in vouchers.month_bills(s, actor=second, start=date(2026, 3, 1),
                                                           end=date(2026, 5, 1))] == ["P2-MAR", "P2-APR"]
        assert vouchers.bill_period_range(s, actor=first) == (date(2026, 3, 31), date(2026, 3, 31))
        assert vouchers.bill_period_range(s, actor=second) == (date(2026, 3, 31), date(2026, 4, 30))
        everything = vouchers.list_bills(s, actor=SYSTEM)[0]  # the office sees all three
        assert len(everything) == 3
        names = vouchers.bill_customers(s, actor=first, bills=everything)
        assert sorted(n for n, _ in names.values()) == ["测试企业1"]  # not provider 2's customer
        assert sorted(n for n, _ in vouchers.bill_customers(s, actor=second, bills=everything).values()) == \
            ["测试企业3"]


def test_statement_page_and_export_show_no_other_providers_customers(client, engine) -> None:  # type: ignore[no-untyped-def]
    _two_providers(engine)
    r = client.post("/login", data={"username": "provider", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/vouchers/portal/statement?month=2026-03", headers=HTML)
    assert page.status_code == 200
    assert "P1-MAR" in page.text and "测试企业1" in page.text
    assert "P2-MAR" not in page.text and "测试企业3" not in page.text and code(3) not in page.text
    empty = client.get("/vouchers/portal/statement?month=2026-06", headers=HTML)  # shows the months with bills
    assert "2026-03 … 2026-03" in empty.text  # provider 2's April bill does not stretch this operator's range
    csv_text = client.get("/vouchers/portal/statement?month=2026-03&fmt=csv").content.decode("utf-8-sig")
    assert "P1-MAR" in csv_text and "P2-MAR" not in csv_text and code(3) not in csv_text
