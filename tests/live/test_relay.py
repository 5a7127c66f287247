"""LiveRelay without HTTP: node start/renew/stop, fan-out, drops, audit, time limits."""

from __future__ import annotations

import asyncio

from gateway.live.relay import LiveRelay, Viewer, ViewRecord


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _relay(**kw):
    cmds: list[tuple[str, str, str, dict]] = []
    audit: list[tuple[int, bool]] = []

    def on_audit(r: ViewRecord) -> None:
        audit.append((r.id, r.ended_at is not None))

    clock = Clock()
    relay = LiveRelay(lambda *a: cmds.append(a), clock, audit=on_audit, **kw)
    return relay, cmds, audit, clock


def test_first_viewer_starts_last_viewer_stops_and_views_are_audited():
    relay, cmds, audit, clock = _relay(renew_s=20, node_timeout_s=60)

    async def scenario():
        alice = relay.frames("s1", "n1", "room-1", Viewer("alice"), reason="night round")
        bob = relay.frames("s1", "n1", "room-1", Viewer("bob"))
        ta = asyncio.ensure_future(alice.__anext__())
        await asyncio.sleep(0)
        tb = asyncio.ensure_future(bob.__anext__())
        await asyncio.sleep(0)
        assert [c[2] for c in cmds] == ["live_start"]
        assert cmds[0][3] == {"camera": "room-1", "timeout_s": 60}
        relay.on_frame("s1", "n1", "room-1", b"jpeg-1")
        assert await ta == b"jpeg-1" and await tb == b"jpeg-1"
        clock.t += 21
        relay.tick()
        assert [c[2] for c in cmds] == ["live_start", "live_start"]  # renewed
        await alice.aclose()
        assert [c[2] for c in cmds][-1] == "live_start"  # bob still watches
        await bob.aclose()
        assert [c[2] for c in cmds][-1] == "live_stop"

    asyncio.run(scenario())
    assert audit == [(1, False), (2, False), (1, True), (2, True)]
    first = relay.views[0]
    assert (first.user, first.reason, first.frames, first.end_cause) == (
        "alice",
        "night round",
        1,
        "viewer left",
    )
    assert first.ended_at is not None and first.ended_at >= first.started_at


def test_slow_viewer_gets_the_newest_frames_only():
    relay, _, _, _ = _relay()

    async def scenario():
        gen = relay.frames("s1", "n1", "c1", Viewer("v"))
        first = asyncio.ensure_future(gen.__anext__())
        await asyncio.sleep(0)
        for k in range(10):
            relay.on_frame("s1", "n1", "c1", b"%d" % k)
        await asyncio.sleep(0)
        got = [await first, await gen.__anext__()]
        await gen.aclose()
        return got

    assert asyncio.run(scenario()) == [b"8", b"9"]
    assert relay.dropped == 8


def test_frames_nobody_watches_are_dropped_and_counted():
    relay, cmds, _, _ = _relay()
    relay.on_frame("s1", "n1", "c1", b"x")
    assert relay.stray_frames == 1 and cmds == []


def test_silent_node_ends_the_view():
    relay, cmds, _, _ = _relay()

    async def scenario():
        return [f async for f in relay.frames("s1", "n1", "c1", Viewer("v"), idle_timeout_s=0.05)]

    assert asyncio.run(scenario()) == []
    assert relay.views[0].end_cause == "no frames from node"
    assert [c[2] for c in cmds] == ["live_start", "live_stop"]


def test_view_time_is_limited():
    relay, _, _, clock = _relay(max_view_s=10)

    async def scenario():
        got = []
        async for f in relay.frames("s1", "n1", "c1", Viewer("v")):
            got.append(f)
            clock.t += 6
            relay.on_frame("s1", "n1", "c1", b"next")
        return got

    async def main():
        task = asyncio.ensure_future(scenario())
        await asyncio.sleep(0)
        relay.on_frame("s1", "n1", "c1", b"first")
        return await task

    assert asyncio.run(main()) == [b"first", b"next"]
    assert relay.views[0].end_cause == "max view time"
