"""GET /api/v1/alerts/{id}/deliveries: every notification attempt for one alert (who was told,
over what, when, with which reply) and what is still pending."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from gateway.api.deps import Db, require
from gateway.notify.notifier import deliveries_for_alert, outbox_for_alert

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get(
    "/alerts/{alert_id}/deliveries",
    dependencies=[require("desk", "supervisor", "bureau", "admin")],
)
def alert_deliveries(alert_id: str, db: Db) -> dict[str, Any]:
    """`items`: every attempt, oldest first; `outbox`: one row per channel target with its
    state (pending/delivered/failed) and next attempt time."""
    items = deliveries_for_alert(db, alert_id)
    outbox = outbox_for_alert(db, alert_id)
    if not items and not outbox:
        known = db.execute("SELECT 1 FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if known is None:
            raise HTTPException(404, "no such alert")
    return {"items": items, "outbox": outbox}
