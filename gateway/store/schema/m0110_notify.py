"""Notification outbox and delivery log.

`notify_outbox`: one row per (notification, channel, target), inserted in the same transaction
as the alert change that caused it, so a crash can never lose a notification that the alert
table already shows. `notify_deliveries`: every attempt, successful or not (proof of delivery:
who was told, when, over what, with which reply).
"""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "notify_outbox",
        {
            "id": str,  # ULID; the idempotency key a receiver dedupes on (same on every retry)
            "seq": int,  # insertion order, for receivers that want ordering
            "notification_id": str,  # shared by all rows of one notification
            "alert_id": str,
            "incident_id": str,
            "event": str,  # raised/repeated/acknowledged/resolved/auto_cleared/escalated/...
            "level": str,  # escalation level the notification was for
            "channel": str,  # channel name from [notify] (webhook name, "email", "mqtt")
            "kind": str,  # webhook/email/mqtt
            "target": str,  # shown to users: URL without query/userinfo, address, topic
            "payload": str,  # the Notification as JSON
            "created_at": str,  # UTC ISO-8601
            "due_at": str,  # next attempt not before this
            "attempts": int,
            "state": str,  # pending/delivered/failed
            "delivered_at": str,
            "last_error": str,
            "fallback_of": str,  # outbox id this row is the delivery escalation of
            "fell_back": int,  # 1 once this row's fallback row has been enqueued
        },
        pk="id",
        not_null={
            "seq",
            "notification_id",
            "alert_id",
            "event",
            "level",
            "channel",
            "kind",
            "target",
            "payload",
            "created_at",
            "due_at",
            "attempts",
            "state",
            "fell_back",
        },
        defaults={"attempts": 0, "state": "pending", "fell_back": 0},
        indexes=[["state", "due_at"], ["alert_id"]],
        unique=[["seq"]],
    )
    create_table(
        db,
        "notify_deliveries",
        {
            "id": int,
            "outbox_id": str,
            "alert_id": str,
            "event": str,
            "level": str,
            "channel": str,
            "kind": str,
            "target": str,
            "attempt": int,  # 1 for the first attempt of this outbox row
            "at": str,  # when the attempt started (UTC ISO-8601)
            "ok": int,
            "status": str,  # HTTP status, SMTP reply code, "puback"/"queued" for MQTT
            "reply": str,  # server's reply text (truncated)
            "error": str,  # why it failed
            "latency_ms": float,  # the attempt itself
            "since_enqueue_ms": float,  # from enqueue to the end of this attempt
        },
        pk="id",
        not_null={"outbox_id", "alert_id", "channel", "kind", "target", "attempt", "at", "ok"},
        indexes=[["alert_id", "id"], ["outbox_id", "id"]],
    )
