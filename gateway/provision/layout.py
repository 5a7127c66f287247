"""Where provisioning keeps its files on the gateway (default root ``/etc/stationkit``).

The Mosquitto configs in ``systemd/mosquitto/`` name these same paths; the security tests
rewrite ``/etc/stationkit`` to a temporary root, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/etc/stationkit")


class _Below:
    """A path below the layout's root, read as an attribute: `ca_key = _Below("pki", "ca.key")`."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __get__(self, layout: Layout, owner: type[Layout] | None = None) -> Path:
        return layout.root.joinpath(*self.parts)


@dataclass(frozen=True, slots=True)
class Layout:
    root: Path = DEFAULT_ROOT

    # broker auth (read by Mosquitto)
    mosquitto_dir = _Below("mosquitto")
    passwd = _Below("mosquitto", "passwd")
    acl = _Below("mosquitto", "acl")

    # PKI: the CA key never leaves pki/ (0600, root only)
    pki_dir = _Below("pki")
    ca_key = _Below("pki", "ca.key")
    ca_cert = _Below("pki", "ca.crt")
    broker_key = _Below("pki", "broker.key")
    broker_cert = _Below("pki", "broker.crt")
    crl = _Below("pki", "crl.pem")

    # provisioning state
    registry = _Below("provision", "nodes.json")
    lock = _Below("provision", ".lock")
    bundles_dir = _Below("provision", "bundles")

    def bundle(self, username: str) -> Path:
        """Folder with one node's config, certificate and key, to copy to that node."""
        return self.bundles_dir / username

    # the gateway's own broker credentials (EnvironmentFile of stationkit-gateway.service)
    gateway_env = _Below("gateway.env")
    uplink_password = _Below("uplink-password")
    """The bureau uplink's broker password (`[uplink] password_file`)."""
