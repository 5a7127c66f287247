"""`stationkit hub run|migrate|user|bridge-config`: the bureau's hub."""

from __future__ import annotations

import argparse
import getpass
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.hub.config import HubSettings


def _settings(args: argparse.Namespace) -> HubSettings:
    from gateway.hub.config import load_hub_settings

    return load_hub_settings(
        Path(args.config) if args.config else None,
        nats=args.nats,
        postgres=args.postgres,
        http=getattr(args, "http", None),
        mqtt=getattr(args, "mqtt", None),
    )


def run_hub(args: argparse.Namespace) -> int:
    from gateway.hub import HubError
    from gateway.hub.service import HubProcess

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = _settings(args)
        if args.no_http:
            settings = settings.model_copy(update={"serve_http": False})
        if args.name:
            settings = settings.model_copy(update={"worker_name": args.name})
        return HubProcess(settings).run()
    except HubError as exc:
        print(f"stationkit hub: {exc}")
        return 2


def run_migrate(args: argparse.Namespace) -> int:
    from gateway.hub import HubError, store

    try:
        with store.connect(_settings(args).postgres) as conn:
            print("\n".join(store.migrate(conn)) or "up to date")
    except HubError as exc:
        print(f"stationkit hub migrate: {exc}")
        return 2
    return 0


def run_user_add(args: argparse.Namespace) -> int:
    from gateway.hub import HubError, store
    from gateway.hub.users import add_user

    password = args.password or getpass.getpass(f"password for {args.username}: ")
    try:
        with store.connect(_settings(args).postgres) as conn:
            store.migrate(conn)
            add_user(
                conn,
                args.username,
                args.role,
                password,
                districts=args.district or None,
                stations=args.station or None,
                lang=args.lang,
            )
    except (HubError, ValueError) as exc:
        print(f"stationkit hub user add: {exc}")
        return 2
    return 0


def run_station_set(args: argparse.Namespace) -> int:
    from gateway.hub import store

    with store.connect(_settings(args).postgres) as conn:
        store.migrate(conn)
        conn.execute(
            "INSERT INTO stations (station, kind, name, district) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (station) DO UPDATE SET kind=EXCLUDED.kind, name=EXCLUDED.name, "
            "district=EXCLUDED.district",
            (args.station, args.kind, args.title, args.district),
        )
        conn.commit()
    return 0


def run_bridge_config(args: argparse.Namespace) -> int:
    from gateway.uplink.bridge import BridgeTarget, render_bridge_conf

    target = BridgeTarget(tuple(args.address), args.username, args.password, args.cafile)
    print(render_bridge_conf(args.site, target), end="")
    return 0


def run_nats_accounts(args: argparse.Namespace) -> int:
    from gateway.hub.nats_accounts import render_authorization

    stations = {}
    for item in args.station or []:
        site, sep, password = item.partition("=")
        if not sep or not password:
            print(f"stationkit hub nats-accounts: --station {item!r}: expected SITE=PASSWORD")
            return 2
        stations[site] = password
    print(render_authorization(args.hub_password, stations), end="")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hub", help="the bureau's hub (NATS JetStream -> PostgreSQL, dashboard)")
    hs = p.add_subparsers(dest="hub_command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--config", help="hub.toml")
        q.add_argument("--nats", help="nats://host:port[,nats://…] (env STATIONKIT_HUB_NATS)")
        q.add_argument("--postgres", help="libpq DSN (env STATIONKIT_HUB_POSTGRES)")

    r = hs.add_parser("run", help="run one worker (start several for more throughput)")
    common(r)
    r.add_argument("--http", help="HOST:PORT of the dashboard (env STATIONKIT_HUB_HTTP)")
    r.add_argument("--mqtt", help="NATS MQTT listener for the downlink (env STATIONKIT_HUB_MQTT)")
    r.add_argument("--no-http", action="store_true", help="consume only; no dashboard")
    r.add_argument("--name", help="worker name in logs")
    r.set_defaults(func=run_hub)

    m = hs.add_parser("migrate", help="create or upgrade the hub's PostgreSQL schema")
    common(m)
    m.set_defaults(func=run_migrate)

    u = hs.add_parser("user", help="bureau users")
    us = u.add_subparsers(dest="hub_user_command", required=True)
    a = us.add_parser("add", help="add or replace a bureau user")
    common(a)
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=("officer", "supervisor", "admin"))
    a.add_argument("--password", help="(prompted when absent)")
    a.add_argument("--district", action="append", help="limit to this district (repeatable)")
    a.add_argument("--station", action="append", help="limit to this station (repeatable)")
    a.add_argument("--lang", default="zh-CN", choices=("zh-CN", "en"))
    a.set_defaults(func=run_user_add)

    s = hs.add_parser("station", help="name a station or foster home and place it in a district")
    common(s)
    s.add_argument("station")
    s.add_argument("--kind", default="station", choices=("station", "foster_home"))
    s.add_argument("--title", help="display name")
    s.add_argument("--district", help="district it belongs to")
    s.set_defaults(func=run_station_set)

    n = hs.add_parser("nats-accounts", help="print the NATS authorization block (per station)")
    n.add_argument("--hub-password", required=True, help="password (or bcrypt hash) of `hub`")
    n.add_argument("--station", action="append", help="SITE=PASSWORD (repeatable)")
    n.set_defaults(func=run_nats_accounts)

    b = hs.add_parser("bridge-config", help="print a station's Mosquitto bridge to the hub")
    b.add_argument("--site", required=True)
    b.add_argument("--address", action="append", required=True, help="host:port (repeatable)")
    b.add_argument("--username")
    b.add_argument("--password")
    b.add_argument("--cafile")
    b.set_defaults(func=run_bridge_config)
