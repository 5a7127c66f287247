"""Build a `FrameSource` from a camera's `source` config (the simulator only when asked)."""

from __future__ import annotations

from devices.camera.opencv_source import OpenCVSource
from devices.camera.source import FrameSource
from devices.camera.synthetic import SyntheticSource, Walker
from firmware_py.camera.config import (
    CameraConfig,
    FileSourceConfig,
    RtspSourceConfig,
    SyntheticSourceConfig,
    UsbSourceConfig,
)


def build_source(cam: CameraConfig) -> FrameSource:
    src = cam.source
    if isinstance(src, UsbSourceConfig):
        size = (src.width_px, src.height_px) if src.width_px and src.height_px else None
        return OpenCVSource(src.device, name=cam.id, size=size, fps=src.fps)
    if isinstance(src, RtspSourceConfig):
        return OpenCVSource(src.url, name=cam.id, timeout_s=src.timeout_s)
    if isinstance(src, FileSourceConfig):
        return OpenCVSource(src.path, name=cam.id, loop=src.loop, realtime=src.realtime)
    assert isinstance(src, SyntheticSourceConfig)
    walkers = []
    if src.walk_every_s > 0:  # a figure crosses the room left→right, then back, repeatedly
        for k in range(200):
            t0 = 2.0 + k * src.walk_every_s
            start, end = ((0.1, 0.9), (0.9, 0.88)) if k % 2 == 0 else ((0.9, 0.88), (0.1, 0.9))
            walkers.append(Walker(start, end, t0, min(8.0, src.walk_every_s * 0.8)))
    return SyntheticSource(
        name=cam.id,
        width=src.width_px,
        height=src.height_px,
        fps=src.fps,
        seed=src.seed,
        walkers=walkers,
        realtime=True,
    )
