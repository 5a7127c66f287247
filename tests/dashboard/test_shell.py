"""The dashboard shell in a real browser: static files, password and token login, logout,
navigation by role, the language switch (remembered), times in the site's zone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from playwright.sync_api import expect

from gateway.auth.users import create_user
from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.browser import Pages

PASSWORD = "correct horse battery 42"


def _user(stack: Stack, name: str, role: str) -> None:
    db = connect(stack.db_path)
    try:
        create_user(db, name, role, PASSWORD)
    finally:
        db.conn.close()


def test_static_files_have_module_types_and_stay_inside_the_folder(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        r = c.get("/")
        assert r.status_code == 200 and 'src="/static/app.js"' in r.text
        assert 'data-tz="Asia/Shanghai"' in r.text
        js = c.get("/static/app.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        assert c.get("/static/i18n/zh-CN.json").json()["nav.desk"] == "入站检视"
        assert c.get("/static/style.css").headers["content-type"].startswith("text/css")
        for bad in ("/static/../page.py", "/static/%2e%2e/page.py", "/static/nope.js"):
            assert c.get(bad).status_code == 404, bad
        # every page module the shell lists has its strings in both languages
        for lang in ("zh-CN", "en"):
            common = c.get(f"/static/i18n/{lang}.json").json()
            for page in ("desk", "people", "family", "faces", "nodes", "cameras", "alerts",
                         "reports", "audit", "users"):  # fmt: skip
                assert f"nav.{page}" in common
            for page in ("desk", "nodes", "faces"):
                strings = c.get(f"/static/i18n/pages/{page}.{lang}.json").json()
                assert strings and all(k.startswith(page + ".") for k in strings)
        zh = set(c.get("/static/i18n/zh-CN.json").json())
        en = set(c.get("/static/i18n/en.json").json())
        assert zh == en


def test_password_login_shows_the_user_and_logout_ends_the_session(
    stack: Stack, pages: Pages
) -> None:
    _user(stack, "wang", "desk")
    page = pages.new((1024, 600))
    page.goto(stack.base + "/")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.get_by_test_id("login-user").fill("wang")
    page.get_by_test_id("login-pass").fill("wrong password 1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")
    page.get_by_test_id("login-pass").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.locator('section[data-page="desk"][data-ready="1"]')).to_be_attached()
    expect(page.get_by_test_id("who")).to_contain_text("wang")
    expect(page.get_by_test_id("who")).to_contain_text("入站检视")
    expect(page.get_by_test_id("live")).to_have_attribute("data-state", "open")
    assert any(c["name"] == "sk_session" for c in page.context.cookies())
    # the session's CSRF token goes with changes made through the shell's api()
    saved = page.evaluate(
        "async () => (await import('/static/app.js')).api('/api/v1/me', "
        "{method: 'PATCH', body: {lang: 'zh-CN'}})"
    )
    assert saved["name"] == "wang" and saved["kind"] == "session"
    page.reload()  # the session survives a reload
    expect(page.locator('section[data-page="desk"][data-ready="1"]')).to_be_attached()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


def test_token_in_the_fragment_logs_in_and_leaves_the_address_bar(
    stack: Stack, pages: Pages
) -> None:
    token = stack.token("supervisor", "sup-frag")
    page = pages.new((1440, 900))
    page.goto(f"{stack.base}/#token={token}")
    expect(page.get_by_test_id("who")).to_contain_text("sup-frag")
    assert token not in page.url
    assert page.evaluate("localStorage.getItem('sk_token')") == token
    page.goto(f"{stack.base}/#/nodes")
    expect(page.locator('section[data-page="nodes"][data-ready="1"]')).to_be_attached()
    # a token that stops working sends the user back to the login screen
    page.evaluate("localStorage.setItem('sk_token', 'sk_bogus')")
    page.reload()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("login-error")).to_have_text("令牌无效。")
    # the login screen's token field
    page.locator("details.token-login summary").click()
    page.get_by_test_id("login-token").fill(token)
    page.get_by_test_id("login-token").press("Enter")
    expect(page.get_by_test_id("who")).to_contain_text("sup-frag")
    expect(page.locator('section[data-page="nodes"][data-ready="1"]')).to_be_attached()


def test_navigation_follows_the_role(open_dash: OpenDash) -> None:
    page = open_dash("admin", "nodes", viewport=(1440, 900))
    declared = page.evaluate(
        """async () => {
            const ids = (await import('/static/app.js')).PAGE_IDS;
            const out = {};
            for (const id of ids) out[id] = (await import(`/static/pages/${id}.js`)).default.roles;
            return out;
        }"""
    )
    assert set(declared) == {
        "desk", "people", "family", "faces", "nodes", "cameras", "alerts", "reports", "audit",
        "users",
    }  # fmt: skip
    assert declared["desk"] == ["desk", "admin"]
    assert set(declared["nodes"]) == {"desk", "supervisor", "bureau", "admin"}
    page.context.close()
    for role in ("desk", "supervisor", "bureau", "admin"):
        expected = {p for p, roles in declared.items() if role == "admin" or role in roles}
        page = open_dash(role, "nodes", viewport=(1440, 900))
        links = page.locator("#nav a").evaluate_all("els => els.map(e => e.dataset.page)")
        assert set(links) == expected, role
        if role != "admin":
            hidden = next(p for p in declared if p not in expected)
            page.goto(page.url.split("#")[0] + f"#/{hidden}")  # not for this role: go to first
            first = links[0]
            expect(page.locator(f'section[data-page="{first}"][data-ready="1"]')).to_be_attached()
            assert page.url.endswith(f"#/{first}")
        page.context.close()


def test_language_switch_changes_texts_and_is_remembered(open_dash: OpenDash) -> None:
    page = open_dash("admin", "nodes")
    expect(page.get_by_test_id("nav-desk")).to_have_text("入站检视")
    expect(page.locator("h2").first).to_have_text("节点与设备")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.get_by_test_id("lang").select_option("en")
    expect(page.get_by_test_id("nav-desk")).to_have_text("Intake desk")
    expect(page.locator('section[data-page="nodes"] h2').first).to_have_text("Nodes and devices")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.locator('section[data-page="nodes"][data-ready="1"]')).to_be_attached()
    expect(page.get_by_test_id("nav-nodes")).to_have_text("Nodes")
    page.get_by_test_id("lang").select_option("zh-CN")
    expect(page.get_by_test_id("nav-nodes")).to_have_text("节点设备")


def test_times_are_shown_in_the_site_zone_not_the_browsers(open_dash: OpenDash) -> None:
    page = open_dash("admin", "nodes")  # the browser runs in UTC (see tests/support/browser.py)
    shown = page.evaluate(
        "async () => (await import('/static/app.js')).fmtTime('2026-11-23T18:05:09Z', 'datetime')"
    )
    assert re.search(r"2026.11.24.*02:05:09", shown), shown
    day = page.evaluate(
        "async () => (await import('/static/app.js')).siteDay(new Date('2026-11-23T16:30:00Z'))"
    )
    assert day == "2026-11-24"


def test_the_live_stream_reconnects_and_pages_resync(stack: Stack, open_dash: OpenDash) -> None:
    page = open_dash("admin", "nodes")
    live = page.get_by_test_id("live")
    expect(live).to_have_attribute("data-state", "open")
    page.evaluate("async () => { const m = await import('/static/app.js'); window.__resyncs = 0; }")
    # count the page's reloads: each GET /api/v1/nodes after the stream comes back
    loads: list[str] = []
    page.on("request", lambda r: loads.append(r.url) if "/api/v1/nodes" in r.url else None)
    stack.gw.updates.close()  # the server ends every stream (as when the gateway stops)
    expect(live).to_have_attribute("data-state", "connecting")
    expect(live).to_have_attribute("data-state", "open", timeout=5000)
    page.wait_for_timeout(400)
    assert loads, "the nodes page did not reload after the stream came back"


STATIC = Path(__file__).resolve().parents[2] / "dashboard" / "static"
# keys built at run time: prefix -> the values the code puts after it
DYNAMIC = {
    "outcome.": [
        "cleared",
        "items_held",
        "fever_referral",
        "hypothermia_referral",
        "refused",
        "incomplete",
    ],
    "state.": ["online", "offline", "unknown"],
    "device.": ["ok", "fault", "unknown"],
    "role.": ["desk", "supervisor", "bureau", "admin"],
    "live.": ["open", "connecting", "closed"],
    "wand.": ["clear", "metal_found"],
    "desk.step.": [
        "gate",
        "wand",
        "temperature",
        "outcome",
        "passage",
        "gate_alarm",
        "remeasure",
        "timeout",
    ],
    "desk.item.": ["knife", "scissors", "lighter", "blade", "tool", "medicine", "rope", "glass"],
}


def test_every_string_the_shell_desk_and_nodes_use_exists_in_both_languages() -> None:
    used: set[str] = set()
    for name in ("app.js", "pages/desk.js", "pages/nodes.js", "index.html"):
        text = (STATIC / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
        used |= set(re.findall(r'data-i18n="([\w.]+)"', text))
        used |= set(re.findall(r"title_key: \"([\w.]+)\"", text))
    for prefix, values in DYNAMIC.items():
        used |= {prefix + v for v in values}
    assert len(used) > 100
    for lang in ("zh-CN", "en"):
        strings = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        for page in ("desk", "nodes"):
            path = STATIC / "i18n" / "pages" / f"{page}.{lang}.json"
            strings |= json.loads(path.read_text(encoding="utf-8"))
        missing = sorted(k for k in used if k not in strings)
        assert not missing, (lang, missing)
    zh = json.loads((STATIC / "i18n" / "pages" / "desk.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((STATIC / "i18n" / "pages" / "desk.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
