"""GET /live/sessions answers within the caller's sites (issue 13, finding 7: it ignored site
scope, so a supervisor of one home saw who watched another home's cameras)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.live.relay import LiveRelay, Viewer
from gateway.store.db import open_store


def test_live_sessions_are_filtered_by_the_callers_sites(tmp_path: Path) -> None:
    relay = LiveRelay(lambda *_: None)
    loop = asyncio.new_event_loop()
    watching = threading.Event()
    stop = threading.Event()

    async def watch(site: str, user: str) -> None:
        async for _ in relay.frames(site, "cam-node", "room-1", Viewer(user), idle_timeout_s=30):
            pass

    async def run() -> None:
        tasks = [asyncio.create_task(watch("s1", "alice")), asyncio.create_task(watch("s2", "bob"))]
        await asyncio.sleep(0.1)
        watching.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for t in tasks:
            t.cancel()

    thread = threading.Thread(target=lambda: loop.run_until_complete(run()), daemon=True)
    thread.start()
    try:
        assert watching.wait(5)
        db_path = tmp_path / "gw.db"
        db = open_store(db_path)
        scoped = create_token(db, "sup-s1", "supervisor", sites=["s1"])
        everyone = create_token(db, "sup-all", "supervisor")
        client = TestClient(create_app(GatewayContext(db_path, live_relay=relay)))
        mine = client.get("/live/sessions", headers={"Authorization": f"Bearer {scoped}"})
        all_ = client.get("/live/sessions", headers={"Authorization": f"Bearer {everyone}"})
    finally:
        stop.set()
        thread.join(5)
    assert mine.status_code == 200
    assert [(s["site"], s["user"]) for s in mine.json()] == [("s1", "alice")]
    assert sorted(s["site"] for s in all_.json()) == ["s1", "s2"]
