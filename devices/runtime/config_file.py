"""Load a TOML file into a pydantic model, with errors that name the key path and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic

M = TypeVar("M", bound=pydantic.BaseModel)


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says where and why."""


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of the key at `loc` (a dotted path of tables and a key)."""
    keys = [str(p) for p in loc if isinstance(p, str)]
    if not keys:
        return None
    want_section, key = ".".join(keys[:-1]), keys[-1]
    key_line = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        found = header.match(line)
        if found:
            section = found.group(1)
            if section == ".".join(keys):  # the error is about a whole table
                return number
        elif section == want_section and key_line.match(line):
            return number
    return None


def user_path(raw: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`loc` as the user wrote it: without the tags pydantic inserts for tagged unions.

    An error inside a discriminated union (``[intake.devices.thermometer]`` with
    ``kind = "optris"``) comes back as ``intake.devices.thermometer.optris.baudrate``; the
    ``optris`` is pydantic's name for the union member, not a key of the file, and with it
    in the path neither the user nor `_line_of` can find the line. A part that is not a
    key of the data at that point is such a tag — unless it is the last part, which may
    name a missing key of a table (a last part equal to the table's ``kind`` is the tag of
    an error about the whole table; one below a plain value is a union member's name).
    """
    out: list[Any] = []
    node = raw
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif not last or not isinstance(node, dict) or part == node.get("kind"):
            continue  # a union tag (or a validator's label): not the user's key
        else:
            node = None
        out.append(part)
    return tuple(out)


def load_toml(model: type[M], path: Path, overrides: dict[str, Any] | None = None) -> M:
    """Read `path` and validate it as `model`; raise ConfigError naming each bad key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    raw.update(overrides or {})
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = user_path(raw, tuple(err["loc"]))
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(text, loc)
            where = f" (line {line})" if line else ""
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"  {key}{where}: {msg}")
        raise ConfigError(f"{path}: invalid configuration:\n" + "\n".join(problems)) from None


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'Asia/Shanghai')") from None
    return value


TimeZoneName = Annotated[str, pydantic.AfterValidator(_time_zone)]
"""A config value naming an IANA time zone, checked when the file is loaded."""
