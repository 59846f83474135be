"""The programme core on the database, once for every programme: each rule is checked on the voucher
and on the award programme with the same test, so the two cannot drift apart again.

Real services on the test database (SQLite, or PostgreSQL with ``YUZHI_TEST_DATABASE_URL``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.awards.builders import GOOD, verified_model
from tests.factories import World, approved_quota, make_world
from yuzhi.audit.models import AuditEvent
from yuzhi.awards import service as awards
from yuzhi.awards.models import AwardApplication
from yuzhi.awards.schemas import AwardApply, AwardProgrammeCreate, AwardReview
from yuzhi.awards.schemas import ObjectionCreate as AwardObjectionIn
from yuzhi.errors import Conflict, DomainError, InvalidInput, NotFound
from yuzhi.ledger import books
from yuzhi.ledger import service as ledger
from yuzhi.programmes import service as programmes
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.models import QuotaApplication
from yuzhi.vouchers.schemas import ApplicationCreate, ProgrammeCreate, Review
from yuzhi.vouchers.schemas import ObjectionCreate as VoucherObjectionIn

YUAN = 100
POOL = 50_000_000 * YUAN
BUDGET = 10_000_000 * YUAN


@dataclass
class Programme:
    """One programme seen through the same questions: its Kind, and how its domain does each step."""

    name: str
    kind: programmes.Kind
    amount: int  # the year's pool
    source_prefix: str
    table: type[Any]
    w: World
    session: Session

    def commit(self, unit: int, tag: str) -> int:
        """An application of ``unit`` approved by the office (on disclosure when the year has one)."""
        if self.name == "vouchers":
            return approved_quota(self.session, self.w, unit, 10_000 * YUAN, contract=f"C-{tag}")
        m = verified_model(self.session, self.w, unit, f"模型{tag}")
        a = awards.apply(self.session, actor=self.w.units[unit], app_in=AwardApply(
            year=2026, model_id=m.id, requested_fen=500_000 * YUAN))
        awards.review(self.session, actor=self.w.reviewer, app_id=a.id,
                      decision=AwardReview(approve=True, scores=GOOD, reason="成效显著"))
        return a.id

    def submit(self, unit: int, tag: str) -> int:
        if self.name == "vouchers":
            return vouchers.apply(self.session, actor=self.w.units[unit], app_in=ApplicationCreate(
                year=2026, provider_id=self.w.provider_id, contract_no=f"C-{tag}",
                planned_spend_fen=10_000 * YUAN)).id
        m = verified_model(self.session, self.w, unit, f"模型{tag}")
        return awards.apply(self.session, actor=self.w.units[unit], app_in=AwardApply(
            year=2026, model_id=m.id, requested_fen=100 * YUAN)).id

    def review(self, app_id: int) -> None:
        if self.name == "vouchers":
            vouchers.review(self.session, actor=self.w.reviewer, app_id=app_id, decision=Review(approve=True))
        else:
            awards.review(self.session, actor=self.w.reviewer, app_id=app_id,
                          decision=AwardReview(approve=True, scores=GOOD, reason="成效显著"))

    def open_again(self) -> None:
        if self.name == "vouchers":
            vouchers.create_programme(self.session, actor=self.w.admin, prog_in=ProgrammeCreate(
                year=2026, name="again", pool_fen=POOL, settlement_mode="discount"))
        else:
            awards.create_programme(self.session, actor=self.w.admin, prog_in=AwardProgrammeCreate(
                year=2026, name="again", budget_fen=BUDGET))

    def close(self) -> None:
        if self.name == "vouchers":
            vouchers.close_year(self.session, actor=self.w.admin, year=2026)
        else:
            awards.close_programme(self.session, actor=self.w.admin, year=2026)

    def get(self, actor: Any, app_id: int) -> Any:
        mod = vouchers if self.name == "vouchers" else awards
        return mod.get_application(self.session, actor=actor, app_id=app_id)

    def listed(self, actor: Any) -> set[int]:
        mod = vouchers if self.name == "vouchers" else awards
        return {a.id for a in mod.list_applications(self.session, actor=actor, year=2026)[0]}

    def object(self, app_id: int) -> None:
        if self.name == "vouchers":
            vouchers.lodge_objection(self.session, actor=self.w.units[1], app_id=app_id,
                                     obj_in=VoucherObjectionIn(text="合同金额与实际不符"))
        else:
            awards.lodge_objection(self.session, actor=self.w.units[1], app_id=app_id,
                                   obj_in=AwardObjectionIn(text="应用案例与实际不符"))


@pytest.fixture(params=["vouchers", "awards"])
def prog(request: pytest.FixtureRequest, session: Session) -> Programme:
    w = make_world(session, units=2, pool_fen=POOL, disclosure_days=5)
    awards.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
        year=2026, name="2026 模型奖补", budget_fen=BUDGET, disclosure_days=5))
    session.flush()
    if request.param == "vouchers":
        from yuzhi.vouchers.books import KIND
        return Programme("vouchers", KIND, POOL, "funding", QuotaApplication, w, session)
    return Programme("awards", awards.KIND, BUDGET, "award_funding", AwardApplication, w, session)


def _refused(session: Session, exc: type[DomainError], match: str, step: Any) -> DomainError:
    """``step`` is refused with ``exc`` and changes nothing (rolled back to before it)."""
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    nested = session.begin_nested()
    with pytest.raises(exc, match=match) as info:
        step()
    nested.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    return info.value


def test_a_missing_year_is_named_the_same_way(prog: Programme):
    err = _refused(prog.session, NotFound, f"there is no 2031 {prog.kind.title}",
                   lambda: programmes.get_year(prog.session, prog.kind, year=2031))
    assert err.key == f"no_{prog.kind.key_prefix}programme"
    assert [p.year for p in programmes.list_years(prog.session, prog.kind)] == [2026]


def test_a_year_is_funded_once_from_province_and_city(prog: Programme):
    bals = ledger.balances_like(prog.session, f"{prog.source_prefix}:2026:")
    assert programmes.pool_remaining(prog.session, prog.kind, 2026) == prog.amount
    assert sum(bals.values()) == -prog.amount
    assert set(bals) == {f"{prog.source_prefix}:2026:province", f"{prog.source_prefix}:2026:city"}
    err = _refused(prog.session, Conflict, "2026 .*already exists", prog.open_again)
    assert err.key == f"{prog.kind.key_prefix}programme_exists"
    assert programmes.pool_remaining(prog.session, prog.kind, 2026) == prog.amount


def test_a_commitment_comes_out_of_the_pool_and_the_books_hold(prog: Programme):
    prog.commit(0, "a")
    left = programmes.pool_remaining(prog.session, prog.kind, 2026)
    assert 0 <= left < prog.amount
    assert books.check_all(prog.session).errors == []


def test_objections_are_taken_only_while_the_disclosure_window_is_open(prog: Programme):
    app_id = prog.commit(0, "a")
    prog.object(app_id)  # inside the window
    other = prog.commit(0, "b")
    row = prog.session.get(prog.table, other)
    row.disclosure_until = datetime.now(UTC) - timedelta(seconds=1)  # the window has just closed
    prog.session.flush()
    _refused(prog.session, DomainError, "disclosure", lambda: prog.object(other))


def test_a_closed_year_takes_no_application_or_decision_and_is_not_closed_twice(prog: Programme):
    pending = prog.submit(0, "p")
    prog.close()
    _refused(prog.session, InvalidInput, "2026 .*programme is closed", lambda: prog.submit(1, "q"))
    if prog.name == "awards":  # vouchers lapse pending applications at the close; awards keep them
        _refused(prog.session, Conflict, "2026 award programme is closed", lambda: prog.review(pending))
    err = _refused(prog.session, Conflict, "already closed", prog.close)
    assert err.key == f"{prog.kind.key_prefix}programme_already_closed"


def test_the_close_applies_the_programmes_policy(prog: Programme):
    """Vouchers: unused quota expires back to the pool. Awards: a grant stays committed to be paid."""
    app_id = prog.commit(0, "a")
    before = programmes.pool_remaining(prog.session, prog.kind, 2026)
    prog.close()
    after = programmes.pool_remaining(prog.session, prog.kind, 2026)
    if prog.name == "vouchers":
        assert after == prog.amount and prog.session.get(QuotaApplication, app_id).status == "expired"
    else:
        assert after == before and prog.session.get(AwardApplication, app_id).status == "approved"


def test_each_unit_sees_only_its_own_applications(prog: Programme):
    mine, theirs = prog.submit(0, "a"), prog.submit(1, "b")
    unit1, unit2, office = prog.w.units[0], prog.w.units[1], prog.w.reviewer
    assert prog.get(unit1, mine).id == mine
    _refused(prog.session, NotFound, "not found", lambda: prog.get(unit1, theirs))
    assert prog.listed(unit1) == {mine} and prog.listed(unit2) == {theirs}
    assert {mine, theirs} <= prog.listed(office)
    provider = prog.w.provider  # a provider operator: its own provider's quotas; no award of anyone
    assert prog.listed(provider) == ({mine, theirs} if prog.name == "vouchers" else set())


def test_the_office_alone_lists_the_objections_to_work_through(prog: Programme):
    from yuzhi.errors import Forbidden

    mod = vouchers if prog.name == "vouchers" else awards
    app_id = prog.commit(0, "a")
    prog.object(app_id)
    listed = mod.list_objections(prog.session, actor=prog.w.reviewer)
    assert [o.application_id for o in listed] == [app_id]
    assert mod.list_objections(prog.session, actor=prog.w.reviewer, status="upheld") == []
    _refused(prog.session, Forbidden, "programme office", lambda: mod.list_objections(prog.session,
                                                                                       actor=prog.w.units[0]))
