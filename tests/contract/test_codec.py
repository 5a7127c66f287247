"""Topics and codec: round trips, precise rejections, and no crash on any input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.contract import ContractError, codec, topics


def test_topic_round_trip() -> None:
    t = topics.event("fuling-station", "desk-1", "check")
    assert t == "stationkit/v1/fuling-station/desk-1/event/check"
    parsed = topics.parse(t)
    assert (parsed.site, parsed.node, parsed.channel, parsed.arg) == (
        "fuling-station",
        "desk-1",
        topics.Channel.EVENT,
        "check",
    )
    assert str(parsed) == t


@pytest.mark.parametrize(
    "bad",
    [
        "stationkit/v2/s/n/status",
        "stationkit/v1/S/n/status",
        "stationkit/v1/s/n/teleport",
        "stationkit/v1/s/n/event",
        "stationkit/v1/s/n/event/a/b",
        "stationkit/v1/s/n/status/x",
        "stationkit/v1/s/n/media/not-an-id",
        "other/v1/s/n/status",
        "",
    ],
)
def test_bad_topics_are_rejected(bad: str) -> None:
    with pytest.raises(ContractError) as err:
        topics.parse(bad)
    assert err.value.reason in ("bad_topic", "bad_slug")


def test_builders_refuse_bad_slugs() -> None:
    with pytest.raises(ContractError, match="not a slug"):
        topics.status("Site One", "n1")


def test_unknown_keys_are_rejected_with_their_path() -> None:
    env = codec.make_event("door", site="s", node="n", seq=1, data={"door": "a", "open": True})
    raw = codec.encode(env).replace(b'"open":true', b'"open":true,"colour":"red"')
    with pytest.raises(ContractError) as err:
        codec.decode_event(raw)
    assert err.value.reason == "bad_schema"
    assert "data.colour" in str(err.value)


def test_envelope_must_match_topic() -> None:
    env = codec.make_event("door", site="s", node="n", seq=1, data={"door": "a", "open": True})
    with pytest.raises(ContractError) as err:
        codec.decode_event(codec.encode(env), topics.parse(topics.event("s", "other", "door")))
    assert err.value.reason == "topic_mismatch"


@given(st.binary(max_size=512))
def test_any_bytes_decode_or_raise_contract_error(data: bytes) -> None:
    with contextlib.suppress(ContractError):
        codec.decode_event(data)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=20,
    )
)
def test_any_json_decodes_or_raises_contract_error(value: object) -> None:
    import json

    with contextlib.suppress(ContractError):
        codec.decode_event(json.dumps(value).encode())


@given(st.text(max_size=100))
def test_any_topic_parses_or_raises_contract_error(topic: str) -> None:
    with contextlib.suppress(ContractError):
        topics.parse(topic)
