"""`stationkit gateway` and `stationkit token create|list|disable|enable`."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devices.runtime.config_file import ConfigError
from devices.runtime.systemd import run_until_signal
from gateway.auth.tokens import ROLES, TokenError, create_token, list_tokens, set_token_disabled
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


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """`--expires`: a duration from now (`90d`, `12h`, `30m`) or an ISO date/time (UTC if no
    zone is given)."""
    now = now or datetime.now(UTC)
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[-1:] in units and text[:-1].isdigit():
        return now + timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a duration (90d, 12h, 30m) or an ISO date (2027-03-31)"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _sites(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def run_token_create(args: argparse.Namespace) -> int:
    db = open_store(Path(args.db))
    if args.expires is not None and args.expires <= datetime.now(UTC):
        print("stationkit token create: --expires is in the past")
        return 2
    try:
        token = create_token(db, args.name, args.role, expires_at=args.expires, sites=args.site)
    except TokenError as exc:
        print(f"stationkit token create: {exc}")
        return 2
    print(token)
    return 0


def run_token_list(args: argparse.Namespace) -> int:
    db = open_store(Path(args.db))
    now = datetime.now(UTC)
    print(f"{'name':24} {'role':10} {'state':8} {'expires':25} {'sites':20} last used")
    for t in list_tokens(db):
        sites = ",".join(t.sites) if t.sites is not None else "all"
        print(
            f"{t.name:24} {t.role:10} {t.state(now):8} {t.expires_at or 'never':25} "
            f"{sites:20} {t.last_used_at or '-'}"
        )
    return 0


def run_token_disable(args: argparse.Namespace) -> int:
    db = open_store(Path(args.db))
    try:
        set_token_disabled(db, args.name, not args.enable)
    except TokenError as exc:
        print(f"stationkit token: {exc}")
        return 1
    word = "enabled" if args.enable else "disabled (refused from its next request on)"
    print(f"token {args.name} {word}")
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
    c.add_argument(
        "--expires",
        type=parse_expiry,
        help="refused after this: a duration (90d, 12h) or an ISO date/time (UTC)",
    )
    c.add_argument(
        "--site",
        type=_sites,
        help="comma-separated sites the token may see (default: every site)",
    )
    c.set_defaults(func=run_token_create)
    ls = tsub.add_parser("list", help="tokens with role, state, expiry, sites, last use")
    ls.add_argument("--db", required=True, help="gateway SQLite file")
    ls.set_defaults(func=run_token_list)
    for verb, enable in (("disable", False), ("enable", True)):
        d = tsub.add_parser(verb, help=f"{verb} a token by name")
        d.add_argument("--db", required=True, help="gateway SQLite file")
        d.add_argument("--name", required=True, help="the token's name (see token list)")
        d.set_defaults(func=run_token_disable, enable=enable)
