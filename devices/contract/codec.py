"""Encode and decode every payload of wire contract v1 — the only place JSON is handled.

Decoding never raises anything but `ContractError`, whose `reason` is one of:
``too_large``, ``bad_json``, ``unknown_kind``, ``bad_schema``, ``topic_mismatch``,
``bad_topic``, ``bad_channel``.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pydantic
from ulid import ULID

from devices.contract import topics
from devices.contract.errors import ContractError
from devices.contract.models import (
    EVENT_ADAPTER,
    EVENT_MODELS,
    Ack,
    Command,
    Envelope,
    Event,
    Heartbeat,
    IntakeProgress,
    Payload,
    Status,
    Stored,
)

MAX_JSON_BYTES = 256 * 1024
"""Largest JSON payload accepted (events, status, …). Binary media has its own limit."""

MAX_MEDIA_BYTES = 16 * 1024 * 1024
"""Largest media payload (JPEG snapshot or event clip)."""

M = TypeVar("M", bound=Payload)


def new_id() -> str:
    """A new globally unique, time-ordered id (ULID, 26 characters)."""
    return str(ULID())


def encode(payload: Payload) -> bytes:
    """Serialise any contract model to compact UTF-8 JSON."""
    return payload.model_dump_json(exclude_none=True).encode()


def _summary(err: pydantic.ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{loc}: {e['msg']}")
    more = err.error_count() - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _check_size(payload: bytes, limit: int) -> None:
    if len(payload) > limit:
        raise ContractError("too_large", f"{len(payload)} bytes is over the {limit}-byte limit")


def _loads(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContractError("bad_json", str(exc)) from None
    except RecursionError:  # `[[[[…` thousands deep: a poison message, not our bug
        raise ContractError("bad_json", "JSON nested too deeply") from None


def decode_event(payload: bytes, topic: topics.Topic | None = None) -> Event:
    """Decode an event envelope; if `topic` is given, site, node and kind must match it."""
    _check_size(payload, MAX_JSON_BYTES)
    try:
        # validate_json parses and validates in one pass (about twice as fast as json.loads
        # followed by validate_python): this is the gateway's hot path.
        event: Event = EVENT_ADAPTER.validate_json(payload)
    except pydantic.ValidationError as exc:
        types = {e["type"] for e in exc.errors()}
        if "json_invalid" in types or "json_type" in types:
            raise ContractError("bad_json", _summary(exc)) from None
        if types & {"union_tag_invalid", "union_tag_not_found"}:
            raise ContractError(
                "unknown_kind", f"{_summary(exc)} (kinds: {', '.join(sorted(EVENT_MODELS))})"
            ) from None
        raise ContractError("bad_schema", _summary(exc)) from None
    if topic is not None and (event.site, event.node, event.kind) != (
        topic.site,
        topic.node,
        topic.arg,
    ):
        raise ContractError(
            "topic_mismatch",
            f"envelope says {event.site}/{event.node}/{event.kind}, topic says "
            f"{topic.site}/{topic.node}/{topic.arg}",
        )
    return event


def decode(model: type[M], payload: bytes) -> M:
    """Decode a non-event payload (status, heartbeat, cmd, ack) into `model`."""
    _check_size(payload, MAX_JSON_BYTES)
    raw = _loads(payload)
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ContractError("bad_schema", _summary(exc)) from None


def make_event(
    kind: str,
    *,
    site: str,
    node: str,
    seq: int,
    data: Any,
    ts: Any = None,
    device: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Build a validated envelope of `kind` (data may be a model or a dict)."""
    from devices.contract.models import utc_now

    model = EVENT_MODELS.get(kind)
    if model is None:
        raise ContractError("unknown_kind", f"kind {kind!r} is not one of {sorted(EVENT_MODELS)}")
    if isinstance(data, Payload):
        data = data.model_dump()
    try:
        return model.model_validate(
            {
                "id": event_id or new_id(),
                "site": site,
                "node": node,
                "seq": seq,
                "ts": ts or utc_now(),
                "device": device,
                "data": data,
            }
        )
    except pydantic.ValidationError as exc:
        raise ContractError("bad_schema", _summary(exc)) from None


PAYLOAD_MODELS: dict[str, type[Payload]] = {
    "status": Status,
    "heartbeat": Heartbeat,
    "cmd": Command,
    "ack": Ack,
    "stored": Stored,
    "progress": IntakeProgress,
}


def json_schemas() -> dict[str, Any]:
    """JSON Schema of every payload: the event union, each event kind, and the others."""
    schemas: dict[str, Any] = {"event": EVENT_ADAPTER.json_schema()}
    for kind, model in EVENT_MODELS.items():
        schemas[f"event/{kind}"] = model.model_json_schema()
    for name, pmodel in PAYLOAD_MODELS.items():
        schemas[name] = pmodel.model_json_schema()
    return schemas
