"""GET /api/v1/alerts/{id}/deliveries: every notification attempt for one alert (who was told,
over what, when, with which reply) and what is still pending."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from gateway.api.deps import Db, require
from gateway.auth.tokens import Principal
from gateway.notify.notifier import deliveries_for_alert, outbox_for_alert

router = APIRouter(prefix="/api/v1", tags=["notifications"])
READERS = require("desk", "supervisor", "bureau", "admin")


@router.get("/alerts/{alert_id}/deliveries")
def alert_deliveries(alert_id: str, db: Db, who: Principal = READERS) -> dict[str, Any]:
    """`items`: every attempt, oldest first; `outbox`: one row per channel target with its
    state (pending/delivered/failed) and next attempt time."""
    row = db.execute("SELECT site FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    items = deliveries_for_alert(db, alert_id)
    outbox = outbox_for_alert(db, alert_id)
    if row is None and not items and not outbox:
        raise HTTPException(404, "no such alert")
    if row is not None and not who.sees(row[0]):
        raise HTTPException(404, "no such alert")  # another site's: as if it did not exist
    return {"items": items, "outbox": outbox}
