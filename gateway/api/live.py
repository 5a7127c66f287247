"""Who may watch live video (supervisor or admin, by bearer token or session cookie), and the
audit of views."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import HTTPConnection

from gateway.api.caller import authenticate
from gateway.api.context import context_of
from gateway.auth.policy import LIVE_ROLES
from gateway.live.relay import Viewer, ViewRecord
from gateway.store.db import connect
from gateway.store.times import iso


def authorise_live_viewer(
    request: HTTPConnection, site: str, node: str, camera: str
) -> Viewer | None:
    """Bearer token or dashboard session cookie (an `<img src>` sends the cookie; a GET needs
    no CSRF token). 401 without valid credentials; None (403) for roles without live video."""
    db = connect(context_of(request).db_path)
    try:
        principal = authenticate(request, db, "GET")
    finally:
        db.conn.close()
    if principal.role not in LIVE_ROLES:
        return None
    client = request.client.host if request.client else None
    return Viewer(user=principal.name, role=principal.role, address=client)


def audit_view(db_path: Path, record: ViewRecord) -> None:
    """One audit row per view start and end (who, which camera, from when to when, why)."""
    db = connect(db_path)
    try:
        with db.atomic():
            db.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
                (
                    iso(record.ended_at or record.started_at),
                    record.user,
                    "live_view_end" if record.ended_at else "live_view_start",
                    f"{record.site}/{record.node}/{record.camera}",
                    json.dumps(
                        {
                            "view": record.id,
                            "started_at": iso(record.started_at),
                            "ended_at": iso(record.ended_at) if record.ended_at else None,
                            "reason": record.reason,
                            "address": record.address,
                            "frames": record.frames,
                            "end_cause": record.end_cause,
                        }
                    ),
                ),
            )
    finally:
        db.conn.close()
