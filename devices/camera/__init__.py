"""Camera devices and analytics: frame sources, motion, people, zones, lines, tamper, media.

Everything here is a pure function over frames or a small stateful object fed frames with
their timestamps; threads, MQTT and files live in `firmware_py.camera`. Frames are BGR
``uint8`` arrays (OpenCV's layout); timestamps are seconds on a monotonic clock.
"""

from devices.camera.errors import CameraError, SourceError

__all__ = ["CameraError", "SourceError"]
