"""Online backup while the store is being written, verification, and restore."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest

from gateway.maintenance.backup import (
    BackupError,
    backup,
    integrity,
    list_backups,
    restore,
    verify,
)
from gateway.store.db import open_store

pytestmark = pytest.mark.slow  # backs up while a writer thread keeps writing


def _insert(db_path: Path, start: int, count: int) -> None:
    db = open_store(db_path)
    for i in range(start, start + count):
        with db.atomic():
            db.execute(
                "INSERT INTO events (id, site, node, kind, ts, seq, data, received_at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (
                    f"e{i:08d}",
                    "s1",
                    "n1",
                    "gate",
                    "2027-01-01T00:00:00.000Z",
                    i,
                    "{}" * 200,
                    "2027-01-01T00:00:00.000Z",
                ),
            )
    db.conn.close()


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


def test_backup_while_the_gateway_writes(tmp_path: Path) -> None:
    db_path = tmp_path / "gateway.db"
    _insert(db_path, 0, 3000)
    writer = threading.Thread(target=_insert, args=(db_path, 3000, 1500))
    writer.start()
    try:
        info = backup(db_path, tmp_path / "backups", pages_per_step=16)
    finally:
        writer.join()
    assert integrity(info.path) == "ok"
    n = _count(info.path)
    assert 3000 <= n <= 4500 and info.rows["events"] == n  # a consistent snapshot
    assert not Path(str(info.path) + "-wal").exists()
    manifest = verify(info.path)
    assert manifest["sha256"] == info.sha256 and manifest["rows"] == info.rows


def test_old_backups_are_pruned(tmp_path: Path) -> None:
    db_path = tmp_path / "gateway.db"
    _insert(db_path, 0, 10)
    t0 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    for day in range(5):
        backup(db_path, tmp_path / "b", keep=3, now=t0 + dt.timedelta(days=day))
    names = [p.name for p in list_backups(tmp_path / "b")]
    assert names == [f"gateway-2027010{d}T000000Z.db" for d in (3, 4, 5)]
    assert len(list((tmp_path / "b").glob("*.json"))) == 3


def test_restore_round_trip_and_refusals(tmp_path: Path) -> None:
    db_path = tmp_path / "gateway.db"
    _insert(db_path, 0, 100)
    info = backup(db_path, tmp_path / "b")
    _insert(db_path, 100, 50)  # work after the backup: lost by a restore, kept aside
    assert _count(db_path) == 150

    # a damaged backup is refused
    damaged = tmp_path / "b" / "gateway-damaged.db"
    damaged.write_bytes(info.path.read_bytes()[:-4096] + b"\0" * 4096)
    damaged.with_suffix(".json").write_bytes(info.path.with_suffix(".json").read_bytes())
    with pytest.raises(BackupError, match="checksum"):
        restore(damaged, db_path)

    # refused while the database is open (a running gateway)
    holder = sqlite3.connect(db_path)
    holder.execute("SELECT 1 FROM events").fetchone()
    with pytest.raises(BackupError, match="stop the gateway"):
        restore(info.path, db_path)
    holder.close()

    moved = restore(info.path, db_path)
    assert _count(db_path) == 100 and integrity(db_path) == "ok"
    assert moved is not None and _count(moved) == 150
    db = open_store(db_path)  # the gateway starts on it again: WAL, migrations already there
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_cli_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from firmware_py.cli import main

    db_path = tmp_path / "gateway.db"
    _insert(db_path, 0, 20)
    assert main(["backup", "--db", str(db_path), "--to", str(tmp_path / "b")]) == 0
    assert "events 20" in capsys.readouterr().out
    (made,) = list_backups(tmp_path / "b")
    db_path.unlink()
    assert main(["restore", str(made), "--db", str(db_path)]) == 0
    assert _count(db_path) == 20
    assert main(["backup", "--db", str(tmp_path / "nope.db"), "--to", str(tmp_path)]) == 1
