"""Everything a written incident report says, gathered from the record (no rendering here).

`gather(db, incident_id, ...)` reads the incident, its alert, both histories, the device events
of the incident's site/node around the time it happened, the checks among them and the media
files of those events. The HTML and PDF renderers only lay this out, so both formats always
say the same thing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from gateway.reports.times import iso, parse

WINDOW_BEFORE = timedelta(minutes=30)
"""Device events shown from this long before the incident happened…"""
WINDOW_AFTER = timedelta(minutes=60)
"""…to this long after (the written report is due at +60 min)."""
MAX_EVENTS = 200
"""Events shown in the timeline at most, the nearest in time to the incident (a busy camera must
not make a 500-page report)."""
SCAN_EVENTS = 20_000
"""Events of the window read at most to choose them from."""
NOISY_KINDS = ("motion", "gate", "metal", "temperature")
"""Kinds shown only from the incident's own node."""
MAX_SNAPSHOTS = 12
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024

_SAFE_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")

DeadlineStatus = Literal["met", "late", "missed", "pending"]


class ReportNotFound(KeyError):
    """No incident with this id (the API answers 404)."""

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return str(self.args[0]) if self.args else "not found"


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeline line."""

    at: datetime
    source: Literal["incident", "alert", "event"]
    actor: str
    action: str  # store vocabulary: history action or event kind
    detail: str


@dataclass(frozen=True, slots=True)
class Deadline:
    which: Literal["phone", "written"]
    due: datetime
    done_at: datetime | None
    by: str
    to: str
    status: DeadlineStatus


@dataclass(frozen=True, slots=True)
class Snapshot:
    event_id: str
    at: datetime | None
    name: str
    jpeg: bytes


@dataclass
class ReportData:
    incident: dict[str, Any]
    alert: dict[str, Any] | None
    opened_at: datetime
    closed_at: datetime | None
    generated_at: datetime
    deadlines: list[Deadline]
    people: list[str]
    timeline: list[Entry]
    trigger: dict[str, Any] | None
    checks: list[dict[str, Any]]
    report_notes: list[Entry]
    events_truncated: bool = False
    events_shown: int = 0
    snapshots: list[Snapshot] = field(default_factory=list)
    clips: list[str] = field(default_factory=list)
    window_before_min: int = int(WINDOW_BEFORE.total_seconds() // 60)
    window_after_min: int = int(WINDOW_AFTER.total_seconds() // 60)


def _rows(db: sqlite_utils.Database, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def deadline_status(due: datetime, done: datetime | None, now: datetime) -> DeadlineStatus:
    """met: made by the due time; late: made after it; missed: not made and past due."""
    if done is not None:
        return "met" if done <= due else "late"
    return "missed" if now > due else "pending"


def _people(raw: str | None) -> list[str]:
    """incidents.people is JSON written by people: a list of names or of objects, or an object.
    Each person becomes one line; anything unparsable is shown as written."""
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return [raw]
    items = value if isinstance(value, list) else [value]
    lines = []
    for item in items:
        if isinstance(item, dict):
            lines.append("; ".join(f"{k}: {plain(v)}" for k, v in item.items()))
        else:
            lines.append(plain(item))
    return lines


def plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


# Which data fields say what an event was, per kind (the rest is in the raw record).
_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "check": ("outcome", "celsius", "items_held", "operator", "incomplete_reason", "note"),
    "temperature": ("celsius", "mode", "remeasure"),
    "gate": ("action", "direction", "signal_level"),
    "metal": ("result", "items", "operator"),
    "motion": ("camera", "active", "area_percent", "zones"),
    "people": ("camera", "count", "expected", "zone"),
    "line_cross": ("camera", "line", "direction", "night"),
    "tamper": ("camera", "reason", "active"),
    "camera": ("camera", "state", "reason"),
    "door": ("door", "open"),
    "fault": ("state", "error"),
    "manual": ("category", "description", "reporter", "person", "location"),
}


def describe(kind: str, data: dict[str, Any]) -> str:
    """A one-line summary of an event's data, e.g. ``outcome=fever_referral, celsius=38.2``."""
    keys = _EVENT_FIELDS.get(kind) or tuple(data)
    parts = []
    for k in keys:
        v = data.get(k)
        if v is None or v == [] or v == "":
            continue
        parts.append(f"{k}={plain(v)}")
    return ", ".join(parts)[:500]


def _media_for(media_dir: Path, site: str, node: str, event_id: str) -> list[Path]:
    """The media store's files of one event (layout {root}/{site}/{node}/{event_id}-{n}.ext)."""
    if not (_SAFE_SLUG.match(site) and _SAFE_SLUG.match(node) and _SAFE_ID.match(event_id)):
        return []
    folder = media_dir / site / node
    if not folder.is_dir():
        return []
    found = []
    for f in folder.glob(f"{event_id}-*"):
        stem, _, n = f.stem.rpartition("-")
        if stem == event_id and n.isdigit() and f.suffix in (".jpg", ".avi", ".mp4"):
            found.append(f)
    return sorted(found, key=lambda f: int(f.stem.rpartition("-")[2]))


def gather(
    db: sqlite_utils.Database,
    incident_id: str,
    media_dir: Path | None = None,
    now: datetime | None = None,
) -> ReportData:
    now = now or datetime.now(UTC)
    found = _rows(db, "SELECT * FROM incidents WHERE id = ?", [incident_id])
    if not found:
        raise ReportNotFound(f"no incident {incident_id!r}")
    inc = found[0]
    opened = parse(inc["opened_at"])
    assert opened is not None  # NOT NULL column
    alert = None
    if inc.get("alert_id"):
        got = _rows(db, "SELECT * FROM alerts WHERE id = ?", [inc["alert_id"]])
        alert = got[0] if got else None

    timeline: list[tuple[datetime, int, int, Entry]] = []
    for row in _rows(
        db, "SELECT * FROM incident_history WHERE incident_id = ? ORDER BY id", [incident_id]
    ):
        at = parse(row["at"]) or opened
        entry = Entry(at, "incident", row["actor"] or "", row["action"], row["detail"] or "")
        timeline.append((at, 1, row["id"], entry))
    if alert is not None:
        for row in _rows(
            db, "SELECT * FROM alert_history WHERE alert_id = ? ORDER BY id", [alert["id"]]
        ):
            at = parse(row["at"]) or opened
            entry = Entry(at, "alert", row["actor"] or "", row["action"], row["detail"] or "")
            timeline.append((at, 2, row["id"], entry))

    # Device events of the site around the event: everything from the incident's node; from
    # the site's other nodes all but the high-volume kinds (motion, and the gate/wand/
    # thermometer steps that their check event sums up).
    start, end = opened - WINDOW_BEFORE, opened + WINDOW_AFTER
    noisy = ",".join(f"'{k}'" for k in NOISY_KINDS)
    where = ["site = ?", "ts >= ?", "ts <= ?", f"(node = ? OR kind NOT IN ({noisy}))"]
    # String prefilter with a margin (stored spellings differ), exact filter after parsing.
    args: list[Any] = [
        inc["site"],
        iso(start - timedelta(seconds=1)),
        iso(end) + "~",
        inc.get("node") or "",
    ]
    events = _rows(
        db,
        f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY ts, seq LIMIT ?",
        [*args, SCAN_EVENTS],
    )
    truncated = len(events) > MAX_EVENTS
    if truncated:  # keep the events nearest in time to the incident
        events.sort(key=lambda e: abs(((parse(e["ts"]) or opened) - opened).total_seconds()))
        events = events[:MAX_EVENTS]
    trigger_id = alert.get("event_id") if alert else None
    if trigger_id and not any(e["id"] == trigger_id for e in events):
        events += _rows(db, "SELECT * FROM events WHERE id = ?", [trigger_id])
    trigger = None
    kept: list[dict[str, Any]] = []
    for ev in events:
        ev_at = parse(ev["ts"])
        if ev_at is None:
            continue
        ev["data"] = _json_obj(ev["data"])
        ev["at"] = ev_at
        if ev["id"] == trigger_id:
            trigger = ev
        elif not start <= ev_at <= end:
            continue
        kept.append(ev)
        summary = describe(ev["kind"], ev["data"])
        actor = ev["node"] + (f"/{ev['device']}" if ev.get("device") else "")
        timeline.append((ev_at, 0, len(kept), Entry(ev_at, "event", actor, ev["kind"], summary)))
    timeline.sort(key=lambda t: (t[0], t[1], t[2]))
    entries = [t[3] for t in timeline]

    checks = _checks(db, [e["id"] for e in kept if e["kind"] == "check"])
    snapshots, clips = _media(media_dir, kept, trigger_id, opened)

    deadlines = []
    kinds: tuple[Literal["phone", "written"], ...] = ("phone", "written")
    for which in kinds:
        due = parse(inc[f"{which}_due"])
        assert due is not None
        done = parse(inc.get(f"{which}_reported_at"))
        deadlines.append(
            Deadline(
                which,
                due,
                done,
                inc.get(f"{which}_reported_by") or "",
                inc.get(f"{which}_reported_to") or "",
                deadline_status(due, done, now),
            )
        )
    notes = [
        e
        for e in entries
        if e.source == "incident" and ("phone" in e.action or "written" in e.action)
    ]
    return ReportData(
        incident=inc,
        alert=alert,
        opened_at=opened,
        closed_at=parse(inc.get("closed_at")),
        generated_at=now,
        deadlines=deadlines,
        people=_people(inc.get("people")),
        timeline=entries,
        trigger=trigger,
        checks=checks,
        report_notes=notes,
        events_truncated=truncated,
        events_shown=len(kept),
        snapshots=snapshots,
        clips=clips,
    )


def _json_obj(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def _checks(db: sqlite_utils.Database, event_ids: list[str]) -> list[dict[str, Any]]:
    if not event_ids:
        return []
    marks = ",".join("?" * len(event_ids))
    rows = _rows(
        db,
        f"SELECT check_id, event_id, node, outcome, started_at, finished_at, operator, celsius, "
        f"items_held FROM checks WHERE event_id IN ({marks}) ORDER BY started_at",
        event_ids,
    )
    for row in rows:
        row["started"] = parse(row["started_at"])
        try:
            items = json.loads(row["items_held"] or "[]")
        except ValueError:
            items = [row["items_held"]]
        row["items_text"] = ", ".join(plain(i) for i in items) if isinstance(items, list) else ""
    return rows


def _media(
    media_dir: Path | None, events: list[dict[str, Any]], trigger_id: str | None, opened: datetime
) -> tuple[list[Snapshot], list[str]]:
    """JPEG snapshots to embed (the trigger's first, then the nearest in time) and the names of
    clips (video is not embedded in a paper report)."""
    if media_dir is None or not Path(media_dir).is_dir():
        return [], []
    root = Path(media_dir)
    ordered = sorted(
        events,
        key=lambda e: (e["id"] != trigger_id, abs((e["at"] - opened).total_seconds())),
    )
    snaps: list[Snapshot] = []
    clips: list[str] = []
    for ev in ordered:
        for f in _media_for(root, ev["site"], ev["node"], ev["id"]):
            if f.suffix != ".jpg":
                clips.append(f.name)
                continue
            if len(snaps) >= MAX_SNAPSHOTS or f.stat().st_size > MAX_SNAPSHOT_BYTES:
                continue
            data = f.read_bytes()
            if data[:3] != b"\xff\xd8\xff":  # not a JPEG after all: never embed it
                continue
            snaps.append(Snapshot(ev["id"], ev["at"], f.name, data))
    snaps.sort(key=lambda s: (s.at or opened, s.name))
    return snaps, sorted(clips)
