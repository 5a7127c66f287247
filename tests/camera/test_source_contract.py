"""One contract suite for `FrameSource`, run against every implementation we can run here."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from devices.camera.errors import SourceError
from devices.camera.opencv_source import OpenCVSource
from devices.camera.source import FrameSource
from devices.camera.synthetic import SyntheticSource
from tests.camera.conftest import MEDIA

FACTORIES: dict[str, Callable[[], FrameSource]] = {
    "synthetic": lambda: SyntheticSource(width=160, height=120),
    "file-mp4": lambda: OpenCVSource(
        str(MEDIA / "one-by-one-person-detection.mp4"), realtime=False
    ),
    "file-gif": lambda: OpenCVSource(str(MEDIA / "face-demographics-walking.gif"), realtime=False),
}


@pytest.fixture(params=sorted(FACTORIES))
def source(request) -> FrameSource:
    return FACTORIES[request.param]()


def test_is_a_frame_source(source):
    assert isinstance(source, FrameSource)


def test_read_before_open_raises(source):
    with pytest.raises(SourceError):
        source.read()


def test_open_read_close_reopen(source):
    source.open()
    assert source.is_open
    frame = source.read()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    source.close()
    source.close()  # idempotent
    assert not source.is_open
    source.open()
    assert source.read().shape == frame.shape
    source.close()


def test_files_loop_forever(source):
    source.open()
    for _ in range(60):  # longer than the 23- and 35-frame GIFs
        source.read()
    source.close()


def test_missing_file_says_what_to_check():
    src = OpenCVSource("/nonexistent/cam.mp4", name="cam-9")
    with pytest.raises(SourceError, match=r"cam-9.*does not exist"):
        src.open()


def test_unreachable_stream_raises_without_hanging():
    src = OpenCVSource("rtsp://user:secret@127.0.0.1:9/stream", name="gate", timeout_s=1.0)
    with pytest.raises(SourceError) as err:
        src.open()
    assert "secret" not in str(err.value) and "***" in str(err.value)


def test_synthetic_disconnect_and_reconnect():
    src = SyntheticSource(width=64, height=48)
    src.open()
    src.read()
    src.disconnect()
    with pytest.raises(SourceError):
        src.read()
    with pytest.raises(SourceError):
        src.open()
    src.reconnect()
    src.open()
    assert src.read().shape == (48, 64, 3)


def test_synthetic_is_deterministic_and_freeze_repeats_bytes():
    a, b = (
        SyntheticSource(seed=5, width=64, height=48),
        SyntheticSource(seed=5, width=64, height=48),
    )
    a.open()
    b.open()
    assert all(np.array_equal(a.read(), b.read()) for _ in range(5))
    a.freeze()
    f1, f2 = a.read(), a.read()
    assert np.array_equal(f1, f2)
