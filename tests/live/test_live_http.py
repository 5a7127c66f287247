"""Live view end to end: camera node → relay → FastAPI (uvicorn, real HTTP) → MJPEG client.

The MQTT leg is replaced by direct calls (the node's publish_live feeds relay.on_frame; the
relay's publish_cmd calls the node's handle_command): the lead's agent and ingest carry
them over Mosquitto in production.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from devices.camera.media import decode_jpeg
from devices.camera.synthetic import SyntheticSource
from devices.contract.codec import new_id
from devices.contract.models import Command
from firmware_py.camera.app import CameraApp
from firmware_py.camera.config import CameraNodeConfig
from firmware_py.doubles import RecordingContext
from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.api.routes.live import router
from gateway.auth.tokens import create_token
from gateway.live.relay import LiveRelay, Viewer
from gateway.store.db import open_store
from tests.support.mjpeg import mjpeg_parts
from tests.support.net import free_port, wait_for, wait_port

SITE, NODE = "home-7", "cam-node-1"


def read_parts(resp: httpx.Response, n: int, while_open=lambda: None) -> list[bytes]:
    """The first `n` JPEG parts of a multipart/x-mixed-replace body; `while_open()` runs
    after the n-th part, before the stream is left (leaving it closes the connection)."""
    parts = []
    for part in mjpeg_parts(resp):
        parts.append(part)
        if len(parts) == n:
            while_open()
            return parts
    return parts


@pytest.fixture
def system(tmp_path):
    config = CameraNodeConfig.model_validate(
        {
            "cameras": [
                {"id": "room-1", "source": {"kind": "synthetic"}, "analysis": {"detector": "none"}}
            ]
        }
    )
    source = SyntheticSource(name="room-1", width=640, height=480, fps=15, realtime=True)
    node = CameraApp(config, sources={"room-1": source})
    ctx = RecordingContext(SITE, NODE)
    acks: list[tuple[str, object]] = []  # the node's answers to the relay's commands

    def publish_cmd(site: str, node_id: str, action: str, args: dict) -> None:
        assert (site, node_id) == (SITE, NODE)
        cmd = Command(id=new_id(), action=action, args=args, ts=datetime.now(UTC))
        acks.append((action, node.handle_command(cmd)))

    relay = LiveRelay(publish_cmd, live_args={"width_px": 320, "fps": 10})
    ctx.publish_live = lambda camera, jpeg: relay.on_frame(SITE, NODE, camera, jpeg)  # type: ignore[method-assign]

    # /live/sessions (who watches what) needs a supervisor of the gateway's own auth
    db_path = tmp_path / "gateway.db"
    supervisor_token = create_token(open_store(db_path), "sup", "supervisor")

    def authorise(request: Request, site: str, node_id: str, camera: str) -> Viewer | None:
        user = request.headers.get("x-user")
        return (
            Viewer(user, address=request.client.host if request.client else None)
            if user in {"alice", "bob"}
            else None
        )

    app = FastAPI()
    app.include_router(router)
    app.state.context = GatewayContext(db_path, live_relay=relay, live_authorise=authorise)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_port(port)
    node.start(ctx)
    yield f"http://127.0.0.1:{port}", relay, acks, node, supervisor_token
    node.stop()
    server.should_exit = True
    thread.join(5)


def test_viewer_gets_live_jpeg_frames_through_the_gateway(system):
    base, relay, acks, node, token = system
    url = f"{base}/live/{SITE}/{NODE}/room-1.mjpg"
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "GET", url, params={"reason": "night check"}, headers={"x-user": "alice"}
        ) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("multipart/x-mixed-replace")
        seen = {}

        def look() -> None:
            seen["live"] = node.stats()["room-1"]["live"]
            assert client.get(f"{base}/live/sessions").status_code == 401
            auth = {"Authorization": f"Bearer {token}"}
            seen["sessions"] = client.get(f"{base}/live/sessions", headers=auth).json()

        parts = read_parts(resp, 5, look)
        assert len(parts) == 5
        assert decode_jpeg(parts[0]).shape == (240, 320, 3)  # the size the relay asked
    assert seen["live"]
    assert [(s["user"], s["camera"], s["reason"]) for s in seen["sessions"]] == [
        ("alice", "room-1", "night check")
    ]
    wait_for(lambda: relay.views[0].ended_at is not None, 5, "view end recorded")
    wait_for(lambda: len(acks) == 2, 5, "live_stop acknowledged")
    assert not node.stats()["room-1"]["live"]
    assert [a for a, _ in acks] == ["live_start", "live_stop"]
    assert all(result == (True, None) for _, result in acks)
    view = relay.views[0]
    assert (view.user, view.site, view.node, view.camera) == ("alice", SITE, NODE, "room-1")
    assert view.frames >= 5 and view.address == "127.0.0.1"


def test_unauthorised_viewer_is_refused_and_node_not_started(system):
    base, relay, acks, _, _ = system
    r = httpx.get(f"{base}/live/{SITE}/{NODE}/room-1.mjpg", headers={"x-user": "mallory"})
    assert r.status_code == 403
    r = httpx.get(f"{base}/live/{SITE}/{NODE}/Room 1.mjpg", headers={"x-user": "alice"})
    assert r.status_code == 404
    assert relay.views == [] and acks == []


def test_live_without_an_authoriser_asks_for_the_gateways_logins(tmp_path):
    """No authoriser given: the API's own credentials apply, so a stranger gets 401, never
    video of residents."""
    db_path = tmp_path / "gateway.db"
    open_store(db_path)
    app = create_app(GatewayContext(db_path, live_relay=LiveRelay(lambda *a: None)))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await client.get("/live/s1/n1/c1.mjpg")

    r = asyncio.run(get())
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
