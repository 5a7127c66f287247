"""The gateway's unit caps its files and memory above what the API's own limits need."""

from __future__ import annotations

from gateway.api.hardening import HttpLimits
from tests.ops.units import UNITS, parse_unit, value

GATEWAY = UNITS / "stationkit-gateway.service"


def _bytes(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def test_the_gateway_unit_caps_open_files_above_the_connection_cap() -> None:
    unit = parse_unit(GATEWAY)
    nofile = int(value(unit, "Service", "LimitNOFILE") or 0)
    # room for the connection cap plus SQLite, MQTT, media and logs
    assert nofile >= HttpLimits().max_connections + 512


def test_the_gateway_unit_caps_memory() -> None:
    unit = parse_unit(GATEWAY)
    high = _bytes(value(unit, "Service", "MemoryHigh") or "0")
    top = _bytes(value(unit, "Service", "MemoryMax") or "0")
    assert 512 * 2**20 <= high < top <= 2 * 2**30
