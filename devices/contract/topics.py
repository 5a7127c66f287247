"""Build and parse every MQTT topic of wire contract v1.

All topics start with ``stationkit/v1/{site}/{node}/``; ``site`` and ``node`` are slugs
(``[a-z0-9][a-z0-9-]{0,31}``). The gateway publishes alerts as node ``gateway``, and on
``{site}/{node}/stored`` tells one node which of its events it has committed (contract v1.1,
docs/mqtt.md "End-to-end acknowledgement"; older nodes never subscribe to it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from devices.contract.errors import ContractError

PREFIX = "stationkit/v1"
SUBSCRIBE_ALL = f"{PREFIX}/#"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
EVENT_ID = re.compile(r"^[0-9A-Za-z-]{16,40}$")
GATEWAY_NODE = "gateway"


class Channel(StrEnum):
    STATUS = "status"
    HEARTBEAT = "heartbeat"
    EVENT = "event"
    MEDIA = "media"
    LIVE = "live"
    CMD = "cmd"
    ACK = "ack"
    ALERT = "alert"
    STORED = "stored"
    PROGRESS = "progress"


# Channels followed by exactly one more level, and what that level names.
_WITH_ARG = {Channel.EVENT: "kind", Channel.MEDIA: "event_id", Channel.LIVE: "camera"}


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic. `arg` is the event kind, media event id or camera id, else None."""

    site: str
    node: str
    channel: Channel
    arg: str | None = None

    def __str__(self) -> str:
        base = f"{PREFIX}/{self.site}/{self.node}/{self.channel.value}"
        return f"{base}/{self.arg}" if self.arg is not None else base


def check_slug(value: str, what: str) -> str:
    """Return `value` if it is a valid site/node/device slug, else raise ContractError."""
    if not SLUG.match(value):
        raise ContractError(
            "bad_slug", f"{what} {value!r} is not a slug ([a-z0-9][a-z0-9-]{{0,31}})"
        )
    return value


def _build(site: str, node: str, channel: Channel, arg: str | None = None) -> str:
    check_slug(site, "site")
    check_slug(node, "node")
    return str(Topic(site, node, channel, arg))


def status(site: str, node: str) -> str:
    return _build(site, node, Channel.STATUS)


def heartbeat(site: str, node: str) -> str:
    return _build(site, node, Channel.HEARTBEAT)


def event(site: str, node: str, kind: str) -> str:
    return _build(site, node, Channel.EVENT, kind)


def media(site: str, node: str, event_id: str) -> str:
    if not EVENT_ID.match(event_id):
        raise ContractError("bad_topic", f"media event id {event_id!r} is not an event id")
    return _build(site, node, Channel.MEDIA, event_id)


def live(site: str, node: str, camera: str) -> str:
    return _build(site, node, Channel.LIVE, check_slug(camera, "camera"))


def cmd(site: str, node: str) -> str:
    return _build(site, node, Channel.CMD)


def ack(site: str, node: str) -> str:
    return _build(site, node, Channel.ACK)


def stored(site: str, node: str) -> str:
    """Gateway -> one node: the seqs of its events now committed (`models.Stored`)."""
    return _build(site, node, Channel.STORED)


def progress(site: str, node: str) -> str:
    """Intake node -> gateway: where its checks stand (`models.IntakeProgress`, retained)."""
    return _build(site, node, Channel.PROGRESS)


def alert(site: str) -> str:
    return _build(site, GATEWAY_NODE, Channel.ALERT)


def node_filter(site: str, node: str) -> str:
    """Subscription filter for everything one node publishes or receives."""
    return f"{PREFIX}/{check_slug(site, 'site')}/{check_slug(node, 'node')}/#"


def parse(topic: str) -> Topic:
    """Parse a topic string; raise ContractError(reason="bad_topic") if it is outside v1."""
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != PREFIX:
        raise ContractError("bad_topic", f"{topic!r} is not under {PREFIX}/{{site}}/{{node}}/")
    site, node, channel_name, rest = parts[2], parts[3], parts[4], parts[5:]
    if not SLUG.match(site) or not SLUG.match(node):
        raise ContractError("bad_topic", f"{topic!r}: site and node must be slugs")
    try:
        channel = Channel(channel_name)
    except ValueError:
        raise ContractError("bad_topic", f"{topic!r}: unknown channel {channel_name!r}") from None
    if channel in _WITH_ARG:
        if len(rest) != 1 or not rest[0]:
            what = _WITH_ARG[channel]
            raise ContractError("bad_topic", f"{topic!r}: {channel.value}/ needs one {what} level")
        arg = rest[0]
        if channel is Channel.MEDIA and not EVENT_ID.match(arg):
            raise ContractError("bad_topic", f"{topic!r}: {arg!r} is not an event id")
        if channel is Channel.LIVE and not SLUG.match(arg):
            raise ContractError("bad_topic", f"{topic!r}: camera {arg!r} is not a slug")
        return Topic(site, node, channel, arg)
    if rest:
        raise ContractError("bad_topic", f"{topic!r}: unexpected levels after {channel.value}")
    return Topic(site, node, channel)
