"""GET /api/v1/alerts/{id}/deliveries: every notification attempt for one alert (who was told,
over what, when, with which reply) and what is still pending."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import Field

from gateway.answer import Answer
from gateway.api.deps import Db, require
from gateway.auth.tokens import Principal
from gateway.notify.message import NotifyEvent
from gateway.notify.notifier import deliveries_for_alert, outbox_for_alert

router = APIRouter(prefix="/api/v1", tags=["notifications"])
READERS = require("desk", "supervisor", "bureau", "admin")

ChannelKind = Literal["webhook", "email", "mqtt"]


class Delivery(Answer):
    """One delivery attempt (proof of delivery: who was told, when, over what, the reply)."""

    id: int = Field(description="attempt id, in the order made")
    outbox_id: str = Field(description="the outbox row attempted (same on every retry)")
    notification_id: str = Field(description="the notification, shared by all its rows")
    event: NotifyEvent | None = Field(description="what the notification told")
    level: str | None = Field(description="escalation level the notification was for")
    channel: str = Field(description="channel name from [notify] (webhook name, email, mqtt)")
    kind: ChannelKind = Field(description="kind of channel")
    target: str = Field(description="URL without query or userinfo, address or topic")
    attempt: int = Field(description="1 for the first attempt of its outbox row")
    at: str = Field(description="when the attempt started (UTC ISO)")
    ok: bool = Field(description="delivered")
    status: str | None = Field(description='HTTP status, SMTP reply code, "puback"/"queued"')
    reply: str | None = Field(description="the server's reply text (truncated)")
    error: str | None = Field(description="why it failed")
    latency_ms: float | None = Field(description="the attempt itself, ms")
    since_enqueue_ms: float | None = Field(description="from enqueue to the end of it, ms")
    fallback_of: str | None = Field(description="the outbox row this one is the fallback of")


class OutboxRow(Answer):
    """One (notification, channel, target) and where its delivery stands."""

    id: str = Field(description="ULID; the idempotency key a receiver dedupes on")
    notification_id: str = Field(description="the notification, shared by all its rows")
    seq: int = Field(description="insertion order")
    event: NotifyEvent = Field(description="what the notification told")
    level: str = Field(description="escalation level the notification was for")
    channel: str = Field(description="channel name from [notify] (webhook name, email, mqtt)")
    kind: ChannelKind = Field(description="kind of channel")
    target: str = Field(description="URL without query or userinfo, address or topic")
    created_at: str = Field(description="when it was queued (UTC ISO)")
    state: Literal["pending", "delivered", "failed"] = Field(description="where it stands")
    attempts: int = Field(description="attempts made")
    next_attempt_at: str | None = Field(description="next attempt not before (pending only)")
    delivered_at: str | None = Field(description="when it was delivered")
    last_error: str | None = Field(description="why the last attempt failed")
    fallback_of: str | None = Field(description="the outbox row this one is the fallback of")


class AlertDeliveries(Answer):
    items: list[Delivery] = Field(description="every attempt, oldest first")
    outbox: list[OutboxRow] = Field(description="one row per channel target, in queued order")


@router.get("/alerts/{alert_id}/deliveries", response_model=AlertDeliveries)
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
