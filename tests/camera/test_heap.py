"""The camera node fixes glibc's mmap threshold so freed frames leave the heap."""

from __future__ import annotations

import platform

import pytest

from firmware_py.camera.heap import fix_mmap_threshold


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_mmap_threshold_is_fixed_on_glibc():
    assert fix_mmap_threshold() is True
