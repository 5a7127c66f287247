"""Baseline: the `stationkit` command as it was before lazy subcommands (issue 12, finding 7).

Every module of `firmware_py.commands` and `gateway.commands` is imported to build the parser,
as firmware_py/cli.py did at commit 99f89e0; then the chosen subcommand runs. Run as a script
(`python bench/node/eager_cli.py node --config node.toml`) so that it works in an install
without the bench package. Only bench/node uses it.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

COMMAND_PACKAGES = ("firmware_py.commands", "gateway.commands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stationkit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for package_name in COMMAND_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            try:
                module = importlib.import_module(f"{package_name}.{info.name}")
            except ImportError as exc:
                print(f"stationkit: {info.name} unavailable: {exc}", file=sys.stderr)
                continue
            register = getattr(module, "register", None)
            if register is not None:
                register(sub)
    return parser


if __name__ == "__main__":
    sys.path.pop(0)  # this folder: the installed stationkit must be the one imported
    args = build_parser().parse_args()
    sys.exit(int(args.func(args) or 0))
