"""Where provisioning keeps its files on the gateway (default root ``/etc/stationkit``).

The Mosquitto configs in ``systemd/mosquitto/`` name these same paths; the security tests
rewrite ``/etc/stationkit`` to a temporary root, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/etc/stationkit")


@dataclass(frozen=True, slots=True)
class Layout:
    root: Path = DEFAULT_ROOT

    # broker auth (read by Mosquitto)
    @property
    def mosquitto_dir(self) -> Path:
        return self.root / "mosquitto"

    @property
    def passwd(self) -> Path:
        return self.mosquitto_dir / "passwd"

    @property
    def acl(self) -> Path:
        return self.mosquitto_dir / "acl"

    # PKI: the CA key never leaves pki/ (0600, root only)
    @property
    def pki_dir(self) -> Path:
        return self.root / "pki"

    @property
    def ca_key(self) -> Path:
        return self.pki_dir / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.pki_dir / "ca.crt"

    @property
    def broker_key(self) -> Path:
        return self.pki_dir / "broker.key"

    @property
    def broker_cert(self) -> Path:
        return self.pki_dir / "broker.crt"

    @property
    def crl(self) -> Path:
        return self.pki_dir / "crl.pem"

    # provisioning state
    @property
    def registry(self) -> Path:
        return self.root / "provision" / "nodes.json"

    @property
    def lock(self) -> Path:
        return self.root / "provision" / ".lock"

    @property
    def bundles_dir(self) -> Path:
        return self.root / "provision" / "bundles"

    def bundle(self, username: str) -> Path:
        """Folder with one node's config, certificate and key, to copy to that node."""
        return self.bundles_dir / username

    # the gateway's own broker credentials (EnvironmentFile of stationkit-gateway.service)
    @property
    def gateway_env(self) -> Path:
        return self.root / "gateway.env"

    @property
    def uplink_password(self) -> Path:
        """The bureau uplink's broker password (`[uplink] password_file`)."""
        return self.root / "uplink-password"
