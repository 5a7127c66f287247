"""Every JSON example in docs/mqtt.md validates against the contract models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devices.contract import codec
from devices.contract.models import KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "mqtt.md"
BLOCK = re.compile(r"^### `([a-z_/]+)`\n\n```json\n(.*?)\n```", re.M | re.S)
OTHER = codec.PAYLOAD_MODELS  # status, heartbeat, cmd, ack, stored, progress


def examples() -> dict[str, str]:
    return dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))


def test_there_is_one_example_per_kind_and_payload() -> None:
    names = set(examples())
    assert names == {f"event/{k}" for k in KINDS} | set(OTHER)


@pytest.mark.parametrize("name", sorted(examples()))
def test_example_validates(name: str) -> None:
    text = examples()[name].encode()
    if name.startswith("event/"):
        event = codec.decode_event(text)
        assert event.kind == name.split("/", 1)[1]
        assert codec.decode_event(codec.encode(event)) == event  # round trip
    else:
        codec.decode(OTHER[name], text)
