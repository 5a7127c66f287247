"""`stationkit demo` as a real process on free ports, for its test and the screenshot tool."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import free_port


@dataclass
class Demo:
    base: str  # the dashboard and API
    banner: str  # what it printed up to the admin token

    @property
    def token(self) -> str | None:
        """The admin bearer token the banner shows."""
        match = re.search(r"Bearer …\): (\S+)", self.banner)
        return match.group(1) if match else None

    @property
    def passwords(self) -> dict[str, str]:
        """The printed demo users' passwords, by user."""
        return dict(re.findall(r"(demo-\w+) / (\S+)", self.banner))


@contextmanager
def running_demo(state: Path | str, *options: str, banner_s: float = 20) -> Iterator[Demo]:
    """The demo with its state in `state` (`options`: more of its options), once it printed
    its banner (or `banner_s` passed); terminated when the block ends."""
    http = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "firmware_py.cli", "demo"),
            *("--http", f"127.0.0.1:{http}", "--mqtt-port", str(free_port())),
            *("--state", str(state), *options),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        deadline = time.monotonic() + banner_s
        while "Bearer" not in banner and time.monotonic() < deadline:
            banner += proc.stdout.readline()
        yield Demo(f"http://127.0.0.1:{http}", banner)
    finally:
        proc.terminate()
        proc.wait(15)
