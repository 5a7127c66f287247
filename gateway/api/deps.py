"""Dependencies shared by the routers: the database and the authenticated caller.

The caller proves who they are with `Authorization: Bearer <token>` (API clients) or the
`sk_session` cookie from POST /auth/login (dashboard); cookie-authenticated POST/PUT/PATCH/DELETE
need the `X-CSRF-Token` header (gateway/api/caller.py). Every authenticated request leaves an
audit row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated, Any

import sqlite_utils
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.caller import authenticate
from gateway.api.context import context_of
from gateway.auth.policy import DESK_EVENT_KINDS, may_send_command
from gateway.auth.tokens import Principal
from gateway.store.db import connect
from gateway.store.times import iso

bearer = HTTPBearer(
    auto_error=False,
    description="token from `stationkit token create` (the dashboard uses the sk_session cookie)",
)


def get_db(request: Request) -> Iterator[sqlite_utils.Database]:
    """A connection per request (SQLite WAL: readers never block the ingest writer).

    FastAPI may run a sync dependency's setup, the endpoint and the teardown on different
    worker threads; the connection is used by one request at a time, so the thread check is off.
    """
    db = connect(context_of(request).db_path, check_same_thread=False)
    try:
        yield db
    finally:
        db.conn.close()


Db = Annotated[sqlite_utils.Database, Depends(get_db)]


VIEW_WINDOW_S = 600.0
"""A read of the same address (path and query) by the same caller within this many seconds is
the same visit: one audit row, not one per poll (a desk tab polls every few seconds). Changes
are always audited, and reads of a person's file, image or video carry their own audit rows."""


class _RecentViews:
    """(actor, method, path, query) -> when it was last audited; bounded."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._seen: dict[tuple[str, str, str, str], float] = {}
        self._lock = threading.Lock()

    def first_in_window(self, key: tuple[str, str, str, str], now: float) -> bool:
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last < VIEW_WINDOW_S:
                return False
            if len(self._seen) >= self.limit:
                for old in [k for k, t in self._seen.items() if now - t >= VIEW_WINDOW_S]:
                    del self._seen[old]
                if len(self._seen) >= self.limit:
                    self._seen.clear()
            self._seen[key] = now
            return True


def _views(request: Request) -> _RecentViews:
    return context_of(request).memo("recent_views", _RecentViews)


def get_principal(
    request: Request,
    db: Db,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    # `creds` only puts the bearer scheme into the OpenAPI document; `authenticate` reads the
    # header (or the cookie) itself.
    del creds
    principal = authenticate(request, db, request.method)
    # Audit trail: who read or changed what (the people in these records are vulnerable).
    now = context_of(request).now()
    query = str(request.url.query)[:500]
    if request.method in ("GET", "HEAD") and not _views(request).first_in_window(
        (principal.name, request.method, request.url.path, query), now.timestamp()
    ):
        return principal
    with db.atomic():
        db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
            (
                iso(now),
                principal.name,
                request.method,
                request.url.path,
                query,
            ),
        )
    return principal


Caller = Annotated[Principal, Depends(get_principal)]


def require(*roles: str) -> Any:
    """Dependency: the caller must have one of `roles` (admin always may)."""

    def check(principal: Caller) -> Principal:
        if principal.role != "admin" and principal.role not in roles:
            raise HTTPException(403, f"role {principal.role!r} may not do this")
        return principal

    return Depends(check)


def require_command(*roles: str) -> Any:
    """Like `require`, and the JSON body's `action` must be one the role may send (the desk
    only drives its check station: gateway/auth/policy.py DESK_COMMANDS)."""

    async def check(request: Request, principal: Caller) -> Principal:
        if principal.role != "admin" and principal.role not in roles:
            raise HTTPException(403, f"role {principal.role!r} may not do this")
        try:
            body = await request.json()
        except ValueError:
            body = None
        action = body.get("action") if isinstance(body, dict) else None
        if isinstance(action, str) and not may_send_command(principal.role, action):
            raise HTTPException(403, f"role {principal.role!r} may not send {action!r}")
        return principal

    return Depends(check)


def require_event_reader() -> Any:
    """Any role may list events, but the desk only with `kind=` one of its intake kinds
    (gateway/auth/policy.py DESK_EVENT_KINDS)."""

    def check(request: Request, principal: Caller) -> Principal:
        if principal.role == "desk" and request.query_params.get("kind") not in DESK_EVENT_KINDS:
            kinds = "|".join(sorted(DESK_EVENT_KINDS))
            raise HTTPException(403, f"the desk may list intake events only: kind={kinds}")
        return principal

    return Depends(check)
