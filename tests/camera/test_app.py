"""The camera node app end to end with a fake NodeContext, synthetic cameras, real threads."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.camera.media import decode_jpeg
from devices.camera.synthetic import SyntheticSource, Walker
from devices.contract.codec import new_id
from devices.contract.media import sniff
from devices.contract.models import Command
from devices.runtime.config_file import ConfigError, load_toml
from firmware_py.app import NodeApp
from firmware_py.camera.app import CameraApp
from firmware_py.camera.config import CameraNodeConfig
from firmware_py.doubles import RecordingContext
from tests.support.net import wait_for

pytestmark = pytest.mark.slow  # the camera app's real threads on a real-time synthetic camera

NIGHT_UTC = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 in Asia/Shanghai
DAY_UTC = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 11:00 in Asia/Shanghai


def _config(**cam) -> CameraNodeConfig:
    camera = {
        "id": "room-1",
        "source": {"kind": "synthetic"},
        "analysis_width_px": 320,
        "offline_after_s": 1.0,
        "analysis": {
            "detector": "none",
            "tamper": {"learn_s": 1.0, "covered_after_s": 1.0, "clear_after_s": 1.0},
        },
    }
    camera.update(cam)
    return CameraNodeConfig.model_validate(
        {
            "cameras": [camera],
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 0.2,
            "clips": {"pre_s": 1.0, "post_s": 1.0},
        }
    )


def _source(**kw) -> SyntheticSource:
    return SyntheticSource(name="room-1", width=320, height=240, fps=10, realtime=True, **kw)


@pytest.fixture
def run():
    apps = []

    def start(config, source, wall=lambda: DAY_UTC):
        app = CameraApp(config, sources={"room-1": source}, wall=wall)
        ctx = RecordingContext("home-7", "cam-node-1")
        app.start(ctx)
        apps.append(app)
        return app, ctx

    yield start
    for app in apps:
        app.stop()


def test_is_a_node_app():
    app: NodeApp = CameraApp(_config())
    assert app.devices() == {}


def test_camera_that_disappears_and_returns_gives_offline_then_online(run):
    src = _source()
    app, ctx = run(_config(), src)
    ctx.wait_for_event(lambda e: e.kind == "camera" and e.data.state == "online", 3)
    assert app.devices() == {"room-1": "ok"}
    src.disconnect()
    off = ctx.wait_for_event(lambda e: e.kind == "camera" and e.data.state == "offline", 4)
    assert "unplugged" in off.data.reason
    assert app.devices() == {"room-1": "fault"}
    src.reconnect()
    ctx.wait_for_event(
        lambda e: e.kind == "camera" and e.data.state == "online" and e.seq > off.seq, 4
    )
    states = [e.data.state for e in ctx.envelopes("camera")]
    assert states == ["online", "offline", "online"]
    assert app.stats()["room-1"]["reconnects"] >= 1


def test_never_reachable_camera_is_reported_offline(run):
    src = _source()
    src.disconnect()
    _, ctx = run(_config(), src)
    off = ctx.wait_for_event(lambda e: e.kind == "camera", 4)
    assert off.data.state == "offline" and "unplugged" in off.data.reason


def test_tamper_event_carries_snapshot_and_clip(run):
    src = _source()
    _, ctx = run(_config(), src)
    ctx.wait_for_event(lambda e: e.kind == "camera", 3)
    time.sleep(1.5)  # baseline learnt
    src.cover()
    ev = ctx.wait_for_event(lambda e: e.kind == "tamper" and e.data.active, 6)
    assert ev.data.reason == "covered" and ev.data.snapshot
    media = ctx.wait_for_media(ev.id, 2, 5)
    assert sorted(sniff(m) for m in media) == ["avi", "jpeg"]
    assert decode_jpeg(next(m for m in media if sniff(m) == "jpeg")).shape[1] == 320


def test_line_crossing_at_night_is_flagged(run):
    walker = Walker((0.8, 0.9), (0.1, 0.9), t0_s=1.5, dur_s=2.5)
    src = _source(walkers=[walker])
    lines = [{"id": "door", "a": [0.45, 0.5], "b": [0.45, 1.0], "in_side": "right"}]
    _, ctx = run(_config(lines=lines), src, wall=lambda: NIGHT_UTC)
    ev = ctx.wait_for_event(lambda e: e.kind == "line_cross", 8)
    assert ev.data.line == "door" and ev.data.direction == "out" and ev.data.night
    ctx.wait_for_media(ev.id, 1, 5)  # its snapshot follows the event


def test_live_view_starts_renews_stops_and_times_out(run):
    src = _source()
    app, ctx = run(_config(), src)
    ctx.wait_for_event(lambda e: e.kind == "camera", 3)

    def cmd(action, **args):
        return app.handle_command(
            Command(id=new_id(), action=action, args=args, ts=datetime.now(UTC))
        )

    assert cmd("live_start", camera="nope")[0] is False
    assert cmd("live_start", camera="room-1", fps=0)[0] is False
    assert cmd("live_start", camera="room-1", width_px=160, fps=5) == (True, None)
    wait_for(lambda: len(ctx.live) >= 5, 10, "five live frames")  # not a count after a sleep
    assert cmd("live_stop", camera="room-1") == (True, None)
    n = len(ctx.live)
    sent_at = [t for _, _, t in ctx.live]
    assert (n - 1) / (sent_at[-1] - sent_at[0]) <= 8  # about the 5 fps asked for, not 15
    assert all(c == "room-1" for c, _, _ in ctx.live)
    assert decode_jpeg(ctx.live[0][1]).shape[1] == 160
    time.sleep(0.5)
    assert len(ctx.live) == n  # stopped
    assert cmd("live_start", camera="room-1", timeout_s=1) == (True, None)
    time.sleep(1.6)
    m = len(ctx.live)
    time.sleep(0.5)
    assert len(ctx.live) == m > n  # timed out by itself
    assert cmd("reboot") is None  # not ours


def test_roster_count_sent_with_expected(run):
    src = _source()
    cfg = _config(analysis={"detector": "none"}).model_dump()
    cfg["roster"] = [{"camera": "room-1", "start": "22:00", "end": "06:00", "expected": 3}]
    config = CameraNodeConfig.model_validate(cfg)

    class Always:
        name = "always"

        def detect(self, frame, regions=None):
            from devices.camera.detect import Detection

            return [Detection((10, 10, 50, 120), 1.0), Detection((100, 10, 140, 120), 1.0)]

    app = CameraApp(
        config, sources={"room-1": src}, wall=lambda: NIGHT_UTC, detector_factory=lambda c: Always()
    )
    ctx = RecordingContext("home-7", "cam-node-1")
    app.start(ctx)
    try:
        ev = ctx.wait_for_event(lambda e: e.kind == "people", 5)
    finally:
        app.stop()
    assert (ev.data.count, ev.data.expected) == (2, 3)


def test_config_errors_name_the_key(tmp_path: Path):
    path = tmp_path / "camera.toml"
    path.write_text(
        'site_timezone = "Asia/Shanghai"\n'
        "[[cameras]]\n"
        'id = "room-1"\n'
        'source = { kind = "rtsp", url = "rtsp://10.0.0.5/sub" }\n'
        "analysis_fps = 500\n"
    )
    with pytest.raises(ConfigError, match=r"cameras\.0\.analysis_fps"):
        load_toml(CameraNodeConfig, path)
    with pytest.raises(ValueError, match="IANA"):
        CameraNodeConfig.model_validate(
            {"cameras": [{"id": "a", "source": {"kind": "usb"}}], "site_timezone": "Mars/Base"}
        )


def test_night_hours_cross_midnight_in_site_time():
    cfg = _config()
    assert cfg.is_night(NIGHT_UTC)
    assert not cfg.is_night(DAY_UTC)
    assert cfg.is_night(datetime(2026, 11, 22, 21, 0, tzinfo=UTC))  # 05:00 next day local


def test_a_node_restarted_with_its_camera_moved_raises_moved(run, tmp_path):
    # the node learns the view and keeps it in state_dir; it stops; the camera is turned;
    # the restarted node compares with the kept view instead of adopting the moved one
    cfg = _config(
        analysis={
            "detector": "none",
            "tamper": {"learn_s": 1.0, "moved_after_s": 1.0, "clear_after_s": 1.0},
        }
    ).model_copy(update={"state_dir": tmp_path})
    app, _ = run(cfg, _source(seed=4))
    deadline = time.monotonic() + 10
    while not (tmp_path / "room-1.tamper.npz").is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "room-1.tamper.npz").is_file()
    app.stop()
    moved = _source(seed=4)
    moved.move(0.12, 0.05)
    _, ctx = run(cfg, moved)
    ev = ctx.wait_for_event(lambda e: e.kind == "tamper" and e.data.active, 10)
    assert ev.data.reason == "moved"
