"""A real `stationkit gateway` process for the HTTP hardening tests: 1,024 open files at most
(the usual default soft limit, set on the child with prlimit), a cheap argon2 so a login
measures the server and not the hash, and an admin user to log in as."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from gateway.auth.settings import AuthSettings
from gateway.auth.users import create_user
from gateway.store.db import open_store
from tests.support.mosquitto import Broker
from tests.support.net import free_port
from tests.support.stack import spawn_gateway

USER, PASSWORD = "chief", "correct horse battery staple 9"
FD_LIMIT = 1024


@contextmanager
def gateway_process(
    broker: Broker, tmp_path: Path, extra_toml: str = ""
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    db = tmp_path / "gw.db"
    store = open_store(db)
    cheap = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
    create_user(store, USER, "admin", PASSWORD, settings=cheap)
    store.conn.close()
    config = tmp_path / "gateway.toml"
    config.write_text(
        "[auth]\nargon2_time_cost = 1\nargon2_memory_kib = 8192\nargon2_parallelism = 1\n"
        + extra_toml
    )
    port = free_port()
    proc = spawn_gateway(broker, db, port, config=config)
    psutil.Process(proc.pid).rlimit(psutil.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))
    try:
        yield proc, port
    finally:
        proc.kill()
        proc.wait()
