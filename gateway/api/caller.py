"""Who is making this request, and from where: a bearer token (API clients) or the
`sk_session` cookie (dashboard). Used by the API dependencies, the stream and the live-video
authoriser, so all accept the same credentials. Cookie-authenticated unsafe requests must carry
the session's CSRF token. Time and login settings come from the gateway's context (a fake clock
in tests)."""

from __future__ import annotations

import hmac

import sqlite_utils
from fastapi import HTTPException
from starlette.requests import HTTPConnection

from gateway.api.context import context_of
from gateway.auth.sessions import COOKIE, lookup_session
from gateway.auth.tokens import Principal, verify_token

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: HTTPConnection, db: sqlite_utils.Database, method: str) -> Principal:
    """The caller, or HTTPException 401 (no/invalid credentials) / 403 (CSRF, site scope)."""
    ctx = context_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        principal = verify_token(db, token.strip(), ctx.now())
        if principal is None:
            raise _unauthorised("invalid, disabled or expired token")
    else:
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            raise _unauthorised("missing bearer token or session cookie")
        session = lookup_session(db, session_id, ctx.now(), ctx.auth)
        if session is None:
            raise _unauthorised("session expired or invalid; log in again")
        if method.upper() in UNSAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
        principal = Principal(
            name=session.username,
            role=session.role,
            kind="session",
            lang=session.lang,
            sites=session.sites,
            csrf_token=session.csrf_token,
        )
    check_site_scope(request, principal)
    return principal


def check_site_scope(request: HTTPConnection, principal: Principal) -> None:
    """A user limited to some sites may not name another site in the path or the query."""
    if principal.sites is None:
        return
    site = request.path_params.get("site") or request.query_params.get("site")
    if site is not None and site not in principal.sites:
        raise HTTPException(403, f"site {site!r} is outside your scope")


def client_address(request: HTTPConnection) -> str:
    """The client's address; X-Forwarded-For is believed only from a configured proxy."""
    host = request.client.host if request.client else "unknown"
    if host in context_of(request).auth.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or host
    return host


def is_https(request: HTTPConnection) -> bool:
    if request.url.scheme == "https":
        return True
    host = request.client.host if request.client else ""
    return (
        host in context_of(request).auth.trusted_proxies
        and request.headers.get("x-forwarded-proto", "") == "https"
    )
