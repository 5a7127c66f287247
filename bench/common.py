"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (else what `platform` knows, else "unknown")."""
    try:
        return next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def machine() -> str:
    """One line: cores, CPU model and Python version."""
    return f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"
