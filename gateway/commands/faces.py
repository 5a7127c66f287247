"""`stationkit faces`: the face templates' key and retention, and the counts regulators ask for.

stationkit faces stats --db gw.db
stationkit faces rotate-key --db gw.db --new /etc/stationkit/faces-2026.key
stationkit faces purge --db gw.db --days 30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from gateway.auth.audit import audit
from gateway.faces import FacesError
from gateway.faces import store as faces
from gateway.store.db import open_store


def _db(args: argparse.Namespace) -> Path:
    path = args.db or os.environ.get("STATIONKIT_DB")
    if not path:
        raise FacesError(2, "usage", "give --db or set STATIONKIT_DB")
    return Path(path)


def run(args: argparse.Namespace) -> int:
    try:
        path = _db(args)
        db = open_store(path)
        if args.action == "stats":
            print(json.dumps(faces.stats(db).model_dump(), indent=2))
        elif args.action == "rotate-key":
            old = faces.TemplateKey.beside(path)
            n = faces.rotate_key(db, old, Path(args.new))
            audit(db, "cli", "faces.rotate_key", str(args.new), {"templates": n})
            print(f"{n} templates re-encrypted under {args.new}")
            print(
                f"set STATIONKIT_FACES_KEY={args.new} for the gateway, restart it, "
                f"then destroy the old key {old.path}"
            )
        elif args.action == "purge":
            n = faces.purge(db, args.days, datetime.now(UTC))
            print(f"{n} face templates deleted (cases closed more than {args.days:g} days ago)")
    except FacesError as exc:
        print(f"stationkit faces: {exc.message}", file=sys.stderr)
        return 2 if exc.status == 2 else 1
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "faces",
        help="face templates for family search: counts, key rotation, retention",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=["stats", "rotate-key", "purge"])
    p.add_argument("--db", help="gateway SQLite file (env STATIONKIT_DB)")
    p.add_argument("--new", help="rotate-key: path of the new key file (must not exist)")
    p.add_argument("--days", type=float, default=30, help="purge: days after a case closed (30)")
    p.set_defaults(func=run)
