"""Decode uplink and downlink payloads (encoding is `codec.encode`, as for every model)."""

from __future__ import annotations

import json
from typing import Any

import pydantic

from devices.contract.errors import ContractError
from devices.contract.models.uplink import UPLINK_ADAPTER, BureauAction, UplinkMessage

#: a snapshot carries at most 200 history lines of ≤2 kB: far below this
MAX_LINK_BYTES = 1024 * 1024


def _loads(payload: bytes) -> Any:
    if len(payload) > MAX_LINK_BYTES:
        raise ContractError("too_large", f"{len(payload)} bytes > {MAX_LINK_BYTES}")
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError("bad_json", str(exc)[:200]) from None


def _summary(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(root)"
    return f"{exc.error_count()} error(s); {where}: {first['msg']}"


def decode_uplink(payload: bytes) -> UplinkMessage:
    """Any bytes in: an uplink snapshot out, or ContractError (never another exception)."""
    raw = _loads(payload)
    try:
        return UPLINK_ADAPTER.validate_python(raw)
    except pydantic.ValidationError as exc:
        raise ContractError("bad_schema", _summary(exc)) from None


def decode_action(payload: bytes) -> BureauAction:
    raw = _loads(payload)
    try:
        return BureauAction.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ContractError("bad_schema", _summary(exc)) from None
