"""One capture thread per camera: read frames as they come, reconnect with backoff.

The thread only reads and keeps the newest frame (analysis and live view take what they
need, so a slow consumer never backs up the camera). It never dies: every error is
counted, remembered for the offline event, and followed by a reconnect.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from devices.backoff import Backoff
from devices.camera.errors import SourceError
from devices.camera.source import FrameSource, Image

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Captured:
    seq: int
    ts: float
    frame: Image


class CaptureWorker:
    def __init__(
        self,
        camera: str,
        source: FrameSource,
        *,
        clock: Callable[[], float] = time.monotonic,
        backoff_min_s: float = 1.0,
        backoff_max_s: float = 30.0,
    ) -> None:
        self.camera = camera
        self.source = source
        self.clock = clock
        self.backoff = Backoff(backoff_min_s, backoff_max_s)
        self.frames = 0
        self.errors = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self.last_frame_s: float | None = None
        self._latest: Captured | None = None
        self._opened_once = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"capture-{camera}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout_s)
        self.source.close()

    def latest(self) -> Captured | None:
        return self._latest

    def wait_newer(self, seq: int, timeout_s: float) -> Captured | None:
        """The newest frame if it is newer than `seq`, waiting up to `timeout_s` for one."""
        with self._cond:
            if self._latest is None or self._latest.seq <= seq:
                self._cond.wait(timeout_s)
            cur = self._latest
        return cur if cur is not None and cur.seq > seq else None

    def _fail(self, message: str) -> None:
        self.errors += 1
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message
        self.source.close()

    def _open_and_read(self) -> Image:
        """The next frame, (re)opening the source first if it is closed."""
        if not self.source.is_open:
            self._guarded("open", self.source.open)
            if self._opened_once:
                self.reconnects += 1
            self._opened_once = True
        return self._guarded("read", self.source.read)

    def _guarded(self, step: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except SourceError:
            raise
        except Exception as exc:  # a driver bug must not kill the thread
            raise SourceError(f"camera {self.camera}: {step} failed: {exc!r}") from exc

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._open_and_read()
            except SourceError as exc:
                self._fail(str(exc))
                self._stop.wait(self.backoff.next_delay())
                continue
            self.backoff.reset()
            now = self.clock()
            self.frames += 1
            with self._cond:
                self._latest = Captured(self.frames, now, frame)
                self.last_frame_s = now
                self._cond.notify_all()
