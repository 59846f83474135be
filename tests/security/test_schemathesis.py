"""Property-based API run (schemathesis) on ``/openapi.json``: no input gives a 5xx, every status
code answered is documented for its operation, and every response matches its schema (issue 13).
Runs on SQLite, and on PostgreSQL when ``YUZHI_TEST_DATABASE_URL`` is set, with the tokens of a member,
a provider and the office.

Bounded for CI: ``YUZHI_SCHEMATHESIS_EXAMPLES`` examples per operation and caller (default 4,
derandomized so a failure reproduces), one world built once per module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the 'test' extra")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select  # noqa: E402

from tests.conftest import _wipe  # noqa: E402
from tests.factories import approved_quota, make_world  # noqa: E402
from yuzhi.accounts import service as accounts  # noqa: E402
from yuzhi.accounts.models import User  # noqa: E402
from yuzhi.db import transaction  # noqa: E402

EXAMPLES = int(os.environ.get("YUZHI_SCHEMATHESIS_EXAMPLES", "4"))


@dataclass
class StWorld:
    app: object
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def st_world(_migrated_engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    from yuzhi import config
    from yuzhi.compute.store import ArtifactStore
    from yuzhi.web.app import create_app

    home = tmp_path_factory.mktemp("st-home")
    old = os.environ.get("YUZHI_HOME")
    os.environ["YUZHI_HOME"] = str(home)
    config.get_settings.cache_clear()
    _wipe(_migrated_engine)
    with transaction(_migrated_engine) as s:
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 10_000_00, contract="ST-1")
        headers = {}
        for role, username in (("member", "unit1"), ("provider", "provider"), ("office", "admin")):
            user = s.scalar(select(User).where(User.username == username))
            _row, token = accounts.issue_token(s, user=user, name="schemathesis")
            headers[role] = {"Authorization": f"Bearer {token}"}
    app = create_app(_migrated_engine)
    app.state.compute_store = ArtifactStore(home / "artifacts")
    yield StWorld(app, headers)
    if old is None:
        os.environ.pop("YUZHI_HOME", None)
    else:
        os.environ["YUZHI_HOME"] = old
    config.get_settings.cache_clear()
    _wipe(_migrated_engine)


def test_no_server_error_and_responses_match_the_schema(st_world) -> None:  # type: ignore[no-untyped-def]
    """Every operation, ``EXAMPLES`` generated requests each, each sent as a member, a provider and the
    office; failures are collected per operation so one run reports them all."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", st_world.app)
    failures: list[str] = []
    operations = cases = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case) -> None:  # type: ignore[no-untyped-def]
            nonlocal cases
            for role in ("member", "provider", "office"):  # each generated request, as each kind of caller
                cases += 1
                response = case.call(headers=st_world.headers[role], timeout=120)  # 2 shared cores in CI
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                          response_schema_conformance])

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a FailureGroup
            failures.append(f"{op.label}: {_summary(exc)}")
    print(f"schemathesis: {operations} operations, {cases} requests, {len(failures)} failing operations")
    assert operations > 100
    assert not failures, "\n\n".join(failures)


def _summary(exc: BaseException) -> str:
    """The first lines of a failure: its kind, status and the request that reproduces it."""
    text = str(exc) if not isinstance(exc, BaseExceptionGroup) else "; ".join(
        str(e).strip()[:600] for e in exc.exceptions)
    return text[:1200]
