"""Topics of the station ↔ bureau link (uplink and downlink), and their NATS subjects.

The station gateway publishes its records for the bureau on
``stationkit/v1/{site}/gateway/uplink/{kind}`` and receives the bureau's actions on
``stationkit/v1/{site}/gateway/downlink/{kind}``. The station's Mosquitto bridges exactly these
two subtrees (uplink `out`, downlink `in`) to the bureau's NATS MQTT listener, which maps `/` to
`.`: the hub reads subjects ``stationkit.v1.{site}.gateway.uplink.{kind}``.
"""

from __future__ import annotations

from typing import Literal

from devices.contract.errors import ContractError
from devices.contract.topics import GATEWAY_NODE, PREFIX, SLUG, check_slug

UplinkKind = Literal["alert", "incident", "daily_return", "health"]
DownlinkKind = Literal["acknowledge", "comment"]
UPLINK_KINDS: tuple[str, ...] = ("alert", "incident", "daily_return", "health")
DOWNLINK_KINDS: tuple[str, ...] = ("acknowledge", "comment")

#: every station's uplink, as a NATS subject filter (the hub's JetStream stream)
NATS_UPLINK_FILTER = f"{PREFIX.replace('/', '.')}.*.{GATEWAY_NODE}.uplink.>"
#: what a station gateway subscribes to on its own broker for the bureau's actions
DOWNLINK_FILTER = f"{PREFIX}/+/{GATEWAY_NODE}/downlink/+"


def uplink(site: str, kind: str) -> str:
    if kind not in UPLINK_KINDS:
        raise ContractError("bad_topic", f"unknown uplink kind {kind!r}")
    return f"{PREFIX}/{check_slug(site, 'site')}/{GATEWAY_NODE}/uplink/{kind}"


def downlink(site: str, kind: str) -> str:
    if kind not in DOWNLINK_KINDS:
        raise ContractError("bad_topic", f"unknown downlink kind {kind!r}")
    return f"{PREFIX}/{check_slug(site, 'site')}/{GATEWAY_NODE}/downlink/{kind}"


def uplink_filter(site: str) -> str:
    """The bridge's `out` pattern for one station."""
    return f"{PREFIX}/{check_slug(site, 'site')}/{GATEWAY_NODE}/uplink/#"


def downlink_filter(site: str) -> str:
    """The bridge's `in` pattern for one station: the only topics the bureau may write."""
    return f"{PREFIX}/{check_slug(site, 'site')}/{GATEWAY_NODE}/downlink/#"


def to_subject(topic: str) -> str:
    """The NATS subject the NATS MQTT listener gives an MQTT topic."""
    return topic.replace("/", ".")


def parse_link(name: str) -> tuple[str, str, str]:
    """(site, direction, kind) of an uplink/downlink topic or NATS subject; ContractError else."""
    parts = name.replace(".", "/").split("/") if "/" not in name else name.split("/")
    prefix = PREFIX.split("/")
    if (
        len(parts) != 6
        or parts[:2] != prefix
        or parts[3] != GATEWAY_NODE
        or parts[4] not in ("uplink", "downlink")
        or not SLUG.match(parts[2])
    ):
        raise ContractError("bad_topic", f"{name!r} is not a station uplink/downlink topic")
    kinds = UPLINK_KINDS if parts[4] == "uplink" else DOWNLINK_KINDS
    if parts[5] not in kinds:
        raise ContractError("bad_topic", f"{name!r}: unknown {parts[4]} kind {parts[5]!r}")
    return parts[2], parts[4], parts[5]
