"""Provision and revoke nodes: broker passwords, ACL, CA and certificates, node config bundles.

Every operation runs under a file lock and ends by regenerating the ACL file and the CRL from
the registry, then asking the broker to reload (SIGHUP). Revocation therefore takes effect in
three independent ways: the password is deleted, the ACL grants the username nothing, and the
node's certificate is on the CRL that the TLS listener checks.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import grp
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from devices.contract import topics
from devices.contract.errors import ContractError
from gateway.provision import mosquitto, pki
from gateway.provision.layout import Layout
from gateway.provision.node_config import NODE_ROOT, NodeBundle, render_node_toml
from gateway.provision.registry import NodeRecord, Registry, RevokedCert, load, save, write_atomic
from gateway.uplink.bridge import BridgeTarget, render_bridge_conf

RESERVED_NODES = frozenset({topics.GATEWAY_NODE})
BROKER_GROUP = "mosquitto"
SERVICE_GROUP = "stationkit"


class ProvisionError(Exception):
    """A provisioning request that cannot be done; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class NodeCredentials:
    username: str
    password: str
    bundle_dir: Path
    record: NodeRecord


def _group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def _share(path: Path, group: str, mode: int = 0o640) -> None:
    """Make `path` readable by `group` (root-owned) when we can; else keep it private."""
    gid = _group_id(group)
    if gid is not None and os.geteuid() == 0:
        os.chown(path, 0, gid)
        os.chmod(path, mode)
    else:
        os.chmod(path, mode & 0o700 if gid is None else mode)


class Provisioner:
    def __init__(
        self,
        layout: Layout,
        *,
        reload_broker: Callable[[], None] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.layout = layout
        self._reload = reload_broker
        self._clock = clock

    # -- public operations ---------------------------------------------------------------------

    def init_site(self, broker_hosts: list[str], *, broker_port: int = 8883) -> bool:
        """Create the CA and the broker's certificate for `broker_hosts` (the names or
        addresses nodes use to reach the broker). Re-issues the broker certificate when the
        host list changes. Returns True if anything was created."""
        # The first host is the one written into node configs; local names are added so the
        # gateway and tests on the broker's own machine can verify its certificate too.
        hosts = list(dict.fromkeys([h for h in broker_hosts if h] + ["localhost", "127.0.0.1"]))
        with self._locked() as reg:
            changed = self._ensure_ca()
            if changed or reg.broker_hosts != hosts or not self.layout.broker_cert.exists():
                self._issue_broker_cert(hosts)
                reg.broker_hosts = hosts
                changed = True
            if reg.broker_port != broker_port:
                reg.broker_port = broker_port
                changed = True
            self._commit(reg)
        return changed

    def provision_gateway(
        self, username: str = mosquitto.GATEWAY_USER, host: str = "127.0.0.1", port: int = 1883
    ) -> str:
        """(Re)create the gateway's broker user; writes gateway.env; returns the password."""
        if "." in username or not username:
            raise ProvisionError(f"gateway user {username!r} must be non-empty without dots")
        password = secrets.token_urlsafe(24)
        with self._locked() as reg:
            mosquitto.set_password(self.layout.passwd, username, password)
            if username not in reg.gateway_users:
                reg.gateway_users.append(username)
            env = f"STATIONKIT_BROKER=mqtt://{username}:{password}@{host}:{port}\n"
            write_atomic(self.layout.gateway_env, env.encode(), mode=0o600)
            _share(self.layout.gateway_env, SERVICE_GROUP)
            self._commit(reg)
        return password

    def provision_uplink(self) -> str:
        """(Re)create the bureau uplink's broker user (its own narrow ACL); writes its password
        to `uplink-password` for `[uplink] password_file`; returns the password."""
        password = secrets.token_urlsafe(24)
        with self._locked() as reg:
            mosquitto.set_password(self.layout.passwd, mosquitto.UPLINK_USER, password)
            if mosquitto.UPLINK_USER not in reg.gateway_users:
                reg.gateway_users.append(mosquitto.UPLINK_USER)
            write_atomic(self.layout.uplink_password, (password + "\n").encode(), mode=0o600)
            _share(self.layout.uplink_password, SERVICE_GROUP)
            self._commit(reg)
        return password

    def provision_bridge(self, site: str, target: BridgeTarget, conf_dir: Path) -> Path:
        """Write this station's bridge to the bureau's hub (`bridge-hub.conf` in Mosquitto's
        conf.d): only its uplink out, only its downlink in. The file holds the station's
        password at the bureau, so it is 0640 root:mosquitto. Mosquitto reads bridges only at
        start: restart it afterwards."""
        try:
            topics.check_slug(site, "site")
        except ContractError as exc:
            raise ProvisionError(str(exc)) from None
        if not target.addresses:
            raise ProvisionError("the bridge needs at least one --hub-address HOST:PORT")
        for address in target.addresses:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ProvisionError(f"--hub-address {address!r}: expected HOST:PORT")
        path = conf_dir / "bridge-hub.conf"
        conf_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, render_bridge_conf(site, target).encode(), mode=0o600)
        _share(path, "mosquitto")
        return path

    def provision_node(
        self,
        site: str,
        node: str,
        *,
        rotate: bool = False,
        node_root: PurePosixPath = NODE_ROOT,
    ) -> NodeCredentials:
        """Create a node's password, certificate, ACL entry and config bundle.

        An active node is only re-provisioned with `rotate=True`: its old password and
        certificate stop working. A revoked node may be provisioned again (new credentials).
        """
        try:
            username = mosquitto.node_username(site, node)
        except ContractError as exc:
            raise ProvisionError(str(exc)) from None
        if node in RESERVED_NODES:
            raise ProvisionError(
                f"node name {node!r} is reserved for the gateway's own topics; choose another"
            )
        with self._locked() as reg:
            if not self.layout.ca_cert.exists() or not reg.broker_hosts:
                raise ProvisionError(
                    "no CA yet: run `stationkit provision --init --broker-host <name the nodes "
                    "use to reach this broker>` first"
                )
            old = reg.nodes.get(username)
            if old and old.state == "active" and not rotate:
                raise ProvisionError(
                    f"{username} is already provisioned; use --rotate to issue new credentials "
                    "(the old ones stop working) or --revoke to lock it out"
                )
            now = self._clock()
            if old and old.state == "active":
                reg.revoked.append(
                    RevokedCert(serial=old.cert_serial, username=username, revoked_at=now)
                )
            password = secrets.token_urlsafe(24)
            issued = pki.issue(
                self.layout.ca_key.read_bytes(), self.layout.ca_cert.read_bytes(), username
            )
            record = NodeRecord(
                site=site,
                node=node,
                state="active",
                provisioned_at=now,
                cert_serial=f"{issued.serial:x}",
                cert_not_after=issued.not_after,
            )
            bundle = NodeBundle(
                site, node, username, password, reg.broker_hosts[0], reg.broker_port, node_root
            )
            out = self._write_bundle(username, bundle, issued)
            mosquitto.set_password(self.layout.passwd, username, password)
            reg.nodes[username] = record
            self._commit(reg)
        return NodeCredentials(username, password, out, record)

    def revoke_node(self, site: str, node: str) -> NodeRecord:
        """Lock a node out: password deleted, ACL emptied, certificate on the CRL."""
        username = mosquitto.node_username(site, node)
        with self._locked() as reg:
            rec = reg.nodes.get(username)
            if rec is None:
                raise ProvisionError(f"{username} was never provisioned here (see --list)")
            if rec.state == "active":
                now = self._clock()
                rec.state = "revoked"
                rec.revoked_at = now
                reg.revoked.append(
                    RevokedCert(serial=rec.cert_serial, username=username, revoked_at=now)
                )
            mosquitto.delete_password(self.layout.passwd, username)
            shutil.rmtree(self.layout.bundle(username), ignore_errors=True)
            self._commit(reg)
            return rec

    def nodes(self) -> list[NodeRecord]:
        return sorted(load(self.layout.registry).nodes.values(), key=lambda r: (r.site, r.node))

    def regenerate(self) -> None:
        """Rewrite the ACL and CRL from the registry and reload the broker."""
        with self._locked() as reg:
            self._commit(reg)

    # -- internals -----------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[Registry]:
        self.layout.lock.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.layout.lock.parent, 0o700)
        with open(self.layout.lock, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield load(self.layout.registry)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _ensure_ca(self) -> bool:
        if self.layout.ca_key.exists() and self.layout.ca_cert.exists():
            return False
        self.layout.pki_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.layout.pki_dir, 0o755)
        ca = pki.create_ca(f"StationKit site CA {self._clock():%Y-%m-%d}")
        write_atomic(self.layout.ca_key, ca.key_pem, mode=0o600)
        write_atomic(self.layout.ca_cert, ca.cert_pem, mode=0o644)
        return True

    def _issue_broker_cert(self, hosts: list[str]) -> None:
        issued = pki.issue(
            self.layout.ca_key.read_bytes(),
            self.layout.ca_cert.read_bytes(),
            hosts[0] if hosts else "localhost",
            server_hosts=hosts,
        )
        write_atomic(self.layout.broker_key, issued.key_pem, mode=0o600)
        _share(self.layout.broker_key, BROKER_GROUP)
        write_atomic(self.layout.broker_cert, issued.cert_pem, mode=0o644)

    def _write_bundle(self, username: str, bundle: NodeBundle, issued: pki.Issued) -> Path:
        out = self.layout.bundle(username)
        (out / "tls").mkdir(parents=True, exist_ok=True)
        os.chmod(out, 0o700)
        write_atomic(
            out / "node.toml", render_node_toml(bundle, now=self._clock()).encode(), mode=0o644
        )
        write_atomic(out / "broker.password", bundle.password.encode() + b"\n", mode=0o600)
        write_atomic(out / "tls" / "ca.crt", self.layout.ca_cert.read_bytes(), mode=0o644)
        write_atomic(out / "tls" / "node.crt", issued.cert_pem, mode=0o644)
        write_atomic(out / "tls" / "node.key", issued.key_pem, mode=0o600)
        return out

    def _commit(self, reg: Registry) -> None:
        """Persist the registry, regenerate ACL and CRL, then reload the broker."""
        save(self.layout.registry, reg)
        acl = mosquitto.render_acl([(n.site, n.node) for n in reg.active()], reg.gateway_users)
        self.layout.mosquitto_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.layout.acl, acl.encode(), mode=0o600)
        _share(self.layout.acl, BROKER_GROUP)
        if not self.layout.passwd.exists():
            write_atomic(self.layout.passwd, b"", mode=0o600)
        _share(self.layout.passwd, BROKER_GROUP)
        if self.layout.ca_key.exists():
            crl = pki.build_crl(
                self.layout.ca_key.read_bytes(),
                self.layout.ca_cert.read_bytes(),
                [(int(r.serial, 16), r.revoked_at) for r in reg.revoked],
            )
            write_atomic(self.layout.crl, crl, mode=0o644)
        if self._reload is not None:
            self._reload()
