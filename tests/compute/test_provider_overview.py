"""The compute network page's data comes from ``compute.service.provider_overview``, which applies
tenancy: a provider's money for the year (charged, subsidy) is shown to the office and to that
provider's operators only; other callers see the engine, capacity, price and usage with money hidden."""

from __future__ import annotations

from tests.compute.test_service import setup_world
from yuzhi.accounts.actor import Actor, Role
from yuzhi.compute import service
from yuzhi.db import transaction


def test_money_only_for_the_office_and_the_providers_own_operators(engine, tmp_path):
    w = setup_world(engine, tmp_path)
    stranger = Actor(user_id=None, username="other-op", role=Role.PROVIDER, org_id=None,
                     provider_id=w.provider_id + 1000)
    with transaction(engine) as s:
        def money(actor):  # type: ignore[no-untyped-def]
            rows = {r["p"].id: r for r in service.provider_overview(s, actor=actor, year=2026)}
            r = rows[w.provider_id]
            assert r["ep"] is not None and r["cap"] is not None and r["jobs"] == 0
            return r["charged"], r["subsidy"]

        assert money(w.admin) == (0, 0)
        assert money(w.provider) == (0, 0)
        assert money(w.units[0]) == (None, None)
        assert money(stranger) == (None, None)
        assert money(None) == (None, None)
