"""The hub's PostgreSQL store (psycopg 3): migrations and the idempotent upserts.

Every upsert is keyed by (station, id) and applies only a *newer* version
(`WHERE stored.version < EXCLUDED.version`), so a QoS 1 redelivery, a JetStream redelivery after
a worker died before acking, the station's deliberate resend, or two workers racing on old and
new snapshots of one record all leave the newest snapshot, once.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from devices.contract.models.uplink import (
    AlertSnapshot,
    DailyReturn,
    HealthSummary,
    IncidentSnapshot,
    UplinkMessage,
)
from gateway.hub import HubError
from gateway.hub.portraits import PortraitKey
from gateway.hub.schema import MIGRATIONS

log = logging.getLogger(__name__)


def connect(dsn: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(dsn, autocommit=False, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise HubError(
            f"cannot reach the hub's PostgreSQL ({dsn.split('password')[0]}): {exc}"
        ) from None


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply pending migrations; return their names. Safe to run from several workers at once:
    an advisory lock serialises them."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(727001)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS hub_migrations (name text PRIMARY KEY, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT name FROM hub_migrations").fetchall()}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO hub_migrations (name) VALUES (%s)", (name,))
            applied.append(name)
    conn.commit()
    return applied


def _doc(msg: UplinkMessage) -> Jsonb:
    # The people of a missing-person incident live in `incident_people`, never in the doc.
    exclude = {"people"} if isinstance(msg, IncidentSnapshot) else None
    return Jsonb(msg.model_dump(mode="json", exclude_none=True, exclude=exclude))


def _people(cur: psycopg.Cursor[Any], msg: IncidentSnapshot, key: PortraitKey | None) -> None:
    """Replace the incident's missing people with the ones of this (newer) snapshot: none when
    it is closed or no longer names anyone, so the description and portrait leave the hub."""
    cur.execute(
        "DELETE FROM incident_people WHERE station=%s AND incident_id=%s", (msg.station, msg.id)
    )
    if msg.closed_at is not None:
        return
    for p in msg.people:
        sealed = None
        if p.portrait_b64 and key is not None:
            raw = base64.b64decode(p.portrait_b64)
            sealed = key.seal(msg.station, msg.id, p.person_id, raw)
        doc = p.model_dump(
            mode="json", exclude_none=True, exclude={"portrait_b64", "portrait_type"}
        )
        if p.portrait_b64 and key is None:
            doc["portrait_omitted"] = "the hub keeps no portraits (no portrait_key_file)"
        cur.execute(
            "INSERT INTO incident_people (station, incident_id, person_id, version, doc, "
            "portrait, portrait_type) VALUES (%s,%s,%s,%s,%s,%s,%s)",
            (
                msg.station,
                msg.id,
                p.person_id,
                msg.version,
                Jsonb(doc),
                sealed,
                p.portrait_type if sealed else None,
            ),
        )


def _touch_station(cur: psycopg.Cursor[Any], station: str, at: datetime) -> None:
    cur.execute(
        "INSERT INTO stations (station, last_message_at) VALUES (%s, %s) ON CONFLICT (station) "
        "DO UPDATE SET last_message_at = "
        "GREATEST(stations.last_message_at, EXCLUDED.last_message_at)",
        (station, at),
    )


def upsert(
    cur: psycopg.Cursor[Any], msg: UplinkMessage, portraits: PortraitKey | None = None
) -> bool:
    """Store `msg` if it is newer than what is stored; True if it changed anything.
    `portraits` encrypts a missing person's portrait; without it none is kept."""
    _touch_station(cur, msg.station, msg.sent_at)
    if isinstance(msg, AlertSnapshot):
        cur.execute(
            "INSERT INTO alerts (station, id, version, rule, severity, state, node, subject, "
            "first_at, last_at, changed_at, changed_by, assignee, incident_id, doc, sent_at) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (station, id) DO UPDATE SET version=EXCLUDED.version, "
            "rule=EXCLUDED.rule, severity=EXCLUDED.severity, state=EXCLUDED.state, "
            "node=EXCLUDED.node, subject=EXCLUDED.subject, first_at=EXCLUDED.first_at, "
            "last_at=EXCLUDED.last_at, changed_at=EXCLUDED.changed_at, "
            "changed_by=EXCLUDED.changed_by, assignee=EXCLUDED.assignee, "
            "incident_id=EXCLUDED.incident_id, doc=EXCLUDED.doc, sent_at=EXCLUDED.sent_at, "
            "stored_at=clock_timestamp() WHERE alerts.version < EXCLUDED.version",
            (
                msg.station,
                msg.id,
                msg.version,
                msg.rule,
                msg.severity,
                msg.state,
                msg.node,
                msg.subject,
                msg.first_at,
                msg.last_at,
                msg.changed_at,
                msg.changed_by,
                msg.assignee,
                msg.incident_id,
                _doc(msg),
                msg.sent_at,
            ),
        )
    elif isinstance(msg, IncidentSnapshot):
        cur.execute(
            "INSERT INTO incidents (station, id, version, alert_id, category, node, opened_at, "
            "phone_due, written_due, phone_reported_at, written_reported_at, closed_at, doc, "
            "sent_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (station, id) DO UPDATE SET version=EXCLUDED.version, "
            "alert_id=EXCLUDED.alert_id, category=EXCLUDED.category, node=EXCLUDED.node, "
            "opened_at=EXCLUDED.opened_at, phone_due=EXCLUDED.phone_due, "
            "written_due=EXCLUDED.written_due, phone_reported_at=EXCLUDED.phone_reported_at, "
            "written_reported_at=EXCLUDED.written_reported_at, closed_at=EXCLUDED.closed_at, "
            "doc=EXCLUDED.doc, sent_at=EXCLUDED.sent_at, stored_at=clock_timestamp() "
            "WHERE incidents.version < EXCLUDED.version",
            (
                msg.station,
                msg.id,
                msg.version,
                msg.alert_id,
                msg.category,
                msg.node,
                msg.opened_at,
                msg.phone_due,
                msg.written_due,
                msg.phone_reported_at,
                msg.written_reported_at,
                msg.closed_at,
                _doc(msg),
                msg.sent_at,
            ),
        )
        if cur.rowcount > 0:
            _people(cur, msg, portraits)
            return True
        return False
    elif isinstance(msg, DailyReturn):
        cur.execute(
            "INSERT INTO daily_returns (station, day, version, doc, sent_at) "
            "VALUES (%s,%s,%s,%s,%s) ON CONFLICT (station, day) DO UPDATE SET "
            "version=EXCLUDED.version, doc=EXCLUDED.doc, sent_at=EXCLUDED.sent_at, "
            "stored_at=clock_timestamp() WHERE daily_returns.version < EXCLUDED.version",
            (msg.station, msg.day, msg.version, _doc(msg), msg.sent_at),
        )
    elif isinstance(msg, HealthSummary):
        cur.execute(
            "INSERT INTO health (station, version, nodes_online, nodes_total, cameras_ok, "
            "cameras_total, last_data_at, doc, sent_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (station) DO UPDATE SET version=EXCLUDED.version, "
            "nodes_online=EXCLUDED.nodes_online, nodes_total=EXCLUDED.nodes_total, "
            "cameras_ok=EXCLUDED.cameras_ok, cameras_total=EXCLUDED.cameras_total, "
            "last_data_at=EXCLUDED.last_data_at, doc=EXCLUDED.doc, sent_at=EXCLUDED.sent_at, "
            "stored_at=clock_timestamp() WHERE health.version < EXCLUDED.version",
            (
                msg.station,
                msg.version,
                msg.nodes_online,
                msg.nodes_total,
                msg.cameras_ok,
                msg.cameras_total,
                msg.last_data_at,
                _doc(msg),
                msg.sent_at,
            ),
        )
    return cur.rowcount > 0


def dead_letter(
    cur: psycopg.Cursor[Any], subject: str, reason: str, detail: str, payload: bytes
) -> None:
    cur.execute(
        "INSERT INTO deadletters (subject, reason, detail, payload) VALUES (%s,%s,%s,%s)",
        (subject[:500], reason, detail[:2000], payload[:65536]),
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
