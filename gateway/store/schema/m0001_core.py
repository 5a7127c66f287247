"""Core tables: events, checks, dead letters, nodes, API tokens, audit trail."""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "events",
        {
            "id": str,
            "site": str,
            "node": str,
            "kind": str,
            "ts": str,
            "seq": int,
            "device": str,
            "data": str,
            "received_at": str,
        },
        pk="id",
        not_null={"site", "node", "kind", "ts", "seq", "data", "received_at"},
        indexes=[["site", "node", "seq"], ["kind", "ts"], ["ts"]],
    )
    create_table(
        db,
        "checks",
        {
            "check_id": str,
            "event_id": str,
            "site": str,
            "node": str,
            "outcome": str,
            "started_at": str,
            "finished_at": str,
            "operator": str,
            "celsius": float,
            "gate_alarm": int,
            "wand": str,
            "items_held": str,
            "data": str,
        },
        pk="check_id",
        not_null={"event_id", "site", "node", "outcome", "started_at"},
        indexes=[["site", "started_at"], ["outcome"]],
    )
    create_table(
        db,
        "deadletters",
        {
            "id": int,
            "received_at": str,
            "topic": str,
            "reason": str,
            "detail": str,
            "size": int,
            "payload": bytes,
        },
        pk="id",
    )
    create_table(
        db,
        "nodes",
        {
            "site": str,
            "node": str,
            "state": str,
            "state_reason": str,
            "state_since": str,
            "last_seen": str,
            "version": str,
            "outbox": int,
            "dropped": int,
            "heartbeat_interval_s": float,
            "devices": str,
            "first_seq": int,
            "max_seq": int,
            "received": int,
        },
        pk=("site", "node"),
    )
    create_table(
        db,
        "api_tokens",
        {"name": str, "role": str, "token_hash": str, "created_at": str, "disabled": int},
        pk="name",
        not_null={"role", "token_hash", "created_at"},
    )
    create_table(
        db,
        "audit",
        {"id": int, "at": str, "actor": str, "action": str, "target": str, "detail": str},
        pk="id",
        not_null={"at", "actor", "action"},
        indexes=[["at"]],
    )
