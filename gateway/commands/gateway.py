"""`stationkit gateway` and `stationkit token create`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from devices.runtime.config_file import ConfigError
from devices.runtime.systemd import run_until_signal
from gateway.auth.tokens import ROLES, create_token
from gateway.config import load_settings
from gateway.store.db import open_store


def run_gateway(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from gateway.service import Gateway

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings(
            Path(args.config) if args.config else None,
            broker=args.broker,
            db=args.db,
            http=args.http,
        )
    except (ConfigError, ValidationError) as exc:
        print(f"stationkit gateway: {exc}")
        return 2
    gw = Gateway(settings)
    return run_until_signal(gw.start, gw.stop, gw.healthy, name="gateway")


def run_token_create(args: argparse.Namespace) -> int:
    db = open_store(Path(args.db))
    token = create_token(db, args.name, args.role)
    print(token)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gateway", help="run the gateway (ingest, store, API)")
    p.add_argument("--config", help="gateway.toml")
    p.add_argument("--broker", help="mqtt://[user:pass@]HOST:PORT (env STATIONKIT_BROKER)")
    p.add_argument("--db", help="SQLite file (env STATIONKIT_DB)")
    p.add_argument("--http", help="HOST:PORT for the API (env STATIONKIT_HTTP)")
    p.set_defaults(func=run_gateway)

    t = sub.add_parser("token", help="API tokens")
    tsub = t.add_subparsers(dest="token_command", required=True)
    c = tsub.add_parser("create", help="create a token; it is printed once, only its hash kept")
    c.add_argument("--db", required=True, help="gateway SQLite file")
    c.add_argument("--name", required=True, help="who or what uses the token")
    c.add_argument("--role", required=True, choices=ROLES)
    c.set_defaults(func=run_token_create)
