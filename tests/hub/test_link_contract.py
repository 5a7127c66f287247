"""The uplink/downlink contract: topics round-trip to NATS subjects, decoders raise only
ContractError on any input, the examples in docs/hub.md are valid settings."""

from __future__ import annotations

import contextlib
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.contract.errors import ContractError
from devices.contract.link_codec import decode_action, decode_uplink
from devices.contract.uplink_topics import (
    NATS_UPLINK_FILTER,
    downlink,
    parse_link,
    to_subject,
    uplink,
)
from gateway.hub.config import HubSettings
from gateway.uplink.bridge import BridgeTarget, render_bridge_conf
from gateway.uplink.config import UplinkConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "hub.md"


def test_topics_and_subjects() -> None:
    t = uplink("fuling-1", "incident")
    assert t == "stationkit/v1/fuling-1/gateway/uplink/incident"
    assert parse_link(t) == parse_link(to_subject(t)) == ("fuling-1", "uplink", "incident")
    assert parse_link(downlink("s1", "comment")) == ("s1", "downlink", "comment")
    assert NATS_UPLINK_FILTER == "stationkit.v1.*.gateway.uplink.>"
    for bad in (
        "stationkit/v1/s1/desk/uplink/alert",
        "stationkit/v1/S1/gateway/uplink/alert",
        "stationkit/v1/s1/gateway/uplink/events",
        "stationkit.v1.s1.gateway.uplink",
    ):
        with pytest.raises(ContractError):
            parse_link(bad)
    with pytest.raises(ContractError):
        uplink("s1", "event")


@given(st.binary(max_size=2048))
def test_decoders_raise_only_contract_errors(data: bytes) -> None:
    for decode in (decode_uplink, decode_action):
        with contextlib.suppress(ContractError):
            decode(data)


def test_the_bridge_carries_only_the_station_link() -> None:
    conf = render_bridge_conf(
        "fuling", BridgeTarget(("h1:8883", "h2:8883"), "station-fuling", "pw")
    )
    topics = [line for line in conf.splitlines() if line.startswith("topic ")]
    assert topics == [
        "topic stationkit/v1/fuling/gateway/uplink/# out 1",
        "topic stationkit/v1/fuling/gateway/downlink/# in 1",
    ]
    assert "address h1:8883 h2:8883" in conf and "bridge_protocol_version mqttv311" in conf
    assert "cleansession false" in conf and "remote_username station-fuling" in conf


def test_the_settings_in_docs_hub_md_are_valid() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    uplink_block = next(b for b in blocks if b.startswith("[uplink]"))
    cfg = UplinkConfig.model_validate(tomllib.loads(uplink_block)["uplink"])
    assert cfg.enabled and cfg.resend_after_s == 300
    hub_block = next(b for b in blocks if b.startswith("nats ="))
    hub = HubSettings.model_validate(tomllib.loads(hub_block))
    assert hub.replicas == 3 and len(hub.nats) == 3
