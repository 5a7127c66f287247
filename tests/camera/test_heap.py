"""The camera node hands freed frame memory back to the system (glibc)."""

from __future__ import annotations

import platform

import pytest

from firmware_py.camera.heap import trim_heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_heap_is_trimmed_on_glibc():
    assert trim_heap() is True
