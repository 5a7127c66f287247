"""Screenshots of the running demo for the README: `python -m tools.demo_screenshots`.

Starts `stationkit demo` (embedded broker, gateway, simulated intake desk, synthetic foster-home
camera), lets it run until there are checks, alerts and camera events, then logs in through
the login form as the printed demo users and captures each page in headless Chromium
(Debian's chromium, no download) into docs/screenshots/demo-*.png.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.browser import launch
from tests.support.net import free_port

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SHOTS = [  # (user, page hash, file name, viewport)
    ("demo-desk", "desk", "demo-desk", (1024, 600)),
    ("demo-supervisor", "alerts", "demo-alerts", (1440, 900)),
    ("demo-supervisor", "cameras", "demo-cameras", (1440, 900)),
    ("demo-admin", "nodes", "demo-nodes", (1440, 900)),
    ("demo-bureau", "reports", "demo-reports", (1440, 900)),
    ("demo-admin", "audit", "demo-audit", (1440, 900)),
]


def main() -> None:
    http, mqtt = free_port(), free_port()
    with tempfile.TemporaryDirectory() as state:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "firmware_py.cli", "demo"),
                *("--http", f"127.0.0.1:{http}", "--mqtt-port", str(mqtt)),
                *("--state", state, "--rate", "20"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert proc.stdout is not None
            banner = ""
            while "Bearer" not in banner:
                banner += proc.stdout.readline()
            passwords = dict(re.findall(r"(demo-\w+) / (\S+)", banner))
            token = re.search(r"Bearer …\): (\S+)", banner).group(1)  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{http}"
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:  # enough to look at: checks and an alert
                alerts = httpx.get(
                    f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}
                ).json()["items"]
                if len(alerts) >= 2:
                    break
                time.sleep(5)
            with launch() as browser:
                for user, page_id, name, (w, h) in SHOTS:
                    ctx = browser.new_context(
                        viewport={"width": w, "height": h},
                        locale="zh-CN",
                    )
                    page = ctx.new_page()
                    page.goto(base + "/")
                    page.fill('[data-testid="login-user"]', user)
                    page.fill('[data-testid="login-pass"]', passwords[user])
                    page.click('[data-testid="login-submit"]')
                    page.wait_for_selector(f'[data-testid="nav-{page_id}"]')
                    page.goto(f"{base}/#/{page_id}")
                    page.wait_for_timeout(2500)
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    print(f"{name}.png")
                    ctx.close()
        finally:
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    main()
