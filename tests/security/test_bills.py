"""Bills: a provider bills only its own customers (item 2); the loser of a race on the same new
invoice gets the documented replay (item 8). Run on SQLite, and on PostgreSQL when
``YUZHI_TEST_DATABASE_URL`` is set (where concurrent transactions really collide)."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from tests.factories import PASSWORD, code
from tests.security.conftest import login
from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM, Role
from yuzhi.accounts.models import OrgKind
from yuzhi.accounts.schemas import OrgCreate, UserCreate
from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.providers import service as registry
from yuzhi.providers.models import Criterion
from yuzhi.providers.schemas import ProviderCreate
from yuzhi.vouchers.models import Bill


def _stranger_provider(engine, admin) -> None:  # type: ignore[no-untyped-def]
    """A whitelisted provider that no unit ever applied to or ran a job on."""
    with transaction(engine) as s:
        org = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(555), name="某算力公司", kind=OrgKind.ENTERPRISE))
        accounts.decide_org(s, actor=admin, org_id=org.id, approve=True)
        p = registry.whitelist(s, actor=admin, provider_in=ProviderCreate(
            org_id=org.id, name="某算力中心", criterion=Criterion.AI_COMPUTING_100PF,
            valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)))
        accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="stranger", password=PASSWORD, role=Role.PROVIDER.value, provider_id=p.id))


def _bill(inv: str, unit: int = 1, amount: int = 99_999_999) -> dict[str, object]:
    return {"invoice_no": inv, "customer_uscc": code(unit), "period_start": "2026-03-01",
            "period_end": "2026-03-31", "amount_fen": amount}


def test_a_provider_cannot_bill_a_unit_that_is_not_its_customer(client, engine, callers) -> None:
    _stranger_provider(engine, callers.world.admin)
    h = login(client, "stranger")
    r = client.post("/api/vouchers/bills", json=_bill("EVIL-1"), headers=h)
    assert r.status_code == 403, r.text
    d = r.json()["detail"]
    assert d["field"] == "customer_uscc" and "not a customer of this provider" in d["message"] and d["fix"]
    r = client.post("/api/vouchers/bills/batch", json={"bills": [_bill("EVIL-2"), _bill("EVIL-3", unit=2)]},
                    headers=h)
    assert r.status_code == 403 and r.json()["detail"]["field"] == "bills.0.customer_uscc"
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Bill)) == 0
        refused = s.scalars(select(AuditEvent).where(AuditEvent.action == "bill.refused")
                            .order_by(AuditEvent.at)).all()
        assert [e.entity_id for e in refused] == ["EVIL-1", "EVIL-2"]
        assert refused[0].org_id == callers.world.unit_orgs[0] and "99999999" in refused[0].after
    st = client.get("/api/vouchers/statement/2026", headers=callers.headers["member_a"]).json()
    assert st["bills"] == []
    # the programme's own provider bills its customer (unit A applied naming its contract) as before
    ok = client.post("/api/vouchers/bills", json=_bill("OK-1", amount=100_00), headers=callers.headers["provider"])
    assert ok.status_code == 201, ok.text


def test_the_loser_of_a_race_on_a_new_invoice_gets_the_replay(client, engine, callers) -> None:
    prov = callers.headers["provider"]
    rounds, width = 6, 6
    answers: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def push(i: int, k: int, barrier: threading.Barrier) -> None:
        bill = _bill(f"RACE-{i}", amount=1_000_00 + i)
        barrier.wait()
        if k % 2:
            r = client.post("/api/vouchers/bills/batch", json={"bills": [_bill(f"SIDE-{i}-{k}", amount=5_00), bill]},
                            headers=prov)
            out = (r.status_code, r.json()["results"][1]["replay"] if r.status_code == 200 else r.text)
        else:
            r = client.post("/api/vouchers/bills", json=bill, headers=prov)
            out = (r.status_code, r.json().get("replay") if r.status_code < 300 else r.text)
        with lock:
            answers.append(out)

    for i in range(rounds):
        barrier = threading.Barrier(width)
        threads = [threading.Thread(target=push, args=(i, 0 if k < width // 2 else 1, barrier))
                   for k in range(width)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(status in (200, 201) for status, _ in answers), [a for a in answers if a[0] >= 300]
    assert sum(1 for _, replay in answers if replay is False) == rounds  # each invoice recorded once
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Bill).where(Bill.invoice_no.like("RACE-%"))) == rounds


def test_a_large_batch_refused_names_the_invoice(client, callers) -> None:
    prov = callers.headers["provider"]
    assert client.post("/api/vouchers/bills", json=_bill("BIG-500", amount=7_00), headers=prov).status_code == 201
    bills = [_bill(f"BIG-{i}", amount=1_00 + i) for i in range(1000)]
    r = client.post("/api/vouchers/bills/batch", json={"bills": bills}, headers=prov)
    assert r.status_code == 409, r.text
    d = r.json()["detail"]
    assert d["field"] == "bills.500.invoice_no" and "invoice BIG-500" in d["message"]
    bills[500] = _bill("BIG-500", amount=7_00)  # the same content as on file: a replay inside the batch
    r = client.post("/api/vouchers/bills/batch", json={"bills": bills}, headers=prov)
    assert r.status_code == 200 and (r.json()["recorded"], r.json()["replayed"]) == (999, 1)
