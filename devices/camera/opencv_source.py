"""`OpenCVSource`: USB (V4L2), RTSP and video files through `cv2.VideoCapture`.

This is the only module that opens OpenCV captures. RTSP goes through OpenCV's FFmpeg
backend with open/read timeouts so that a dead camera raises instead of hanging a thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2

from devices.camera.errors import SourceError
from devices.camera.source import Image


class OpenCVSource:
    """A capture opened from `target`: an int (USB index), "/dev/videoN", "rtsp://…" or a file.

    Files are looped when `loop` is true and, when `realtime` is true, paced to their own
    frame rate (so a file behaves like a camera). `size` asks USB cameras for a resolution.
    """

    def __init__(
        self,
        target: int | str,
        *,
        name: str | None = None,
        loop: bool = True,
        realtime: bool = True,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        timeout_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.name = name or str(target)
        self.loop = loop
        self.realtime = realtime
        self.size = size
        self.fps = fps
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._monotonic = monotonic
        self._cap: cv2.VideoCapture | None = None
        self._next_due = 0.0
        self._period_s = 0.0

    @property
    def kind(self) -> str:
        if isinstance(self.target, int) or str(self.target).startswith("/dev/video"):
            return "usb"
        if "://" in str(self.target):
            return "stream"
        return "file"

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        self.close()
        kind = self.kind
        if kind == "file" and not Path(str(self.target)).is_file():
            raise SourceError(f"camera {self.name}: video file {self.target} does not exist")
        timeout_ms = int(self.timeout_s * 1000)
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            timeout_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            timeout_ms,
        ]
        if kind == "usb":
            cap = cv2.VideoCapture(self.target, cv2.CAP_V4L2)
        elif kind == "stream":
            cap = cv2.VideoCapture(str(self.target), cv2.CAP_FFMPEG, params)
        else:
            cap = cv2.VideoCapture(str(self.target))
        if not cap.isOpened():
            cap.release()
            hint = {
                "usb": "is the camera plugged in and is the user in the 'video' group?",
                "stream": "check the URL, the credentials and that the camera is reachable",
                "file": "is it a video OpenCV can decode?",
            }[kind]
            raise SourceError(f"camera {self.name}: cannot open {self._safe_target()}; {hint}")
        if kind == "usb" and self.size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if kind == "usb" and self.fps is not None:
            cap.set(cv2.CAP_PROP_FPS, self.fps)
        native_fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        fps = self.fps or (native_fps if 0 < native_fps < 121 else 10.0)
        self._period_s = 1.0 / fps if kind == "file" and self.realtime else 0.0
        self._next_due = self._monotonic()
        self._cap = cap

    def _safe_target(self) -> str:
        """The target with any password in an RTSP URL replaced by ***."""
        text = str(self.target)
        if "://" in text and "@" in text:
            scheme, rest = text.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            return f"{scheme}://{user}:***@{host}"
        return text

    def read(self) -> Image:
        cap = self._cap
        if cap is None:
            raise SourceError(f"camera {self.name}: read() before open()")
        if self._period_s:
            delay = self._next_due - self._monotonic()
            if delay > 0:
                self._sleep(delay)
            self._next_due = max(self._next_due + self._period_s, self._monotonic() - 1.0)
        ok, frame = cap.read()
        if not ok and self.kind == "file" and self.loop:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
        if not ok or frame is None:
            raise SourceError(f"camera {self.name}: no frame from {self._safe_target()}")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        return frame

    def close(self) -> None:
        if self._cap is not None:
            try:
                self._cap.release()
            finally:
                self._cap = None
