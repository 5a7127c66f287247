"""Screenshots of the running demo: `python -m tools.demo_screenshots [--matrix]`.

Starts `stationkit demo` (embedded broker, gateway, simulated intake desk, synthetic foster-home
camera), lets it run until there are checks, alerts and camera events, then logs in through
the login form as the printed demo users and captures each page in headless Chromium
(Debian's chromium, no download) into docs/screenshots/demo-*.png (the README's).

`--matrix`: every page each role may open, at 390x844 (phone), 1024x600 (the desk
touchscreen) and 1920x1080, in zh-CN and en, as JPEG into docs/screenshots/pages/
(`{role}-{page}-{w}x{h}-{lang}.jpg`) with one contact sheet per role and size
(`sheet-{role}-{w}x{h}.jpg`) to look at them all at once.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.browser import launch
from tests.support.demo import running_demo

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
MATRIX = OUT / "pages"
ROLES = ("desk", "supervisor", "bureau", "admin")
SIZES = ((390, 844), (1024, 600), (1920, 1080))
LANGS = ("zh-CN", "en")
SHOTS = [  # (user, page hash, file name, viewport)
    ("demo-desk", "desk", "demo-desk", (1024, 600)),
    ("demo-supervisor", "alerts", "demo-alerts", (1440, 900)),
    ("demo-supervisor", "cameras", "demo-cameras", (1440, 900)),
    ("demo-admin", "nodes", "demo-nodes", (1440, 900)),
    ("demo-bureau", "reports", "demo-reports", (1440, 900)),
    ("demo-admin", "audit", "demo-audit", (1440, 900)),
]


def _login(browser: Any, base: str, user: str, password: str, size: tuple[int, int]) -> Any:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/")
    page.fill('[data-testid="login-user"]', user)
    page.fill('[data-testid="login-pass"]', password)
    page.click('[data-testid="login-submit"]')
    page.wait_for_selector('section[data-page][data-ready="1"]')
    return page


def _matrix(browser: Any, base: str, passwords: dict[str, str]) -> None:
    from PIL import Image

    MATRIX.mkdir(parents=True, exist_ok=True)
    for role in ROLES:
        for w, h in SIZES:
            shots: list[Path] = []
            page = _login(browser, base, f"demo-{role}", passwords[f"demo-{role}"], (w, h))
            ids = page.locator("#nav a").evaluate_all("els => els.map(e => e.dataset.page)")
            for lang in LANGS:
                page.select_option("#lang", lang)
                page.wait_for_selector('section[data-page][data-ready="1"]')
                for pid in ids:
                    page.goto(f"{base}/#/{pid}")
                    page.wait_for_selector(f'section[data-page="{pid}"][data-ready="1"]')
                    page.wait_for_timeout(1200)  # live data and images
                    path = MATRIX / f"{role}-{pid}-{w}x{h}-{lang}.jpg"
                    page.screenshot(path=str(path), type="jpeg", quality=70)
                    shots.append(path)
                    print(path.name)
            page.context.close()
            _sheet(Image, shots, MATRIX / f"sheet-{role}-{w}x{h}.jpg")


def _sheet(image: Any, shots: list[Path], out: Path, cols: int = 6, thumb_w: int = 320) -> None:
    """All of one role's pages at one size on one image, to look at them together."""
    thumbs = []
    for p in shots:
        with image.open(p) as im:
            ratio = thumb_w / im.width
            thumbs.append(im.convert("RGB").resize((thumb_w, int(im.height * ratio))))
    rows = (len(thumbs) + cols - 1) // cols
    cell_h = max(t.height for t in thumbs)
    sheet = image.new("RGB", (cols * thumb_w, rows * cell_h), "white")
    for i, t in enumerate(thumbs):
        sheet.paste(t, ((i % cols) * thumb_w, (i // cols) * cell_h))
    sheet.save(out, "JPEG", quality=70)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--matrix", action="store_true", help="every page, role, size and language")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as state, running_demo(state, "--rate", "20") as demo:
        token, base = demo.token, demo.base
        assert token, f"no token in the demo's banner: {demo.banner!r}"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # enough to look at: checks and an alert
            alerts = httpx.get(
                f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}
            ).json()["items"]
            if len(alerts) >= 2:
                break
            time.sleep(5)
        with launch() as browser:
            if args.matrix:
                _matrix(browser, base, demo.passwords)
                return
            for user, page_id, name, (w, h) in SHOTS:
                page = _login(browser, base, user, demo.passwords[user], (w, h))
                page.goto(f"{base}/#/{page_id}")
                page.wait_for_timeout(2500)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(f"{name}.png")
                page.context.close()


if __name__ == "__main__":
    main()
