"""Decode uplink and downlink payloads (encoding is `codec.encode`, as for every model)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic

from devices.contract.errors import ContractError
from devices.contract.models.uplink import UPLINK_ADAPTER, BureauAction, UplinkMessage

#: a snapshot carries at most 200 history lines of ≤2 kB: far below this
MAX_LINK_BYTES = 1024 * 1024

T = TypeVar("T")


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


def _validated(validate: Callable[[Any], T], payload: bytes) -> T:
    raw = _loads(payload)
    try:
        return validate(raw)
    except pydantic.ValidationError as exc:
        raise ContractError("bad_schema", _summary(exc)) from None


def decode_uplink(payload: bytes) -> UplinkMessage:
    """Any bytes in: an uplink snapshot out, or ContractError (never another exception)."""
    return _validated(UPLINK_ADAPTER.validate_python, payload)


def decode_action(payload: bytes) -> BureauAction:
    return _validated(BureauAction.model_validate, payload)
