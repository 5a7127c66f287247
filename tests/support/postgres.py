"""A throw-away PostgreSQL 15 cluster for the hub's tests: initdb in a temporary folder, a free
loopback port, trust authentication for the test role, stopped (fast shutdown) afterwards.

initdb refuses to run as root: as root the cluster runs as the `postgres` system user (made by
Debian's package) in a folder that user owns; as anyone else, as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.net import free_port, wait_for

BIN_DIRS = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15)]


def pg_bin(name: str) -> str:
    for d in BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: apt-get install postgresql")
    return found


@dataclass
class Postgres:
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    root: Path | None = None
    user: str = "hub"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=hub"

    @staticmethod
    def version() -> str:
        out = subprocess.run([pg_bin("postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.split()[2]  # "postgres (PostgreSQL) 15.20 (Debian …)"

    def _as(self) -> list[str]:
        if os.getuid() != 0:
            return []
        return ["runuser", "-u", "postgres", "--"]

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="stationkit-pg-"))
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        data = self.root / "data"
        subprocess.run(
            [
                *self._as(),
                pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                self.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.proc = subprocess.Popen(
            [
                *self._as(),
                pg_bin("postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=50",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "postgres.log", "wb"),  # noqa: SIM115 - the child's
            preexec_fn=os.setpgrp,
        )

        def ready() -> bool:
            r = subprocess.run(
                [
                    pg_bin("psql"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    self.user,
                    "-d",
                    "postgres",
                    "-Atc",
                    "SELECT 1",
                ],
                capture_output=True,
                timeout=10,
            )
            return r.returncode == 0

        wait_for(ready, 60, "postgres accepting connections")
        subprocess.run(
            [pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "hub"],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
