"""Cameras page and API against a real camera node (synthetic source) through Mosquitto and
the gateway: the wall shows the covered camera as tampered with its snapshot and overlays, a
click opens the live MJPEG view and frames arrive, the timeline opens the stored snapshot, and
every view (live and recorded) is in the audit table."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from devices.camera.synthetic import SyntheticSource
from firmware_py.agent import NodeAgent
from firmware_py.camera.app import CameraApp
from firmware_py.camera.config import CameraNodeConfig
from gateway.auth.users import create_user
from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.support.browser import Pages
from tests.support.net import wait_for
from tests.support.stack import node_agent

pytestmark = pytest.mark.broker
Shot = Callable[[Page, str], Path]

LAYOUT = {
    "zones": [{"id": "beds", "polygon": [[0.1, 0.4], [0.9, 0.4], [0.9, 1.0], [0.1, 1.0]]}],
    "lines": [{"id": "door", "a": [0.8, 0.5], "b": [0.8, 1.0], "in_side": "right"}],
}


@pytest.fixture(scope="module")
def camera_node(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[NodeAgent, SyntheticSource]]:
    """A camera node whose lens gets covered: a tamper event with a snapshot and a clip."""
    source = SyntheticSource(width=320, height=240, fps=10, seed=1)
    config = CameraNodeConfig.model_validate(
        {
            "cameras": [
                {
                    "id": "room-1",
                    "source": {"kind": "synthetic"},
                    "analysis_width_px": 320,
                    "analysis": {
                        "detector": "none",
                        "tamper": {"learn_s": 0.5, "covered_after_s": 0.5, "clear_after_s": 0.5},
                    },
                }
            ],
            "clips": {"pre_s": 0.5, "post_s": 0.5},
        }
    )
    app = CameraApp(config, sources={"room-1": source})
    tmp = tmp_path_factory.mktemp("camnode")
    agent = node_agent(stack.broker, "home-1", "cam-node", tmp / "outbox.db", apps=[app])
    agent.start()
    try:
        wait_for(lambda: agent.bus.connected, 10, "camera node connected")
        wait_for(
            lambda: stack.api.get("/api/v1/events", kind="camera")["items"], 10, "camera online"
        )
        source.cover()

        def clip_stored() -> bool:
            items = stack.api.get("/api/v1/cameras/home-1/cam-node/room-1/events")["items"]
            return any(
                {m["kind"] for m in e["media"]} >= {"jpeg", "avi"}
                for e in items
                if e["kind"] == "tamper" and e["data"]["reason"] == "covered"
            )

        try:
            wait_for(clip_stored, 15, "tamper snapshot and clip stored")
        except AssertionError:
            print(stack.api.get("/api/v1/cameras/home-1/cam-node/room-1/events"))
            raise
        r = stack.api.client.put("/api/v1/cameras/home-1/cam-node/room-1/layout", json=LAYOUT)
        r.raise_for_status()
        yield agent, source
    finally:
        agent.stop()


def _audit(db: Path, action: str, actor: str) -> list[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT target, detail FROM audit WHERE action=? AND actor=?", (action, actor)
        ).fetchall()
    finally:
        con.close()


def test_camera_api_health_snapshot_layout_and_audited_media(
    stack: Stack, camera_node: tuple[NodeAgent, SyntheticSource]
) -> None:
    sup = {"Authorization": f"Bearer {stack.token('supervisor', 'sup-api')}"}
    desk = {"Authorization": f"Bearer {stack.token('desk', 'desk-api')}"}
    r = httpx.get(f"{stack.base}/api/v1/cameras", headers=sup)
    assert r.status_code == 200
    [cam] = r.json()["items"]
    assert (cam["site"], cam["node"], cam["camera"]) == ("home-1", "cam-node", "room-1")
    assert cam["health"] == "tampered" and cam["tamper"] == ["covered"]
    assert cam["snapshot"]["kind"] == "tamper"
    assert 0 <= cam["last_frame_age_s"] < 60
    assert cam["zones"] == LAYOUT["zones"] and cam["lines"] == LAYOUT["lines"]
    assert cam["live_url"] == "/live/home-1/cam-node/room-1.mjpg"
    # the desk may not see cameras, nor fetch media, nor set layouts; supervisors not layouts
    assert httpx.get(f"{stack.base}/api/v1/cameras", headers=desk).status_code == 403
    assert httpx.get(f"{stack.base}{cam['snapshot']['url']}", headers=desk).status_code == 403
    layout_url = f"{stack.base}/api/v1/cameras/home-1/cam-node/room-1/layout"
    assert httpx.put(layout_url, json=LAYOUT, headers=sup).status_code == 403
    bad = {"zones": [{"id": "x", "polygon": [[0, 0], [2, 0], [0, 1]]}]}
    assert stack.api.client.put(layout_url, json=bad).status_code == 422
    # the snapshot is a JPEG, the clip an AVI; both fetches are audited with who and what
    snap = httpx.get(f"{stack.base}{cam['snapshot']['url']}", headers=sup)
    assert snap.status_code == 200 and snap.content[:3] == b"\xff\xd8\xff"
    events = httpx.get(
        f"{stack.base}/api/v1/cameras/home-1/cam-node/room-1/events", headers=sup
    ).json()["items"]
    clip = next(m for e in events for m in e["media"] if m["kind"] == "avi")
    got = httpx.get(f"{stack.base}{clip['url']}?download=1", headers=sup)
    assert got.status_code == 200 and got.content[:4] == b"RIFF"
    assert got.headers["content-disposition"].startswith("attachment")
    rows = _audit(stack.db_path, "media_view", "sup-api")
    assert len(rows) == 2
    assert all(t.startswith("home-1/cam-node/room-1/") for t, _ in rows)
    assert (
        httpx.get(
            f"{stack.base}/api/v1/media/01AAAAAAAAAAAAAAAAAAAAAAAA/1", headers=sup
        ).status_code
        == 404
    )


def test_wall_live_view_timeline(
    stack: Stack, camera_node: tuple[NodeAgent, SyntheticSource], open_dash: OpenDash, shot: Shot
) -> None:
    page = open_dash(role="supervisor", page="cameras", viewport=(1280, 800), name="sup-wang")
    tile = page.locator('[data-testid="camera-tile"][data-camera="home-1/cam-node/room-1"]')
    assert tile.get_attribute("data-health") == "tampered"
    # the snapshot loaded (through the audited media route) and the overlay has the layout
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=camera-tile] img');"
        " return i && i.naturalWidth > 0; }"
    )
    assert tile.locator('polygon[data-zone="beds"]').count() == 1
    assert tile.locator('line[data-line="door"]').count() == 1
    assert "秒前" in tile.locator('[data-testid="frame-age"]').inner_text()
    shot(page, "cameras-wall")
    page.fill('[data-testid="live-reason"]', "night round")
    tile.click()
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=live-img]');"
        " return i && i.naturalWidth > 0 && Number(i.dataset.frames) >= 3; }",
        timeout=15_000,
    )
    assert page.get_attribute('[data-testid="live-state"]', "data-state") == "live"
    page.locator('[data-testid="show-snapshot"]').first.click()
    page.wait_for_function(
        "() => { const i = document.querySelector('.cam-timeline img');"
        " return i && i.naturalWidth > 0; }"
    )
    shot(page, "cameras-live")
    # the tamper's clip plays in the page (MJPG AVI: no browser's <video> plays it): its
    # frames advance at the clip's rate, and the fetch is audited like any media view
    page.locator('[data-testid="play-clip"]').first.click()
    player = page.get_by_test_id("clip-player").first
    player.wait_for()
    assert int(player.get_attribute("data-frames") or 0) >= 3
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=clip-frame]');"
        " return i && i.naturalWidth > 0 && Number(i.dataset.frame) >= 2; }",
        timeout=10_000,
    )
    shot(page, "cameras-clip")
    starts = _audit(stack.db_path, "live_view_start", "sup-wang")
    assert [t for t, _ in starts] == ["home-1/cam-node/room-1"]
    assert "night round" in starts[0][1]
    page.click('[data-testid="back"]')  # leaving the camera ends the live view
    wait_for(lambda: len(_audit(stack.db_path, "live_view_end", "sup-wang")) == 1, 10, "view ended")
    # the wall fetched the snapshot once (audited); the timeline shows the same image again
    # from the page's memory, not a second download; the clip is the second media view
    assert len(_audit(stack.db_path, "media_view", "sup-wang")) == 2
    # the lens is uncovered: the tamper clears and the wall follows without a reload
    camera_node[1].cover(False)
    page.wait_for_selector('[data-testid="camera-tile"][data-health="online"]', timeout=15_000)
    assert page.errors == []  # type: ignore[attr-defined]


def test_live_view_with_a_password_session(
    stack: Stack, camera_node: tuple[NodeAgent, SyntheticSource], pages: Pages
) -> None:
    """Staff log in with a password (cookie session, no bearer token): the live view and the
    snapshot still load, and the view is audited under the user's name."""
    db = connect(stack.db_path)
    try:
        create_user(db, "sup-xu", "supervisor", "live view password")
    finally:
        db.conn.close()
    page = pages.new((1024, 600))
    page.goto(f"{stack.base}/")
    page.fill('[data-testid="login-user"]', "sup-xu")
    page.fill('[data-testid="login-pass"]', "live view password")
    page.click('[data-testid="login-submit"]')
    page.wait_for_selector('section[data-page][data-ready="1"]')
    assert page.evaluate("localStorage.getItem('sk_token')") is None
    page.goto(f"{stack.base}/#/cameras/home-1/cam-node/room-1")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=live-img]');"
        " return i && i.naturalWidth > 0 && Number(i.dataset.frames) >= 2; }",
        timeout=15_000,
    )
    assert [t for t, _ in _audit(stack.db_path, "live_view_start", "sup-xu")] == [
        "home-1/cam-node/room-1"
    ]
    assert page.errors == []  # type: ignore[attr-defined]
