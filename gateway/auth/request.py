"""Who is making this request: a bearer token (API clients) or the `sk_session` cookie
(dashboard). Used by the API dependencies and by the live-video authoriser, so both accept the
same credentials. Cookie-authenticated unsafe requests must carry the session's CSRF token."""

from __future__ import annotations

import hmac

import sqlite_utils
from fastapi import HTTPException
from starlette.requests import HTTPConnection

from gateway.auth.clock import now_of, settings_of
from gateway.auth.sessions import COOKIE, lookup_session
from gateway.auth.tokens import Principal, verify_token

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: HTTPConnection, db: sqlite_utils.Database, method: str) -> Principal:
    """The caller, or HTTPException 401 (no/invalid credentials) / 403 (CSRF, site scope)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        principal = verify_token(db, token.strip(), now_of(request))
        if principal is None:
            raise _unauthorised("invalid, disabled or expired token")
    else:
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            raise _unauthorised("missing bearer token or session cookie")
        session = lookup_session(db, session_id, now_of(request), settings_of(request))
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
