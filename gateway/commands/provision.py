"""`stationkit provision`: broker credentials, ACL, CA and certificates for nodes.

stationkit provision --init --broker-host gw.station.example [--broker-host 192.168.1.5]
stationkit provision --gateway
stationkit provision --site fuling --node desk-1 [--rotate]
stationkit provision --site fuling --node desk-1 --revoke
stationkit provision --list
stationkit provision --bridge --site fuling --hub-address hub-1:8883 [--hub-address hub-2:8883]
    --hub-username station-fuling --hub-password-file F [--hub-cafile CA]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

from gateway.provision.layout import DEFAULT_ROOT, Layout
from gateway.provision.node_config import NODE_ROOT
from gateway.provision.provisioner import Provisioner, ProvisionError
from gateway.uplink.bridge import BridgeTarget


def systemd_reload_mosquitto() -> None:
    """Ask systemd to reload Mosquitto (SIGHUP: passwords, ACL, certificates and CRL)."""
    if not Path("/run/systemd/system").exists() or not shutil.which("systemctl"):
        print(
            "note: reload the broker yourself so the change takes effect: "
            "`systemctl reload mosquitto` or `kill -HUP <mosquitto pid>`",
            file=sys.stderr,
        )
        return
    done = subprocess.run(
        ["systemctl", "reload", "mosquitto"], capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        print(
            f"warning: `systemctl reload mosquitto` failed ({done.stderr.strip()}); "
            "the change takes effect at the broker's next reload or restart",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    prov = Provisioner(
        Layout(Path(args.root)),
        reload_broker=None if args.no_reload else systemd_reload_mosquitto,
    )
    try:
        if args.init:
            if not args.broker_host:
                print("--init needs at least one --broker-host (the name nodes use to reach it)")
                return 2
            created = prov.init_site(args.broker_host, broker_port=args.port)
            print(
                ("created" if created else "unchanged")
                + f": CA {prov.layout.ca_cert}, broker certificate for "
                + ", ".join(args.broker_host)
            )
            return 0
        if args.gateway:
            prov.provision_gateway()
            print(f"gateway broker credentials written to {prov.layout.gateway_env}")
            return 0
        if args.uplink:
            prov.provision_uplink()
            print(f"uplink broker password written to {prov.layout.uplink_password}")
            return 0
        if args.bridge:
            return _bridge(prov, args)
        if args.list:
            for rec in prov.nodes():
                revoked = f" on {rec.revoked_at:%Y-%m-%d}" if rec.revoked_at else ""
                print(
                    f"{rec.site}/{rec.node}\t{rec.state}{revoked}\t"
                    f"cert expires {rec.cert_not_after:%Y-%m-%d}"
                )
            return 0
        if not (args.site and args.node):
            print("give --site and --node (or --init, --gateway, --list); see --help")
            return 2
        if args.revoke:
            rec = prov.revoke_node(args.site, args.node)
            print(
                f"{args.site}/{args.node} revoked: password deleted, ACL emptied, "
                f"certificate {rec.cert_serial} on the CRL"
            )
            return 0
        creds = prov.provision_node(
            args.site, args.node, rotate=args.rotate, node_root=PurePosixPath(args.node_root)
        )
    except ProvisionError as exc:
        print(f"stationkit provision: {exc}", file=sys.stderr)
        return 1
    print(f"{creds.username} provisioned; bundle in {creds.bundle_dir}")
    print(
        f"copy it to the node's {args.node_root} (node.toml and tls/), e.g.\n"
        f"  sudo tar -C {creds.bundle_dir} -cf - . | ssh pi@<node> "
        f"'sudo tar -C {args.node_root} -xf - && sudo chown -R root:stationkit "
        f"{args.node_root} && sudo chmod 0640 {args.node_root}/broker.password "
        f"{args.node_root}/tls/node.key'\n"
        f"then delete the bundle here: sudo rm -r {creds.bundle_dir}"
    )
    return 0


def _bridge(prov: Provisioner, args: argparse.Namespace) -> int:
    if not args.site:
        print("--bridge needs --site (this station's slug)", file=sys.stderr)
        return 2
    password = None
    if args.hub_password_file:
        try:
            password = Path(args.hub_password_file).read_text().strip()
        except OSError as exc:
            print(f"--hub-password-file: {exc.strerror}: {args.hub_password_file}", file=sys.stderr)
            return 1
    target = BridgeTarget(
        addresses=tuple(args.hub_address),
        username=args.hub_username,
        password=password,
        cafile=args.hub_cafile,
    )
    path = prov.provision_bridge(args.site, target, Path(args.mosquitto_conf_dir))
    print(f"bridge to the bureau's hub written to {path}")
    print("bridges are read only at start: `systemctl restart mosquitto`")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "provision",
        help="create or revoke a node's broker credentials, certificate and config",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--site", help="site slug, e.g. fuling-station")
    p.add_argument("--node", help="node slug, e.g. desk-1")
    p.add_argument("--revoke", action="store_true", help="lock the node out")
    p.add_argument("--rotate", action="store_true", help="new credentials for an active node")
    p.add_argument("--init", action="store_true", help="create the CA and broker certificate")
    p.add_argument(
        "--broker-host",
        action="append",
        default=[],
        help="name or address nodes use to reach the broker (repeatable; first goes in configs)",
    )
    p.add_argument("--port", type=int, default=8883, help="the broker's TLS port (8883)")
    p.add_argument("--gateway", action="store_true", help="(re)create the gateway's broker user")
    p.add_argument(
        "--uplink", action="store_true", help="(re)create the bureau uplink's broker user"
    )
    p.add_argument(
        "--bridge", action="store_true", help="write this station's bridge to the bureau's hub"
    )
    p.add_argument(
        "--hub-address",
        action="append",
        default=[],
        help="HOST:PORT of a hub NATS node's MQTT listener (repeatable, one per node)",
    )
    p.add_argument("--hub-username", help="this station's account at the bureau")
    p.add_argument("--hub-password-file", help="file holding that account's password")
    p.add_argument("--hub-cafile", help="CA of the bureau's TLS listener")
    p.add_argument(
        "--mosquitto-conf-dir",
        default="/etc/mosquitto/conf.d",
        help="where the bridge file goes (/etc/mosquitto/conf.d)",
    )
    p.add_argument("--list", action="store_true", help="list provisioned nodes")
    p.add_argument("--root", default=str(DEFAULT_ROOT), help="config root (/etc/stationkit)")
    p.add_argument("--node-root", default=str(NODE_ROOT), help="where the bundle goes on the node")
    p.add_argument("--no-reload", action="store_true", help="do not reload Mosquitto")
    p.set_defaults(func=run)
