"""`FrameSource`: the one interface every camera (USB, RTSP, file, synthetic) implements."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy.typing as npt

Image = npt.NDArray[Any]
"""A frame: BGR (H, W, 3) or grey (H, W), uint8 (typed loosely: OpenCV's stubs return
any numeric dtype)."""


@runtime_checkable
class FrameSource(Protocol):
    """A camera. `read()` blocks at most about one frame interval.

    Contract (tests/camera/test_source_contract.py runs it against every implementation):
    - `open()` raises `SourceError` with a message saying what to check when the camera
      cannot be reached; it may be called again after `close()` (reconnect).
    - `read()` returns the next BGR frame, or raises `SourceError` when the stream is lost
      (the caller closes and reopens with backoff). It never returns a frame of another size
      without the caller being able to see it in `frame.shape`.
    - `close()` is idempotent and never raises.
    """

    name: str

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None: ...

    def read(self) -> Image: ...

    def close(self) -> None: ...
