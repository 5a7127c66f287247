# ruff: noqa: E501  (the page's Markdown table is kept readable as written)
"""Write docs/contracts.md from the models: `python -m tools.contracts_doc` (or `--check`).

Everything that crosses a process boundary is a pydantic model; this page is generated from
them so it cannot drift (tests/contract/test_contracts_doc.py fails when the committed page
differs from what the models say).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devices.contract.codec import PAYLOAD_MODELS
from devices.contract.models import EVENT_MODELS, Envelope
from devices.contract.models import uplink as up
from gateway.alerts.models import Alert, Incident
from gateway.notify.message import Notification
from gateway.reports.models import Stats

OUT = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"

HEAD = """# Contracts: every message between processes

Generated from the pydantic models by `python -m tools.contracts_doc`; do not edit by hand
(`tests/contract/test_contracts_doc.py` fails when this page and the models differ). Every
model refuses unknown keys. Times are UTC ISO 8601. The MQTT topics are in
[mqtt.md](mqtt.md) (with an example of each payload); the HTTP API's answers are in
`/openapi.json` (and `/docs` on a running gateway).

| boundary | carried by | models |
|---|---|---|
| node → gateway | MQTT `stationkit/v1/{site}/{node}/…` | the event envelope and each event kind's `data`; `status`, `heartbeat`, `ack`, `progress` (an intake node's open checks) |
| gateway → node | MQTT `…/{node}/cmd`, `…/{node}/stored` | `cmd`, `stored` (what the gateway has on disk: the node may forget it) |
| station → bureau | MQTT uplink bridged to NATS `stationkit.v1.{site}.gateway.uplink.{kind}` | `AlertSnapshot`, `IncidentSnapshot` (with `MissingPerson`), `DailyReturn`, `HealthSummary` |
| bureau → station | NATS/MQTT downlink `…/gateway/downlink/{kind}` | `BureauAction` |
| gateway → bureau, duty officers | webhook body, MQTT `notify/…`, e-mail | `Notification` (its `alert` and `incident` are the documents below) |
| gateway → dashboard | SSE `/api/v1/stream`, HTTP API | `Alert`, `Incident`, statistics `Stats`; the rest in `/openapi.json` |
"""


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if "const" in schema:
        return f"`{schema['const']!r}`".replace("'", '"')
    if "enum" in schema:
        return " \\| ".join(f'`"{v}"`' if isinstance(v, str) else f"`{v}`" for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " \\| ".join(_type(s, defs) for s in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}), defs)}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"map of {_type(extra, defs)}" if isinstance(extra, dict) else "object"
    if kind == "string" and "format" in schema:
        return f"string ({schema['format']})"
    return str(kind or "any")


def _table(name: str, schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    lines = [f"### `{name}`", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    if schema.get("type") != "object" or "properties" not in schema:
        return [*lines, f"Type: {_type(schema, defs)}", ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | required | meaning |", "|---|---|---|---|"]
    for field, sub in schema["properties"].items():
        desc = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
        lines.append(
            f"| `{field}` | {_type(sub, defs)} | {'yes' if field in required else ''} | {desc} |"
        )
    return [*lines, ""]


def _section(title: str, intro: str, models: list[tuple[str, type[BaseModel]]]) -> list[str]:
    lines = [f"## {title}", "", intro, ""]
    seen: set[str] = set()
    for name, model in models:
        schema = model.model_json_schema(mode="serialization")
        defs = schema.get("$defs", {})
        lines += _table(name, schema, defs)
        for dname, dschema in defs.items():
            if dname not in seen and dname not in {n for n, _ in models}:
                seen.add(dname)
                lines += _table(dname, dschema, defs)
    return lines


def render() -> str:
    wire = [("Envelope", Envelope)]
    wire += [(f"event/{kind}: data", m.model_fields["data"].annotation) for kind, m in
             EVENT_MODELS.items()]  # type: ignore[misc]  # fmt: skip
    wire += list(PAYLOAD_MODELS.items())
    uplink = [
        ("AlertSnapshot", up.AlertSnapshot),
        ("IncidentSnapshot", up.IncidentSnapshot),
        ("DailyReturn", up.DailyReturn),
        ("HealthSummary", up.HealthSummary),
        ("BureauAction", up.BureauAction),
    ]
    out = [HEAD]
    out += _section(
        "Node and gateway (wire contract v1, `devices/contract`)",
        "An event is the envelope's fields plus `kind` and `data`; each kind's `data` below.",
        wire,
    )
    out += _section(
        "Station and bureau (`devices/contract/models/uplink.py`)",
        "Snapshots: the whole current state of one record, resent on every change; the hub keeps "
        "the newest by `rev`.",
        uplink,
    )
    out += _section(
        "Notifications (`gateway/notify/message.py`)",
        "The same JSON is the webhook body and the MQTT payload; `alert` is an `Alert` and "
        "`incident` an `Incident` as below.",
        [("Notification", Notification), ("Alert", Alert), ("Incident", Incident)],
    )
    out += _section(
        "Statistics (`gateway/reports/models.py`)",
        "GET /api/v1/reports/daily and /monthly (JSON); the CSV and XLSX carry the same numbers.",
        [("Stats", Stats)],
    )
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/contracts.md is stale")
    args = ap.parse_args()
    text = render()
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print("docs/contracts.md is stale: run python -m tools.contracts_doc", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
