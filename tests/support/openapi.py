"""What it takes for /openapi.json to describe a route's answer (the gateway's and the hub's)."""

from __future__ import annotations

from typing import Any


def _described(schema: dict[str, Any]) -> bool:
    """A model (`$ref`), a scalar or list, a union, or an object with named properties or typed
    values. A free-form object (`dict[str, Any]`: any keys, any values) describes nothing."""
    if "$ref" in schema or any(k in schema for k in ("anyOf", "oneOf", "allOf")):
        return True
    kind = schema.get("type")
    if kind in ("string", "array", "integer", "number", "boolean"):
        return True
    if kind == "object":
        values = schema.get("additionalProperties")
        return bool(schema.get("properties")) or (isinstance(values, dict) and bool(values))
    return False


def declared(op: dict[str, Any]) -> bool:
    """The operation's success answer is described: a schema, or no body (204, a redirect)."""
    for code, resp in op.get("responses", {}).items():
        if code == "204" or (code.startswith("3") and code != "304"):
            return True
        if code.startswith("2"):
            content = resp.get("content", {}).values()
            if any(_described(media.get("schema") or {}) for media in content):
                return True
    return False


def undescribed(spec: dict[str, Any]) -> list[str]:
    """`METHOD /path` of every operation whose answer the spec does not describe."""
    return sorted(
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if not declared(op)
    )
