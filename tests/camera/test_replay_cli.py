"""`stationkit camera replay`: the node's pipeline over a clip, as JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "tests" / "data" / "media" / "face-demographics-walking-and-pause.gif"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "firmware_py.cli", "camera", "replay", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_replay_prints_frames_and_events_as_json_lines(tmp_path):
    cfg = tmp_path / "camera.toml"
    cfg.write_text(
        'id = "corridor"\nanalysis_fps = 5.0\n'
        '[[zones]]\nid = "left"\npolygon = [[0, 0], [0.3, 0], [0.3, 1], [0, 1]]\n'
    )
    done = _run(str(CLIP), "--config", str(cfg), "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    frames = [x for x in lines if x["type"] == "frame"]
    events = [x for x in lines if x["type"] == "event"]
    assert 15 <= len(frames) <= 18  # 41 frames at 12.5 fps analysed at 5 fps
    assert [f["t_s"] for f in frames] == sorted(f["t_s"] for f in frames)
    assert frames[-1]["people"] == 3
    people = [e for e in events if e["kind"] == "people" and "zone" not in e["data"]]
    assert people and people[-1]["data"]["count"] == 3
    assert all(e["data"]["camera"] == "corridor" for e in events)
    assert "real time" in done.stderr


def test_replay_of_a_missing_clip_is_a_clear_error(tmp_path):
    done = _run(str(tmp_path / "nope.mp4"))
    assert done.returncode == 2
    assert "no such clip" in done.stderr


def test_replay_with_a_bad_config_names_the_key(tmp_path):
    cfg = tmp_path / "camera.toml"
    cfg.write_text("analysis_fps = -1\n")
    done = _run(str(CLIP), "--config", str(cfg))
    assert done.returncode == 2
    assert "analysis_fps" in done.stderr
