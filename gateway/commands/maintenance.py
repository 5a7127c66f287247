"""`stationkit backup`, `stationkit restore`, `stationkit retention`, `stationkit hold`.

stationkit backup  [--db DB] [--to /var/backups/stationkit] [--keep 14]
stationkit restore BACKUP.db [--db DB]          (stop stationkit-gateway first)
stationkit retention [--db DB] [--policy /etc/stationkit/retention.toml] [--media DIR]
stationkit hold place --scope event --target ID --reason "police request 2026-17" --by NAME
stationkit hold release ID --by NAME | stationkit hold list
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_DB = Path("/var/lib/stationkit/gateway.db")
DEFAULT_BACKUPS = Path("/var/backups/stationkit")
DEFAULT_POLICY = Path("/etc/stationkit/retention.toml")


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db or os.environ.get("STATIONKIT_DB") or DEFAULT_DB)


def run_backup(args: argparse.Namespace) -> int:
    from gateway.maintenance.backup import BackupError, backup

    try:
        info = backup(_db(args), Path(args.to), keep=args.keep)
    except BackupError as exc:
        print(f"stationkit backup: {exc}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{k} {v}" for k, v in info.rows.items())
    print(f"{info.path} ({info.size} bytes, sha256 {info.sha256[:16]}…): {rows}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from gateway.maintenance.backup import BackupError, restore

    try:
        moved = restore(Path(args.backup), _db(args))
    except BackupError as exc:
        print(f"stationkit restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.backup} to {_db(args)}")
    if moved:
        print(f"the previous database was kept as {moved}")
    return 0


def run_retention(args: argparse.Namespace) -> int:
    from devices.runtime.config_file import ConfigError, load_toml
    from gateway.maintenance.media import purge_media
    from gateway.maintenance.retention import (
        RetentionPolicy,
        apply_retention,
        log_media_deletion,
    )
    from gateway.store.db import open_store

    policy_path = Path(args.policy) if args.policy else DEFAULT_POLICY
    try:
        if args.policy or policy_path.exists():
            policy = load_toml(RetentionPolicy, policy_path)
        else:
            policy = RetentionPolicy()
    except ConfigError as exc:
        print(f"stationkit retention: {exc}", file=sys.stderr)
        return 2
    db = open_store(_db(args))
    report = apply_retention(db, policy)
    print(report.summary())
    if args.media and policy.media_days is not None:
        from gateway.media.store import MediaLimits, MediaStore

        store = MediaStore(
            Path(args.media),
            MediaLimits(max_age_s=policy.media_days * 86400),
            on_delete=lambda item, reason: log_media_deletion(
                db, event_id=item.event_id, path=str(item.path), reason=reason
            ),
        )
        gone = purge_media(db, store)
        print(f"media: {len(gone)} deleted")
    return 0


def run_hold(args: argparse.Namespace) -> int:
    from gateway.maintenance.holds import HoldError, active_holds, place_hold, release_hold
    from gateway.store.db import open_store

    db = open_store(_db(args))
    try:
        if args.hold_command == "place":
            hold_id = place_hold(db, args.scope, args.target, reason=args.reason, actor=args.by)
            print(f"hold {hold_id} placed on {args.scope} {args.target}")
        elif args.hold_command == "release":
            release_hold(db, args.id, actor=args.by)
            print(f"hold {args.id} released")
        else:
            for h in active_holds(db):
                print(f"{h.id}\t{h.scope}\t{h.target}\t{h.placed_at}\t{h.placed_by}\t{h.reason}")
    except HoldError as exc:
        print(f"stationkit hold: {exc}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db_help = "gateway SQLite file (env STATIONKIT_DB; /var/lib/stationkit/gateway.db)"
    b = sub.add_parser("backup", help="online backup of the gateway database")
    b.add_argument("--db", help=db_help)
    b.add_argument("--to", default=str(DEFAULT_BACKUPS), help="backup folder")
    b.add_argument("--keep", type=int, default=14, help="backups kept (oldest removed)")
    b.set_defaults(func=run_backup)

    r = sub.add_parser("restore", help="replace the gateway database with a verified backup")
    r.add_argument("backup", help="a gateway-*.db file made by `stationkit backup`")
    r.add_argument("--db", help=db_help)
    r.set_defaults(func=run_restore)

    t = sub.add_parser("retention", help="delete expired records (legal holds kept), logged")
    t.add_argument("--db", help=db_help)
    t.add_argument("--policy", help=f"retention TOML (default {DEFAULT_POLICY} if present)")
    t.add_argument("--media", help="media folder to purge too (if the gateway does not)")
    t.set_defaults(func=run_retention)

    h = sub.add_parser("hold", help="legal holds: records kept whatever retention says")
    h.add_argument("--db", help=db_help)
    hs = h.add_subparsers(dest="hold_command", required=True)
    place = hs.add_parser("place", help="place a hold")
    place.add_argument("--scope", choices=("event", "node"), required=True)
    place.add_argument("--target", required=True, help="event id, or site/node")
    place.add_argument("--reason", required=True, help="why (case number, request)")
    place.add_argument("--by", required=True, help="who places it")
    release = hs.add_parser("release", help="release a hold")
    release.add_argument("id", type=int)
    release.add_argument("--by", required=True, help="who releases it")
    hs.add_parser("list", help="active holds")
    h.set_defaults(func=run_hold)
