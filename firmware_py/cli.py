"""The `stationkit` command. Subcommands live in `firmware_py.commands` and `gateway.commands`:
every module there with a `register(subparsers)` function adds its own subcommand(s).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

COMMAND_PACKAGES = ("firmware_py.commands", "gateway.commands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stationkit",
        description="StationKit: relief-station intake, foster-home video supervision, alerts.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for package_name in COMMAND_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:  # the gateway extra is not installed on a node
            continue
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            try:
                module = importlib.import_module(f"{package_name}.{info.name}")
            except ImportError as exc:  # a subcommand whose optional extra is missing
                print(f"stationkit: {info.name} unavailable: {exc}", file=sys.stderr)
                continue
            register = getattr(module, "register", None)
            if register is not None:
                register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
