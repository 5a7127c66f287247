"""`stationkit demo` (the README's first command) runs broker, gateway and node by itself."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.demo import running_demo
from tests.support.net import free_port, wait_for

pytestmark = pytest.mark.slow  # starts `stationkit demo` as a process


def test_demo_serves_live_checks(tmp_path: Path) -> None:
    with running_demo(tmp_path, "--rate", "120", "--seconds", "30") as demo:
        token, banner, base = demo.token, demo.banner, demo.base
        assert token, f"no token in the demo's banner: {banner!r}"
        assert f"{base}/#token={token}" in banner  # docs/dashboard.md
        headers = {"Authorization": f"Bearer {token}"}

        def checks() -> list[object]:
            return list(httpx.get(f"{base}/api/v1/checks", headers=headers).json()["items"])

        wait_for(lambda: len(checks()) >= 2, 15, "simulated checks")
        assert httpx.get(f"{base}/api/v1/checks").status_code == 401
        # the printed demo users log in to the dashboard
        login = re.search(r"(demo-desk) / (\S+)", banner)
        assert login, banner
        with httpx.Client(base_url=base) as browser:
            r = browser.post(
                "/auth/login", json={"username": login.group(1), "password": login.group(2)}
            )
            assert r.status_code == 200 and r.json()["role"] == "desk"
            assert browser.get("/api/v1/me").json()["name"] == "demo-desk"
        # the foster-home camera node reports too
        wait_for(
            lambda: any(
                n["node"] == "home-1" and n["state"] == "online"
                for n in httpx.get(f"{base}/api/v1/nodes", headers=headers).json()["items"]
            ),
            15,
            "camera node online",
        )


def test_a_taken_port_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Issue 14, finding 10: with the dashboard's port taken the demo stops at once, says which
    port and how to choose another, instead of talking to the other program (401/501)."""
    import socket

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "firmware_py.cli", "demo", "--http", f"127.0.0.1:{port}",
             "--mqtt-port", str(free_port()), "--state", str(tmp_path), "--seconds", "5"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert proc.returncode != 0
    assert f"port {port} on 127.0.0.1 (dashboard and API) is already in use" in proc.stderr
    assert "--http 127.0.0.1:8090" in proc.stderr and "Traceback" not in proc.stderr
