"""What `CameraApp` and `stationkit camera replay` share: one camera's analyser, built from
its config, and the frame it analyses. One place, so a replay on a recording behaves
exactly as the node would on the live camera."""

from __future__ import annotations

from pathlib import Path

import cv2

from devices.camera.analyzer import CameraAnalyzer
from devices.camera.detect import Detector
from devices.camera.lines import Tripwire
from devices.camera.source import Image
from devices.camera.zones import Zone
from firmware_py.camera.config import CameraConfig

_UNSET = object()


def build_analyzer(
    cam: CameraConfig,
    detector: Detector | object | None = _UNSET,
    *,
    reference_dir: Path | None = None,
) -> CameraAnalyzer:
    """The analyser of `cam`; `detector` overrides the configured one (None: no detector).

    `reference_dir` keeps the tamper reference view across restarts (one file per camera).
    """
    kwargs = {} if detector is _UNSET else {"detector": detector}
    analyzer = CameraAnalyzer(
        cam.id,
        cam.analysis,
        zones=[Zone(z.id, tuple(z.polygon)) for z in cam.zones],
        lines=[Tripwire(x.id, x.a, x.b, x.in_side) for x in cam.lines],
        masks=cam.masks,
        frame_size=(cam.analysis_width_px, cam.analysis_width_px * 3 // 4),
        reference_path=reference_dir / f"{cam.id}.tamper.npz" if reference_dir else None,
        **kwargs,  # type: ignore[arg-type]
    )
    if detector is None:
        analyzer.detector = None
    return analyzer


def analysis_frame(frame: Image, width_px: int) -> Image:
    """`frame` at the analysis width.

    INTER_AREA averages every source pixel, which at 1280×720 → 640 costs about twice
    INTER_LINEAR for no gain the motion or the detector can see; it is kept for small
    reductions only, where it avoids aliasing at little cost.
    """
    if frame.shape[1] == width_px:
        return frame
    h = round(frame.shape[0] * width_px / frame.shape[1])
    interp = cv2.INTER_AREA if frame.shape[1] < 2 * width_px else cv2.INTER_LINEAR
    return cv2.resize(frame, (width_px, h), interpolation=interp)
