"""`stationkit schema`: print the JSON Schema of every wire payload."""

from __future__ import annotations

import argparse
import json

from devices.contract.codec import json_schemas


def run(args: argparse.Namespace) -> int:
    schemas = json_schemas()
    if args.name:
        if args.name not in schemas:
            print(f"unknown payload {args.name!r}; one of: {', '.join(schemas)}")
            return 2
        schemas = {args.name: schemas[args.name]}
    print(json.dumps(schemas, indent=2, ensure_ascii=False))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of every wire payload")
    p.add_argument("name", nargs="?", help="one payload, e.g. event/check, status, heartbeat")
    p.set_defaults(func=run)
