"""Alerts and incidents on disk (tables of gateway/store/schema/m0100_alerts.py).

The engine's changes are written here in the caller's transaction, with one history row per
transition (who and when): the audit trail of every alert and incident. Reads give the dicts
of the API (CONTRACTS: alert dict, incident dict).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal

import sqlite_utils
from pydantic import ValidationError

from gateway.alerts.models import Alert, AlertChange, Incident
from gateway.store.sql import site_in
from gateway.store.times import iso, parse

log = logging.getLogger(__name__)

ENGINE = "engine"
OPEN_STATES = ("active", "acknowledged")
ReportKind = Literal["phone", "written"]


def history(
    db: sqlite_utils.Database,
    of: Literal["alert", "incident"],
    row_id: str,
    at: datetime,
    actor: str,
    action: str,
    detail: str = "",
) -> None:
    """One row of the alert's or the incident's history: what `actor` did, and when."""
    db.execute(
        f"INSERT INTO {of}_history ({of}_id, at, actor, action, detail) VALUES (?,?,?,?,?)",
        (row_id, iso(at), actor, action, detail),
    )


def save_changes(db: sqlite_utils.Database, changes: list[AlertChange]) -> None:
    """Write the engine's changes (no commit: the caller's transaction)."""
    for change in changes:
        a = change.alert
        actor = a.changed_by or ENGINE
        if change.kind == "raised":
            db.execute(
                "INSERT OR IGNORE INTO alerts (id, rule, severity, site, node, device, subject, "
                "first_at, last_at, count, state, changed_at, changed_by, event_id, "
                "escalation_level) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
                (
                    a.id,
                    a.rule,
                    a.severity,
                    a.site,
                    a.node,
                    a.device,
                    a.subject,
                    iso(a.first_at),
                    iso(a.last_at),
                    a.count,
                    a.state,
                    iso(a.changed_at),
                    a.changed_by,
                    a.event_id,
                ),
            )
            history(db, "alert", a.id, a.changed_at, actor, "raised", a.event_id or "")
            if change.incident is not None:
                _insert_incident(db, change.incident, a.changed_at)
        elif change.kind == "repeated":
            db.execute(
                "UPDATE alerts SET last_at=?, count=? WHERE id=?", (iso(a.last_at), a.count, a.id)
            )
        else:  # acknowledged / resolved / auto_cleared
            db.execute(
                "UPDATE alerts SET state=?, changed_at=?, changed_by=?, last_at=?, count=? "
                "WHERE id=?",
                (a.state, iso(a.changed_at), a.changed_by, iso(a.last_at), a.count, a.id),
            )
            history(db, "alert", a.id, a.changed_at, actor, change.kind)


def _insert_incident(db: sqlite_utils.Database, inc: Incident, at: datetime) -> None:
    db.execute(
        "INSERT OR IGNORE INTO incidents (id, alert_id, category, site, node, opened_at, "
        "phone_due, written_due, people) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            inc.id,
            inc.alert_id,
            inc.category,
            inc.site,
            inc.node,
            iso(inc.opened_at),
            iso(inc.phone_due),
            iso(inc.written_due),
            "[]",
        ),
    )
    history(db, "incident", inc.id, at, ENGINE, "opened", inc.category)


# reading ----------------------------------------------------------------------------------------

_ALERT_COLUMNS = (
    "a.id, a.rule, a.severity, a.site, a.node, a.device, a.subject, a.first_at, a.last_at, "
    "a.count, a.state, a.changed_at, a.changed_by, a.assignee, a.escalation_level, a.event_id, "
    "(SELECT i.id FROM incidents i WHERE i.alert_id = a.id) AS incident_id"
)


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def staff_reports(db: sqlite_utils.Database, event_ids: list[str]) -> dict[str, dict[str, Any]]:
    """What staff typed in the reports behind these events (description, location, person,
    reporter, when it happened), by event id; events that are not staff reports are absent."""
    out: dict[str, dict[str, Any]] = {}
    ids = [e for e in event_ids if e]
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        marks = ",".join("?" * len(part))
        for eid, ts, data in db.execute(
            f"SELECT id, ts, data FROM events WHERE kind='manual' AND id IN ({marks})", part
        ).fetchall():
            d = json.loads(data or "{}")
            out[eid] = {
                "description": d.get("description"),
                "location": d.get("location"),
                "person": d.get("person"),
                "reporter": d.get("reporter"),
                "happened_at": ts,
            }
    return out


def _with_reports(db: sqlite_utils.Database, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reports = staff_reports(db, [a["event_id"] for a in alerts])
    for a in alerts:
        a["report"] = reports.get(a["event_id"])
    return alerts


def get_alert(db: sqlite_utils.Database, alert_id: str) -> dict[str, Any] | None:
    rows = _rows(db.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts a WHERE a.id=?", (alert_id,)))
    return _with_reports(db, rows)[0] if rows else None


def list_alerts(
    db: sqlite_utils.Database,
    *,
    state: str = "open",
    site: str | None = None,
    severity: str | None = None,
    before: str | None = None,
    limit: int = 100,
    sites: tuple[str, ...] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first by id (ULIDs sort by time); `before` is the keyset cursor; `sites` limits
    to those sites (a site-scoped user)."""
    where, args = [], []
    scope, scope_args = site_in("a.site", sites)
    if scope:
        where.append(scope)
        args += scope_args
    states = {
        "open": OPEN_STATES,
        "closed": ("resolved", "auto_cleared"),
        "all": None,
    }.get(state, (state,))
    if states:
        where.append(f"a.state IN ({','.join('?' * len(states))})")
        args += list(states)
    for column, value in (("a.site", site), ("a.severity", severity)):
        if value:
            where.append(f"{column}=?")
            args.append(value)
    if before:
        where.append("a.id < ?")
        args.append(before)
    sql = f"SELECT {_ALERT_COLUMNS} FROM alerts a"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = _rows(db.execute(sql + " ORDER BY a.id DESC LIMIT ?", (*args, limit + 1)))
    more = len(rows) > limit
    rows = _with_reports(db, rows[:limit])
    return rows, (rows[-1]["id"] if more and rows else None)


def alert_history(db: sqlite_utils.Database, alert_id: str) -> list[dict[str, Any]]:
    return _rows(
        db.execute(
            "SELECT at, actor, action, detail FROM alert_history WHERE alert_id=? ORDER BY id",
            (alert_id,),
        )
    )


def incident_dict(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    row = dict(row)
    row["people"] = json.loads(row.get("people") or "[]")
    overdue = []
    for kind in ("phone", "written"):
        due = parse(row[f"{kind}_due"]) if row[f"{kind}_due"] else None
        if row[f"{kind}_reported_at"] is None and due is not None and now > due:
            overdue.append(kind)
    row["overdue"] = overdue
    pending = [row[f"{k}_due"] for k in ("phone", "written") if row[f"{k}_reported_at"] is None]
    row["next_due"] = min(pending) if pending and not row.get("closed_at") else None
    return row


def _incident_reports(
    db: sqlite_utils.Database, incidents: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    events = (
        dict(
            db.execute(
                f"SELECT id, event_id FROM alerts WHERE id IN ({','.join('?' * len(incidents))})",
                [i["alert_id"] for i in incidents],
            ).fetchall()
        )
        if incidents
        else {}
    )
    reports = staff_reports(db, list(events.values()))
    for i in incidents:
        i["report"] = reports.get(events.get(i["alert_id"]) or "")
    return incidents


def by_deadline(incident: dict[str, Any]) -> tuple[int, str]:
    """Sort key: open incidents first, the nearest report deadline first (so the overdue ones
    lead); then the closed ones in the order given (newest first: the sort is stable)."""
    if incident.get("next_due"):
        return (0, incident["next_due"])
    return (1, "") if not incident.get("closed_at") else (2, "")


def get_incident(db: sqlite_utils.Database, incident_id: str, now: datetime) -> dict | None:
    rows = _rows(db.execute("SELECT * FROM incidents WHERE id=?", (incident_id,)))
    return _incident_reports(db, [incident_dict(rows[0], now)])[0] if rows else None


def list_incidents(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    open_only: bool | None,
    site: str | None,
    sites: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    where, args = [], []
    scope, scope_args = site_in("site", sites)
    if scope:
        where.append(scope)
        args += scope_args
    if open_only is True:
        where.append("closed_at IS NULL")
    elif open_only is False:
        where.append("closed_at IS NOT NULL")
    if site:
        where.append("site=?")
        args.append(site)
    sql = "SELECT * FROM incidents" + (" WHERE " + " AND ".join(where) if where else "")
    rows = [incident_dict(r, now) for r in _rows(db.execute(sql + " ORDER BY id DESC", args))]
    return sorted(_incident_reports(db, rows), key=by_deadline)


def incident_timeline(db: sqlite_utils.Database, incident_id: str, alert_id: str) -> list[dict]:
    """The incident's own history and its alert's, in time order."""
    rows = _rows(
        db.execute(
            "SELECT at, actor, action, detail, 1 AS src, id FROM incident_history "
            "WHERE incident_id=? UNION ALL "
            "SELECT at, actor, action, detail, 0 AS src, id FROM alert_history WHERE alert_id=? "
            "ORDER BY at, src, id",  # at the same instant: the alert was raised, then opened
            (incident_id, alert_id),
        )
    )
    for row in rows:
        del row["src"], row["id"]
    return rows


def _models(cls: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """Engine models from table rows (pydantic parses the ISO times). A row that does not
    validate (edited by hand, say) is logged and left out: the engine still starts."""
    out = []
    for row in rows:
        try:
            out.append(cls.model_validate({k: v for k, v in row.items() if k in cls.model_fields}))
        except ValidationError as exc:
            log.error("%s %s left out of the alert engine: %s", cls.__name__, row.get("id"), exc)
    return out


def load_open(db: sqlite_utils.Database) -> tuple[list[Alert], list[Incident]]:
    """Open alerts and incidents as engine models (to rebuild the engine after a restart)."""
    open_alerts = db.execute("SELECT * FROM alerts WHERE state IN (?,?) ORDER BY id", OPEN_STATES)
    alerts = _models(
        Alert, [{**r, "changed_at": r["changed_at"] or r["first_at"]} for r in _rows(open_alerts)]
    )
    open_incidents = db.execute("SELECT * FROM incidents WHERE closed_at IS NULL ORDER BY id")
    incidents = _models(Incident, _rows(open_incidents))
    return alerts, incidents
