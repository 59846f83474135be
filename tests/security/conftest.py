"""A small two-tenant world for the security tests: an office admin and reviewer, a provider, and two
units (A and B), each with a logged-in bearer header, built through the real services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import PASSWORD, World, approved_quota, make_world
from yuzhi.db import transaction


@dataclass
class Callers:
    world: World
    headers: dict[str, dict[str, str]]  # role name -> Authorization header ({} for anonymous)


def login(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def callers(client, engine) -> Callers:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 10_000_00, contract="C-A")
        approved_quota(s, w, 1, 10_000_00, contract="C-B")
    headers = {"anonymous": {}, "member_a": login(client, "unit1"), "member_b": login(client, "unit2"),
               "provider": login(client, "provider"), "reviewer": login(client, "reviewer"),
               "office": login(client, "admin")}
    return Callers(w, headers)
