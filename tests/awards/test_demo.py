"""The awards / targets demo loads through the services, keeps the books and the audit chain intact."""

from sqlalchemy import select

from yuzhi.accounts.models import Organisation, User
from yuzhi.accounts.service import actor_for
from yuzhi.audit.service import verify_chain
from yuzhi.awards import service as awards
from yuzhi.awards.reconcile import check_books
from yuzhi.db import transaction
from yuzhi.demo import load_demo
from yuzhi.demo_awards import load_awards_demo
from yuzhi.kpi import reports
from yuzhi.kpi.core import YI


def test_demo_loads_and_is_idempotent(engine):
    load_demo(engine)
    for _ in range(2):
        with transaction(engine) as s:
            admin = actor_for(s.scalar(select(User).where(User.username == "office")))
            orgs = {o.name: o for o in s.scalars(select(Organisation))}
            load_awards_demo(s, admin, orgs)
    with transaction(engine) as s:
        admin = actor_for(s.scalar(select(User).where(User.username == "office")))
        assert check_books(s)[0] == []
        assert verify_chain(s)[0] == []
        rows = awards.disclosure(s, year=2026)
        assert sorted((r["model"], r["status"], r["granted_fen"]) for r in rows) == \
            [("中原智造", "paid", 100_000_000), ("天信", "approved", 80_000_000)]
        models, total = awards.list_models(s, actor=admin)
        assert total == 5 and {m.name for m in models} >= {"中原智造", "豫鼎安澜", "天信", "华鼎雪豹"}
        d = reports.dashboard(s, actor=admin, year=2026)
        assert d.key_enterprises == 8 and d.pending_reports == 7 and d.flagged_reports == 1
        assert d.progress.latest_year == 2025 and d.scales[0].complete
        assert 900 * YI < d.progress.latest_fen < 1000 * YI  # 2025 ≈ 950 亿: ahead of the 922 亿 path
        assert d.robots_deployed == 605 and d.awards["awards_paid"] == 1
