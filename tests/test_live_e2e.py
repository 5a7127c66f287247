"""Live view end to end: camera node -> Mosquitto -> gateway relay -> HTTP MJPEG client, with
the node's stream started on the first viewer, stopped after the last, and the view audited."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from firmware_py.camera.app import CameraApp
from firmware_py.camera.config import CameraNodeConfig
from gateway.store.times import iso, parse
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, make_token, node_agent

pytestmark = pytest.mark.broker


def test_live_view_through_the_gateway(broker: Broker, tmp_path: Path) -> None:
    config = CameraNodeConfig.model_validate(
        {
            "cameras": [
                {
                    "id": "room-1",
                    "source": {"kind": "synthetic"},
                    "analysis_width_px": 320,
                    "analysis": {"detector": "none"},
                }
            ],
        }
    )
    app = CameraApp(config)
    with gateway(broker, tmp_path / "gw.db") as (gw, api):
        supervisor = make_token(gw, "sup-li", "supervisor")
        desk = make_token(gw, "desk-wang", "desk")
        agent = node_agent(broker, "home-1", "cam-node", tmp_path / "outbox.db", apps=[app])
        agent.start()
        try:
            wait_for(lambda: agent.bus.connected, 10, "camera node connected")
            url = f"{api.base}/live/home-1/cam-node/room-1.mjpg"
            assert httpx.get(url, headers={"Authorization": f"Bearer {desk}"}).status_code == 403
            assert httpx.get(url).status_code == 401
            jpegs = 0
            headers = {"Authorization": f"Bearer {supervisor}"}
            with httpx.stream(
                "GET", url, params={"reason": "night round"}, headers=headers, timeout=15
            ) as r:
                assert r.status_code == 200
                buf = b""
                for chunk in r.iter_bytes():
                    buf += chunk
                    jpegs = buf.count(b"\xff\xd8\xff")
                    if jpegs >= 3:
                        break
            assert jpegs >= 3
            con = sqlite3.connect(tmp_path / "gw.db")
            wait_for(
                lambda: (
                    con.execute(
                        "SELECT count(*) FROM audit WHERE action='live_view_end' "
                        "AND actor='sup-li' "
                        "AND target='home-1/cam-node/room-1'"
                    ).fetchone()[0]
                    == 1
                ),
                10,
                "view audited",
            )
            (detail,) = con.execute(
                "SELECT detail FROM audit WHERE action='live_view_end' AND actor='sup-li'"
            ).fetchone()
            con.close()
            times = json.loads(detail)
            # the detail's times in the store's one spelling (gateway/store/times.py)
            assert parse(times["started_at"]) <= parse(times["ended_at"])
            assert iso(parse(times["ended_at"])) == times["ended_at"]
        finally:
            agent.stop()
