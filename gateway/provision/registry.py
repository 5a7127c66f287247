"""The list of provisioned nodes (``provision/nodes.json``): the source the ACL file, the CRL
and `stationkit provision --list` are generated from."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from devices.contract.models.base import Slug


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeRecord(_Model):
    site: Slug = Field(description="site slug")
    node: Slug = Field(description="node slug")
    state: Literal["active", "revoked"] = Field(description="revoked nodes are locked out")
    provisioned_at: dt.datetime = Field(description="when the current credentials were made")
    revoked_at: dt.datetime | None = Field(None, description="when it was revoked")
    cert_serial: str = Field(description="serial of the current client certificate (hex)")
    cert_not_after: dt.datetime = Field(description="client certificate expiry (UTC)")


class RevokedCert(_Model):
    serial: str = Field(description="certificate serial (hex)")
    username: str = Field(description="whose certificate it was")
    revoked_at: dt.datetime = Field(description="when it was revoked")


class Registry(_Model):
    version: Literal[1] = 1
    broker_hosts: list[str] = Field(
        default_factory=list, description="names/addresses in the broker certificate"
    )
    broker_port: int = Field(8883, ge=1, le=65535, description="TLS listener port")
    gateway_users: list[str] = Field(
        default_factory=list, description="broker users with the gateway's rights"
    )
    nodes: dict[str, NodeRecord] = Field(default_factory=dict, description="by MQTT username")
    revoked: list[RevokedCert] = Field(default_factory=list, description="the CRL's content")

    def active(self) -> list[NodeRecord]:
        return [n for n in self.nodes.values() if n.state == "active"]


def load(path: Path) -> Registry:
    if not path.exists():
        return Registry()
    return Registry.model_validate_json(path.read_bytes())


def save(path: Path, registry: Registry) -> None:
    write_atomic(path, registry.model_dump_json(indent=2).encode() + b"\n", mode=0o600)


def write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Write `data` so that a crash leaves either the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
