"""Every page of the navigation, in Chromium, as each role, in zh and en, on a desktop and a phone.

One browser and one server for the whole walk (the CI budget): the demo year is loaded once, then for
each role (office administrator, reviewer, a unit's member, a provider's operator, anonymous) and each
of 1280×800 and 390×844 and zh/en the walk opens every link of that role's navigation and checks:

* the page and everything it loads answer below 400 (no 4xx/5xx behind the scenes);
* no request leaves the machine (anything not to the test server is blocked and reported);
* the page body is no wider than the window (no sideways scrolling on a phone);
* on a phone the menu is folded behind the toggle and opens with it;
* times are never shown in UTC, as ``+00:00`` or with fractions of a second (Beijing time, 15A's
  display); on zh pages no English sentence (an untranslated key) is left in the visible text.

Screenshots (the first screen) of every zh page land in ``out/screens/<role>-<width>-<page>.png``
(git-ignored) for a person to look at; CI keeps them as artifacts; README's pictures come from them.
Needs Debian's Chromium (skipped with the reason).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import ARGS, CHROMIUM, free_port, needs_chromium
from yuzhi.demo import PASSWORD

pytestmark = needs_chromium

ROLES = ["office", "reviewer", "yutong", "sc-zhengzhou", None]
SIZES = {"desk": (1280, 800), "phone": (390, 844)}
OUT = Path(__file__).resolve().parents[2] / "out" / "screens"

#: times a person must never see: UTC, an explicit +00:00 offset, fractions of a second
BAD_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?\s*UTC\b|\d{2}:\d{2}(:\d{2})?\+00:00|\d{2}:\d{2}:\d{2}\.\d{3,}")
#: an English sentence (three or more English words in a row) on a zh page: a key nobody translated
SENTENCE = re.compile(r"(?<![\w./@-])[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}(?![\w./@-])")
#: English a zh page may show: the product's name, the footer, command lines, units, codes
ALLOWED = re.compile(r"豫智 yuzhi · offline · API|yuzhi [a-z-]+(?: [a-z-]+)*|\b(CPU|GPU|PFLOPS|FP16|API|USCC|OK|NG)\b")
#: a date-time shown to a person; the page must then say its zone once (北京时间 / Beijing time / +08:00)
SHOWN_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}\b")
ZONE = re.compile(r"北京时间|北京時間|Beijing time|[+]08:00|UTC[+]8")
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Chinese an en page may show without English beside it: the bilingual brand, law and document titles in
#: 《》, the language switch (中); proper names of the demo are recognised by :data:`NAME`
EN_ALLOWED = re.compile(r"豫智|《[^》]*》|^中$|^中文$")
#: the page's own words (not data): headings, labels, buttons, menu, table heads, hints
CHROME = "h1, h2, th, label, button, summary, legend, header nav a, .hint, .empty, footer"
#: nav targets not to open as pages: downloads, API, machine endpoints
SKIP = re.compile(r"/logout|/export|\.csv|\.xlsx|\.json|/download|/openapi|/static/|/metrics|/api/")


@pytest.fixture(scope="module")
def demo_server(_migrated_engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo year served by uvicorn once for the whole module."""
    import uvicorn

    from tests.conftest import demo_world
    from yuzhi.web.app import create_app

    with demo_world(_migrated_engine, tmp_path_factory.mktemp("home")) as engine:
        app = create_app(engine)
        port = free_port()
        srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not srv.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start within 15 s"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
        srv.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """Collects, per page, what went wrong behind the scenes: failed answers and requests to elsewhere."""

    def __init__(self, context, base: str) -> None:  # type: ignore[no-untyped-def]
        self.base = base
        self.bad: list[str] = []
        self.outside: list[str] = []
        context.route(lambda url: not url.startswith(base) and not url.startswith(("data:", "blob:", "about:")),
                      self._block)
        context.on("response", self._response)

    def _block(self, route) -> None:  # type: ignore[no-untyped-def]
        self.outside.append(route.request.url)
        route.abort()

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400:
            self.bad.append(f"{response.status} {response.url}")


def _login(page, base: str, username: str | None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    if username is None:
        return
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_test_id("who").count() == 1, f"{username} could not log in"


def _nav_links(page, base: str) -> list[str]:  # type: ignore[no-untyped-def]
    hrefs = page.eval_on_selector_all("header nav a[href]", "els => els.map(e => e.getAttribute('href'))")
    out: list[str] = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc or SKIP.search(parts.path) or href in out:
            continue
        out.append(href)
    return out


def _goto(page, url: str):  # type: ignore[no-untyped-def]
    """Open ``url``; once more if the page before it reloaded itself at that moment (the knowledge base's
    progress page refreshes every 3 s while indexing, which aborts a navigation that starts then)."""
    from playwright.sync_api import Error

    try:
        return page.goto(url, wait_until="load")
    except Error as exc:
        if "ERR_ABORTED" not in str(exc):
            raise
        return page.goto(url, wait_until="load")


def _chinese_only(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Texts of the page's own words (headings, labels, buttons, menu, hints) written in Chinese only:
    a key nobody translated. An element with English beside its Chinese is a deliberate gloss."""
    texts = page.eval_on_selector_all(CHROME, "els => els.map(e => e.innerText.trim()).filter(t => t)")
    out = []
    for t in dict.fromkeys(texts):
        rest = EN_ALLOWED.sub("", t)
        if CJK.search(rest) and not re.search(r"[A-Za-z]{2,}", rest) and not _is_data(rest):
            out.append(t[:60])
    return out[:5]


def _is_data(text: str) -> bool:
    """A proper name or a value (no UI words): organisation/provider names and cities from the demo."""
    return bool(NAME.search(text))


#: what proper names of the demo end or contain (organisations, providers, places)
NAME = re.compile(r"公司|中心|大学|学院|研究院|研究所|集团|工厂|[市省县区]$|银行|科技|有限|大模型|方案|办法|条例|通知|"
                  r"先生|女士|机架")


def _slug(href: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", href.strip("/")) or "home"


@pytest.mark.parametrize("username", ROLES)
def test_every_nav_page_in_both_languages_on_desk_and_phone(demo_server, browser, username):  # type: ignore[no-untyped-def]
    base = demo_server
    problems: list[str] = []
    visited = 0
    for size_name, (w, h) in SIZES.items():
        for lang in ("zh", "en"):
            context = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN")
            context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            watch = Watch(context, base)
            page = context.new_page()
            _login(page, base, username)
            links = [*_nav_links(page, base), "/login" if username is None else "/account"]
            assert len(links) >= 2, (username, links)
            if size_name == "phone":
                nav = page.locator("header nav")
                assert not nav.is_visible(), f"{username}: the phone menu is open before it is asked for"
                page.get_by_test_id("nav-toggle").click()
                assert nav.is_visible(), f"{username}: the menu toggle does not open the phone menu"
            for href in dict.fromkeys(links):
                watch.bad.clear()
                where = f"{username or 'anonymous'} {size_name} {lang} {href}"
                resp = _goto(page, base + href)
                visited += 1
                if resp is None or resp.status >= 400:
                    problems.append(f"{where}: answered {resp.status if resp else 'nothing'}")
                problems += [f"{where}: behind the scenes {b}" for b in watch.bad]
                sw, cw = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                if sw > cw + 1:
                    wide = page.evaluate(
                        "(() => { const cw = document.documentElement.clientWidth; const out = [];"
                        " for (const e of document.querySelectorAll('body *')) { const r = e.getBoundingClientRect();"
                        " if (r.right > cw + 1 && getComputedStyle(e).position !== 'fixed') out.push(e.tagName + "
                        "(e.className ? '.' + String(e.className).split(' ')[0] : '') + ' ' + Math.round(r.right));"
                        " if (out.length > 4) break; } return out.join(', '); })()")
                    problems.append(f"{where}: body {sw}px wider than the {cw}px window ({wide})")
                text = page.inner_text("body")
                m = BAD_TIME.search(text)
                if m:
                    problems.append(f"{where}: a time not in Beijing time: {m.group(0)!r}")
                m = SHOWN_TIME.search(text)
                if m and not ZONE.search(text):
                    problems.append(f"{where}: times like {m.group(0)!r} without saying Beijing time (+08:00)")
                if lang == "en":
                    problems += [f"{where}: Chinese-only text on an en page: {t!r}" for t in _chinese_only(page)]
                if lang == "zh":
                    m = SENTENCE.search(ALLOWED.sub(" ", text))
                    if m:
                        problems.append(f"{where}: English left on a zh page: {m.group(0)!r}")
                    OUT.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(OUT / f"{username or 'anonymous'}-{w}-{_slug(href)}.png"))  # first screen
            assert not watch.outside, f"requests left the machine: {watch.outside[:5]}"
            context.close()
    assert visited >= 8
    assert not problems, "\n".join(problems)
