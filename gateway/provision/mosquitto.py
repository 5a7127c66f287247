"""Mosquitto password-file and ACL entries for StationKit clients.

A node's MQTT username is ``{site}.{node}`` (a dot never appears in a slug, so the name is
unambiguous). It may publish only under its own ``stationkit/v1/{site}/{node}/`` and read
only its own ``cmd``. The gateway reads everything and writes commands and alerts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from devices.contract import topics

GATEWAY_USER = "gateway"


def node_username(site: str, node: str) -> str:
    return f"{topics.check_slug(site, 'site')}.{topics.check_slug(node, 'node')}"


def node_acl(site: str, node: str) -> str:
    base = f"{topics.PREFIX}/{site}/{node}"
    lines = [f"user {node_username(site, node)}"]
    lines += [f"topic write {base}/{suffix}" for suffix in ("status", "heartbeat", "ack")]
    lines += [f"topic write {base}/{channel}/+" for channel in ("event", "media", "live")]
    lines.append(f"topic read {base}/cmd")
    return "\n".join(lines) + "\n"


def gateway_acl(username: str = GATEWAY_USER) -> str:
    p = topics.PREFIX
    return (
        f"user {username}\n"
        f"topic read {p}/#\n"
        f"topic write {p}/+/+/cmd\n"
        f"topic write {p}/+/{topics.GATEWAY_NODE}/#\n"
    )


def set_password(password_file: Path, username: str, password: str) -> None:
    """Add or replace `username` in a Mosquitto password file (hashed by mosquitto_passwd)."""
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    password_file.parent.mkdir(parents=True, exist_ok=True)
    if not password_file.exists():
        password_file.touch(mode=0o600)
    subprocess.run(
        [tool, "-b", str(password_file), username, password],
        check=True,
        capture_output=True,
        timeout=30,
    )
