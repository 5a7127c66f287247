"""Child processes for tests and benchmarks: one way to find a program, start it (its output
appended to a log, or discarded), stop it (SIGTERM, then SIGKILL) and kill it (SIGKILL, the
power cut: no clean-up)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def installed(name: str, how: str) -> str:
    """The path of program `name` (on PATH, or in /usr/sbin); if missing, says `how` to get it."""
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if not found:
        raise RuntimeError(f"{name} is not installed: {how}")
    return found


def spawn(
    argv: list[str],
    *,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    own_group: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `argv`, its stdout and stderr appended to `log` (discarded without one);
    `own_group`: in a new process group (os.setpgrp), apart from the test run's."""
    with open(log or os.devnull, "ab") as out:
        return subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=os.setpgrp if own_group else None,
        )


def kill(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL and reap, if it is running."""
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait(10)


def stop(proc: subprocess.Popen[bytes] | None, timeout_s: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout_s`; if it is running."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            kill(proc)


@dataclass
class Program:
    """A program a test starts, stops, kills and starts again."""

    argv: list[str]
    log: Path | None = None
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None
    stop_s: float = 15  # how long `stop` waits after SIGTERM before SIGKILL

    def start(self) -> None:
        self.proc = spawn(self.argv, log=self.log, env=self.env)

    def kill(self) -> None:
        kill(self.proc)

    def stop(self) -> None:
        stop(self.proc, self.stop_s)
