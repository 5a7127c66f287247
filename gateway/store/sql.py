"""Small SQL helpers shared by the API and the stores."""

from __future__ import annotations


def site_in(column: str, sites: tuple[str, ...] | list[str] | None) -> tuple[str, list[str]]:
    """A condition limiting `column` to `sites` ("" and no args when `sites` is None: every
    site; an empty scope matches nothing)."""
    if sites is None:
        return "", []
    if not sites:
        return "0", []
    return f"{column} IN ({','.join('?' * len(sites))})", list(sites)
