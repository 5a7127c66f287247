"""Live view on the node: publish one camera's JPEG frames while a session is open.

A session starts on `live_start` and ends on `live_stop` or when `timeout_s` passes without
another `live_start` (the gateway renews it while viewers watch), so a lost `live_stop`
never leaves a camera streaming.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2

from devices.camera.media import encode_jpeg
from firmware_py.camera.capture import CaptureWorker

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LiveParams:
    width_px: int
    fps: float
    quality: int
    timeout_s: float


class LiveStream:
    def __init__(
        self,
        worker: CaptureWorker,
        publish: Callable[[str, bytes], None],
        params: LiveParams,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker = worker
        self.publish = publish
        self.params = params
        self.clock = clock
        self.until_s = clock() + params.timeout_s
        self.sent = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"live-{worker.camera}", daemon=True)

    @property
    def active(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def start(self) -> None:
        self._thread.start()

    def renew(self, params: LiveParams) -> None:
        self.params = params
        self.until_s = self.clock() + params.timeout_s

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(2.0)

    def _run(self) -> None:
        seq = 0
        next_due = 0.0
        while not self._stop.is_set() and self.clock() < self.until_s:
            got = self.worker.wait_newer(seq, 0.5)
            if got is None:
                continue
            seq = got.seq
            now = self.clock()
            if now < next_due:
                continue
            next_due = max(next_due + 1.0 / self.params.fps, now - 0.5 / self.params.fps)
            try:
                frame = got.frame
                w = self.params.width_px
                if frame.shape[1] != w:
                    h = round(frame.shape[0] * w / frame.shape[1])
                    frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
                self.publish(self.worker.camera, encode_jpeg(frame, self.params.quality))
                self.sent += 1
            except Exception:
                self.errors += 1
                log.exception("live frame of %s not sent", self.worker.camera)
        self._stop.set()
