"""Keep glibc from holding freed frame memory (the camera node's RSS).

A camera node allocates and frees image-sized buffers (0.1-1 MB) many times a second on
several threads. glibc serves blocks over `M_MMAP_THRESHOLD` (128 KiB) with their own
mmap, returned to the system on free, but by default it raises that threshold each time
such a block is freed (up to 32 MiB): from then on frames come from the heap and the
per-thread arenas, which fragment and keep their pages. Measured on a node with one
camera and MoveNet: 240-250 MB RSS by default, 145-147 MB with the threshold fixed
(docs/benchmarks/video.md). Fixing it (`mallopt`, or the `MALLOC_MMAP_THRESHOLD_`
environment variable) turns the dynamic threshold off. No-op where libc is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's own default threshold, kept fixed instead of rising."""


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap and trim thresholds; returns whether it applied (glibc only).

    Call it early (before the detector and the capture threads allocate): blocks already
    on the heap stay there."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(mallopt(M_TRIM_THRESHOLD, threshold))
    if not ok:
        log.debug("mallopt refused the thresholds; RSS may grow with freed frames")
    return ok
