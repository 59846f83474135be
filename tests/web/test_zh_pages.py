"""Every page a person reaches from the navigation, in Chinese, as each demo role: no developer English.

The walk logs in through the login form as each role of the demo (office administrator, reviewer, a
unit's member, a provider's operator) and anonymously, follows every same-site link of the navigation
and of the pages it reaches (to depth 2), and reads each HTML page's visible text for what a Chinese
user must never see: amounts in fen, raw role keys, English error sentences, the 'extractive' answer
mode, doubled labels, times in UTC or with seconds' fractions. It also checks that a planted time is
shown in Beijing time. Pages answer 2xx (or a redirect); a 5xx fails at once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from tests.clients import CsrfClient
from yuzhi.db import transaction
from yuzhi.demo import PASSWORD

ROLES = ["office", "reviewer", "yutong", "sc-zhengzhou", None]

#: (pattern, why) — things a zh page must not show in its visible text
FORBIDDEN = [
    (re.compile(r"\bfen\b", re.I), "an amount in fen"),
    (re.compile(r"\b(office_admin|office_reviewer|provider_operator)\b"), "a raw role key"),
    (re.compile(r"回答方式\s*[:：]\s*extractive|\bextractive\b"), "the answer mode as a code"),
    (re.compile(r"公示\s*\(公示\)"), "a doubled label"),
    (re.compile(r"\bname/value/example\b"), "developer column names"),
    (re.compile(r"\d{2}:\d{2}(:\d{2})?\s*UTC\b|\+00:00|\d{2}:\d{2}:\d{2}\.\d{3,}"), "a time in UTC or with fractions"),
    (re.compile(r"credentials printed by|Traceback|exceeds the maximum approvable"), "developer text"),
    (re.compile(r"\{\{|\}\}|\{[a-z_]+\}"), "an unfilled template placeholder"),
    # the dictionary check: an English sentence (three or more English words in a row) or a column
    # heading left in English; product names, units and codes people type are allowed (ALLOWED)
    (re.compile(r"(?<![\w./-])[A-Za-z]{2,}(?:[ ,]+(?:[A-Za-z]{2,}))(?:[ ,]+[A-Za-z]{2,})+(?![\w./-])"),
     "an English sentence"),
    (re.compile(r"(?<![\w./-])(name|value|example|prefix|busy|changeover|idle|browser|shared|good images)"
                r"(?![\w./-])"), "an English label"),
]

#: English that a zh page may show: the product's name, the footer, command lines, units, demo data
ALLOWED = re.compile(r"豫智 yuzhi · offline · API|yuzhi [a-z]+ [a-z]+|\b(CPU|GPU|PFLOPS|FP16|API|USCC)\b")

#: links not to follow: actions that change state or files to download
SKIP = re.compile(r"/logout|/export|\.csv|\.xlsx|\.json|/download|/docs|/openapi|/static/|/metrics|/api/")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _client(app, username: str | None) -> CsrfClient:  # type: ignore[no-untyped-def]
    c = CsrfClient(app, follow_redirects=False)
    c.cookies.set("lang", "zh")
    if username:
        r = c.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
    return c


def _walk(c: CsrfClient, start: str = "/", depth: int = 2, limit: int = 120) -> dict[str, str]:
    seen: dict[str, str] = {}
    frontier = [start]
    for _ in range(depth + 1):
        nxt: list[str] = []
        for url in frontier:
            if url in seen or len(seen) >= limit:
                continue
            r = c.get(url)
            assert r.status_code < 500, (url, r.status_code, r.text[:300])
            if r.status_code in (301, 302, 303, 307):
                nxt.append(urlsplit(urljoin(url, r.headers["location"])).path)
                seen[url] = ""
                continue
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            p = _Page()
            p.feed(r.text)
            seen[url] = " ".join(p.text)
            for href in p.links:
                parts = urlsplit(urljoin(url, href))
                if parts.netloc or SKIP.search(parts.path) or "lang=" in parts.query:
                    continue
                nxt.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        frontier = nxt
    return seen


@pytest.fixture(scope="module")
def demo_app(_migrated_engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    from tests.conftest import demo_world
    from yuzhi.web.app import create_app

    with demo_world(_migrated_engine, tmp_path_factory.mktemp("home")) as engine:
        yield create_app(engine), engine


@pytest.mark.parametrize("username", ROLES)
def test_zh_pages_have_no_developer_text(demo_app, username):  # type: ignore[no-untyped-def]
    app, _ = demo_app
    c = _client(app, username)
    pages = _walk(c)
    assert len(pages) >= 3, pages.keys()
    problems = []
    for url, text in pages.items():
        text = ALLOWED.sub(" ", text)
        for pattern, why in FORBIDDEN:
            m = pattern.search(text)
            if m:
                s = max(0, m.start() - 40)
                problems.append(f"{url}: {why}: …{text[s:m.end() + 40]}…")
    assert not problems, "\n".join(problems)


def test_disclosure_deadline_in_beijing_time(demo_app):  # type: ignore[no-untyped-def]
    """A quota on disclosure until 23:30 UTC shows the next day at 07:30 (北京时间), to the minute."""
    from yuzhi.vouchers.models import QuotaApplication

    app, engine = demo_app
    with transaction(engine) as s:
        a = s.scalars(select(QuotaApplication).where(QuotaApplication.status == "disclosure")).first()
        assert a is not None
        a.disclosure_until = datetime(2026, 12, 9, 23, 30, 12, 345678, tzinfo=UTC)
        app_id = a.id
    text = _walk(_client(app, "office"), f"/vouchers/applications/{app_id}", depth=0)[
        f"/vouchers/applications/{app_id}"]
    assert "2026-12-10 07:30" in text and "23:30" not in text and "北京时间" in text
    public = _walk(_client(app, None), "/vouchers/disclosure", depth=0)["/vouchers/disclosure"]
    assert "2026-12-10 07:30" in public
