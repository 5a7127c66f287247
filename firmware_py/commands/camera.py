"""`stationkit camera replay CLIP`: the camera node's pipeline over a recording.

For installers: tune zones, lines, masks and thresholds on a recording before going live.
Prints every event the node would publish and one line per analysed frame.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

from devices.camera.errors import CameraError
from devices.runtime.config_file import ConfigError, load_toml
from firmware_py.camera.config import CameraConfig
from firmware_py.camera.replay import EventLine, replay


def camera_config(config: str | None, clip: Path) -> CameraConfig:
    """The camera table of `config` (a camera.toml: id, zones, lines, masks, analysis...);
    `id` and `source` may be left out, the clip is the source."""
    base = {"id": "replay", "source": {"kind": "file", "path": str(clip), "realtime": False}}
    if config is None:
        return CameraConfig.model_validate(base)
    path = Path(config)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    missing = {k: v for k, v in base.items() if k not in raw}
    return load_toml(CameraConfig, path, missing)


def run(args: argparse.Namespace) -> int:
    clip = Path(args.clip)
    try:
        cam = camera_config(args.config, clip)
        started = time.perf_counter()
        frames = 0
        last_t = 0.0
        for line in replay(clip, cam):
            if args.json:
                print(json.dumps(line.as_dict(), ensure_ascii=False))
            elif isinstance(line, EventLine):
                print(f"{line.t_s:8.2f}s  {line.kind:<10} {json.dumps(line.data)}")
            if not isinstance(line, EventLine):
                frames += 1
                last_t = line.t_s
    except (ConfigError, CameraError) as exc:
        print(f"stationkit camera replay: {exc}", file=sys.stderr)
        return 2
    took = time.perf_counter() - started
    speed = last_t / took if took > 0 else 0.0
    print(
        f"# {frames} frames, {last_t:.1f} s of clip in {took:.1f} s ({speed:.1f}x real time)",
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("camera", help="replay a recording through the camera pipeline")
    inner = p.add_subparsers(dest="camera_command", required=True)
    r = inner.add_parser(
        "replay",
        help="run the camera node's pipeline over a clip and print its events",
    )
    r.add_argument("clip", help="video file (mp4, avi, gif ...) read with OpenCV")
    r.add_argument("--config", help="camera.toml: one camera table (zones, lines, analysis)")
    r.add_argument(
        "--json", action="store_true", help="JSON lines: every event and every analysed frame"
    )
    r.set_defaults(func=run)
