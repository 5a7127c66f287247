"""The `authorization` block of the bureau's NATS config: one user per station, which may
publish only its own uplink and receive only its own downlink, and the hub's user.

Printed by `stationkit hub nats-users`; NATS 2.9 checks MQTT clients against the same
permissions, with MQTT topics mapped to subjects (`/` → `.`)."""

from __future__ import annotations

import json

from devices.contract.topics import check_slug

HUB_PUBLISH = [
    "stationkit.v1.*.gateway.downlink.>",  # the downlink (the hub publishes it over MQTT)
    "$JS.API.>",  # create and read the stream and its consumer
    "$JS.ACK.>",  # ack what it consumed
    "_INBOX.>",
]
HUB_SUBSCRIBE = ["stationkit.v1.*.gateway.uplink.>", "_INBOX.>"]


def station_user(site: str) -> str:
    return f"station-{check_slug(site, 'site')}"


def render_authorization(hub_password: str, stations: dict[str, str]) -> str:
    """`stations`: {site: password}. Passwords may be bcrypt hashes (`nats server passwd`)."""
    q = json.dumps
    users = [
        f"    {{ user: hub, password: {q(hub_password)}, permissions: {{\n"
        f"        publish: {q(HUB_PUBLISH)},\n        subscribe: {q(HUB_SUBSCRIBE)} }} }}"
    ]
    for site, password in sorted(stations.items()):
        users.append(
            f"    {{ user: {station_user(site)}, password: {q(password)}, permissions: {{\n"
            f"        publish: [{q(f'stationkit.v1.{site}.gateway.uplink.>')}],\n"
            # MQTT's `downlink/#` also matches `downlink` itself: both subjects are needed
            f"        subscribe: [{q(f'stationkit.v1.{site}.gateway.downlink')}, "
            f"{q(f'stationkit.v1.{site}.gateway.downlink.>')}, "
            # NATS delivers an MQTT QoS 1 subscription through a JetStream consumer whose
            # deliver subject is $MQTT.sub.<id>: without it the bridge's `in` topic fails
            # ("subscribe permission violation" in the server log)
            f'"$MQTT.sub.>"] }} }}'
        )
    return "authorization {\n  users: [\n" + "\n".join(users) + "\n  ]\n}\n"
