"""Time and settings as seen by a request: `app.state.auth_clock` (a fake clock in tests) and
`app.state.auth` (AuthSettings)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import HTTPConnection

from gateway.auth.settings import AuthSettings


def now_of(request: HTTPConnection) -> datetime:
    clock = getattr(request.app.state, "auth_clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def settings_of(request: HTTPConnection) -> AuthSettings:
    settings = getattr(request.app.state, "auth", None)
    return settings if isinstance(settings, AuthSettings) else AuthSettings()


def client_address(request: HTTPConnection) -> str:
    """The client's address; X-Forwarded-For is believed only from a configured proxy."""
    host = request.client.host if request.client else "unknown"
    if host in settings_of(request).trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or host
    return host


def is_https(request: HTTPConnection) -> bool:
    if request.url.scheme == "https":
        return True
    host = request.client.host if request.client else ""
    return (
        host in settings_of(request).trusted_proxies
        and request.headers.get("x-forwarded-proto", "") == "https"
    )
