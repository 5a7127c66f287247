"""Give freed frame memory back to the system (the camera node's RSS).

A camera node allocates and frees image-sized buffers (0.1-1 MB) many times a second on
several threads, and onnxruntime its activations on each MoveNet pass. glibc raises its
mmap threshold each time such a block is freed, so from then on these buffers come from
the heap and the per-thread arenas, whose freed pages it keeps. `malloc_trim(0)` every
couple of seconds hands them back: measured on a node with one camera and MoveNet, RSS
241-246 MB without, ~145-165 MB with it (docs/benchmarks/video.md).

Fixing the threshold instead (`mallopt(M_MMAP_THRESHOLD)`, `MALLOC_MMAP_THRESHOLD_`) gives
the same RSS but mmaps and zero-fills every frame buffer: ~30 % fewer cameras per core.
No-op where libc is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

TRIM_EVERY_S = 2.0
"""How often the analysis loop trims: one call costs well under a millisecond here."""


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        fn = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def trim_heap() -> bool:
    """Return freed heap pages to the system (glibc); whether libc offers it."""
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True
