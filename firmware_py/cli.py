"""The `stationkit` command.

Subcommands are listed in a registry (`COMMANDS` of `firmware_py.commands` and
`gateway.commands`: name, module, one-line help, pip extras) and loaded lazily: only the module
of the subcommand being run is imported. `stationkit node` on a Pi therefore never imports the
gateway's web, database, PDF or crypto stacks (~30 MB of RSS, and three "unavailable" lines on
a node-only install when every module was imported to build the parser). The top-level help
is built from the registry alone. A subcommand whose extra is not installed says so, with the
pip command, only when it is run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, NamedTuple

COMMAND_PACKAGES = ("firmware_py.commands", "gateway.commands")
OWN_PACKAGES = frozenset({"devices", "firmware_py", "gateway", "dashboard"})


class Command(NamedTuple):
    """One `stationkit` subcommand in the registry."""

    name: str
    module: str  # imported only when this subcommand runs; its register(sub) adds the parser
    help: str  # shown by `stationkit --help` (the module's own add_parser help must match)
    extras: tuple[str, ...] = ()  # pip extras it needs beyond the node's core dependencies


class MissingExtra(Exception):
    """A subcommand needs an optional dependency that is not installed."""

    def __init__(self, command: Command, exc: ModuleNotFoundError) -> None:
        extras = ",".join(command.extras)
        install = f"pip install 'stationkit[{extras}]'" if extras else "reinstall stationkit"
        super().__init__(
            f"stationkit {command.name}: needs the module {exc.name!r}, which is not installed; "
            f"install it with: {install}"
        )


def commands() -> list[Command]:
    """Every registered subcommand, in help order. Importing the command packages imports no
    subcommand module: they hold only the registry."""
    found: list[Command] = []
    for package_name in COMMAND_PACKAGES:
        package = importlib.import_module(package_name)
        found += [Command(*row) for row in getattr(package, "COMMANDS", ())]
    return found


def _is_missing_dependency(exc: ModuleNotFoundError) -> bool:
    """A third-party module is missing (an extra not installed), not one of ours (a bug)."""
    return (exc.name or "").partition(".")[0] not in OWN_PACKAGES


def load(command: Command) -> ModuleType:
    """Import the subcommand's module; `MissingExtra` if its optional dependencies are not
    installed."""
    try:
        return importlib.import_module(command.module)
    except ModuleNotFoundError as exc:
        if not _is_missing_dependency(exc):
            raise
        raise MissingExtra(command, exc) from exc


def _placeholder(sub: Any, command: Command) -> None:
    """A subcommand listed in the help but not loaded: it takes any arguments, because it is
    never run from this parser (main() builds the real one for the subcommand it runs)."""
    p = sub.add_parser(command.name, help=command.help, add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for the command line `argv`: the subcommand it names is loaded, every other
    one is only listed. `argv=None` loads every subcommand whose extras are installed (for
    tests and tools that check every subcommand's arguments)."""
    parser = argparse.ArgumentParser(
        prog="stationkit",
        description="StationKit: relief-station intake, foster-home video supervision, alerts.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registry = commands()
    wanted = None if argv is None else _command_name(argv)
    loaded: set[str] = set()
    for command in registry:
        if (argv is not None and command.name != wanted) or command.module in loaded:
            continue
        try:
            module = load(command)
        except MissingExtra:
            if argv is not None:
                raise
            continue  # listed below, says what to install when run
        module.register(sub)  # may add several subcommands (gateway + token)
        loaded.add(command.module)
    for command in registry:
        if command.name not in sub.choices:
            _placeholder(sub, command)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the top level has no options but -h)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    name = _command_name(argv)
    command = next((c for c in commands() if c.name == name), None)
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except MissingExtra as exc:
        print(exc, file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a subcommand importing an extra when it runs
        if command is None or not _is_missing_dependency(exc):
            raise
        print(MissingExtra(command, exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
