"""Online backups of the gateway database with SQLite's backup API, and restore.

A backup is taken while the gateway runs: the backup API copies a consistent snapshot page by
page, letting the writer continue between steps. Each copy is written under a temporary name,
checked with ``PRAGMA integrity_check``, fsynced and only then renamed to
``gateway-YYYYmmddTHHMMSSZ.db`` with a ``.json`` manifest (size, SHA-256, row counts,
migrations) beside it. Older backups beyond `keep` are removed.

Restore refuses a backup whose checksum or integrity check fails, moves the current database
and its ``-wal``/``-shm`` files aside (a stale WAL applied to another database corrupts it),
and never runs while the database is in use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

PREFIX = "gateway-"
COUNTED_TABLES = ("events", "checks", "deadletters", "audit", "legal_holds", "deletion_log")


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says what to do."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size: int
    sha256: str
    rows: dict[str, int]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of a database file: "ok" or the problems found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    return "\n".join(str(r[0]) for r in rows)


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {
        t: int(conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0])
        for t in COUNTED_TABLES
        if t in names
    }


def backup(
    db_path: Path,
    dest_dir: Path,
    *,
    keep: int = 14,
    pages_per_step: int = 256,
    now: dt.datetime | None = None,
) -> BackupInfo:
    """Take an online backup of `db_path` into `dest_dir`; keep the newest `keep` backups."""
    if not db_path.exists():
        raise BackupError(f"{db_path}: no such database (is --db right?)")
    dest_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    final = dest_dir / f"{PREFIX}{stamp}.db"
    tmp = dest_dir / f".tmp-{final.name}"
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(str(db_path), timeout=30)  # read only in effect: backup reads
    dst = sqlite3.connect(str(tmp))
    try:
        # Small steps with a pause let the gateway's writer commit in between; the backup API
        # restarts the copy by itself if the source changes under it.
        src.backup(dst, pages=pages_per_step, sleep=0.005)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        rows = _counts(dst)
    finally:
        dst.close()
        src.close()
    problems = integrity(tmp)
    if problems != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup of {db_path} failed its integrity check: {problems[:500]}")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, 0o640)
    os.replace(tmp, final)
    info = BackupInfo(final, final.stat().st_size, _sha256(final), rows)
    manifest = {
        "file": final.name,
        "source": str(db_path),
        "created": stamp,
        "size": info.size,
        "sha256": info.sha256,
        "rows": rows,
        "integrity_check": "ok",
    }
    final.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
    _fsync_dir(dest_dir)
    prune(dest_dir, keep)
    return info


def list_backups(dest_dir: Path) -> list[Path]:
    """Backups in `dest_dir`, oldest first (names sort by time)."""
    return sorted(dest_dir.glob(f"{PREFIX}*.db"))


def prune(dest_dir: Path, keep: int) -> list[Path]:
    if keep < 1:
        raise BackupError("keep at least one backup")
    gone = list_backups(dest_dir)[:-keep]
    for path in gone:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)
    return gone


def verify(backup_path: Path) -> dict[str, object]:
    """Check a backup against its manifest and SQLite's integrity check; return the manifest."""
    manifest_path = backup_path.with_suffix(".json")
    if not manifest_path.exists():
        raise BackupError(f"{manifest_path} is missing: not a backup made by `stationkit backup`")
    manifest: dict[str, object] = json.loads(manifest_path.read_text())
    digest = _sha256(backup_path)
    if digest != manifest.get("sha256"):
        raise BackupError(f"{backup_path}: checksum mismatch (file damaged or altered)")
    problems = integrity(backup_path)
    if problems != "ok":
        raise BackupError(f"{backup_path}: integrity check failed: {problems[:500]}")
    return manifest


def _in_use(db_path: Path) -> bool:
    """True if another process holds the database open (a live gateway)."""
    target = {str(db_path.resolve())}
    target |= {t + suffix for t in list(target) for suffix in ("-wal", "-shm")}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            for fd in fd_dir.iterdir():
                try:
                    if os.readlink(fd) in target:
                        return True
                except OSError:
                    continue
        except OSError:
            continue
    return False


def restore(backup_path: Path, db_path: Path, *, now: dt.datetime | None = None) -> Path | None:
    """Replace `db_path` with `backup_path` (verified first). The gateway must be stopped.

    Returns where the previous database was moved (None if there was none)."""
    verify(backup_path)
    if _in_use(db_path):
        raise BackupError(
            f"{db_path} is open by a running process: stop the gateway first "
            "(systemctl stop stationkit-gateway)"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".restore-{db_path.name}")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
    dst = sqlite3.connect(str(tmp))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    moved: Path | None = None
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    if db_path.exists():
        moved = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
        os.replace(db_path, moved)
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            os.replace(side, db_path.with_name(f"{db_path.name}.before-restore-{stamp}{suffix}"))
    os.replace(tmp, db_path)
    _fsync_dir(db_path.parent)
    return moved
