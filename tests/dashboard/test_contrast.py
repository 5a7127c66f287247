"""Readable and labelled (issue 14, finding 9), on every page of every role. Every visible
form field has a label or an accessible name (a placeholder alone is not one: it vanishes as
the user types). Text on buttons, badges and pills has a WCAG contrast >= 4.5:1 between its
computed colour and the background it is drawn on (its own, else its ancestors',
translucent layers composited)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboard.conftest import OpenDash, Stack
from tests.support.browser import open_page
from tests.support.stack import staff_report

pytestmark = pytest.mark.broker

CONTRAST = """() => {
  const parse = (s) => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg; };
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => {
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const out = [];
  for (const el of document.querySelectorAll('button, .btn, .badge, .pill, #nav a, .alarm-badge')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || !el.textContent.trim()) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (el.disabled) continue;  // WCAG exempts inactive controls
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const text = el.textContent.trim().slice(0, 30);
    out.push({ text, cls: el.className, ratio: (a + 0.05) / (b + 0.05) });
  }
  return out;
}"""


UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter((el) => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.type === 'hidden' || el.type === 'file') return false;
    return !((el.labels && el.labels.length) || el.getAttribute('aria-label')
             || el.getAttribute('aria-labelledby') || el.title);
  }).map((el) => `${el.tagName}:${el.dataset.testid || el.name || el.placeholder}`)"""


@pytest.fixture(scope="module")
def alerts_of_every_severity(stack: Stack) -> None:
    staff_report(stack.gw, stack.api, {"site": "station-1", "category": "injury",
                                       "description": "摔倒", "person": "张某"})  # fmt: skip


@pytest.mark.usefixtures("alerts_of_every_severity")
@pytest.mark.parametrize("role", ["supervisor", "desk", "bureau", "admin"])
def test_text_on_buttons_and_badges_is_readable(open_dash: OpenDash, role: str) -> None:
    page = open_dash(role=role, page="alerts", viewport=(1280, 800), lang="en")
    ids = page.locator("#nav a").evaluate_all("els => els.map(e => e.dataset.page)")
    low: list[dict[str, Any]] = []
    unlabelled: list[str] = []
    checked = 0
    for pid in ids:
        open_page(page, pid)
        page.wait_for_timeout(200)  # the page's first data
        unlabelled += [f"{pid} {x}" for x in page.evaluate(UNLABELLED)]
        found = page.evaluate(CONTRAST)
        checked += len(found)
        low += [{**f, "page": pid} for f in found if f["ratio"] < 4.5]
    assert checked > 20, checked  # buttons and badges were really measured
    assert not low, low
    assert not unlabelled, unlabelled
