"""Dependencies shared by the routers: the database and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlite_utils
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.auth.tokens import Principal, verify_token
from gateway.store.db import connect

bearer = HTTPBearer(auto_error=False, description="token from `stationkit token create`")


def get_db(request: Request) -> Iterator[sqlite_utils.Database]:
    """A connection per request (SQLite WAL: readers never block the ingest writer).

    FastAPI may run a sync dependency's setup, the endpoint and the teardown on different
    worker threads; the connection is used by one request at a time, so the thread check is off.
    """
    db = connect(request.app.state.db_path, check_same_thread=False)
    try:
        yield db
    finally:
        db.conn.close()


Db = Annotated[sqlite_utils.Database, Depends(get_db)]


def get_principal(
    request: Request,
    db: Db,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    principal = verify_token(db, creds.credentials)
    if principal is None:
        raise HTTPException(
            401, "invalid or disabled token", headers={"WWW-Authenticate": "Bearer"}
        )
    # Audit trail: who read or changed what (the people in these records are vulnerable).
    with db.conn:
        db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
            (
                datetime.now(UTC).isoformat(),
                principal.name,
                request.method,
                request.url.path,
                str(request.url.query)[:500],
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
