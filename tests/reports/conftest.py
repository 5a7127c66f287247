"""A known station day (2026-11-22, Asia/Shanghai = UTC+8) in a real SQLite store.

Checks are ingested through the real IngestWriter; alerts, incidents and their histories are
inserted directly into the m0100 tables. The local day 2026-11-22 runs from
2026-11-21T16:00Z to 2026-11-22T16:00Z.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from PIL import Image

from devices.contract import codec, topics
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def isoz(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()  # the +00:00 spelling (the ingest uses ...Z)


@dataclass
class Fixture:
    db: sqlite_utils.Database
    db_path: Path
    media_dir: Path
    ids: dict[str, str]


class _Seq:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n


def _check(
    site: str,
    node: str,
    seq: int,
    started: str,
    outcome: str,
    celsius: float | None = 36.5,
    items: list[str] | None = None,
) -> Any:
    t0 = z(started)
    data = {
        "check_id": codec.new_id(),
        "outcome": outcome,
        "started_at": t0,
        "finished_at": t0 + timedelta(seconds=20),
        "operator": "王芳",
        "celsius": celsius,
        "items_held": items or [],
        "gate_alarm": bool(items),
    }
    return codec.make_event("check", site=site, node=node, seq=seq, data=data, ts=t0)


def _store(writer: IngestWriter, *events: Any) -> None:
    """Node events through the ingest writer; staff reports the dashboard's way (the writer
    refuses `manual` from a node, and records the gateway's own with `record_local`)."""
    batch = [
        Incoming(
            topics.event(e.site, e.node, e.kind),
            codec.encode(e),
            e.ts + timedelta(seconds=1),
        )
        for e in events
        if e.kind != "manual"
    ]
    writer.store_batch(batch)
    for e in events:
        if e.kind == "manual":
            writer.record_local(writer.db, e, e.ts + timedelta(seconds=1))


def _jpeg(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


def _incident(
    db: sqlite_utils.Database,
    incident_id: str,
    alert_id: str,
    category: str,
    opened: datetime,
    **fields: str,
) -> None:
    """An incident at s1/desk-1 with the 30/60-minute report deadlines; `fields`: the rest."""
    db["incidents"].insert(
        {
            "id": incident_id,
            "alert_id": alert_id,
            "category": category,
            "site": "s1",
            "node": "desk-1",
            "opened_at": isoz(opened),
            "phone_due": isoz(opened + timedelta(minutes=30)),
            "written_due": isoz(opened + timedelta(minutes=60)),
            **fields,
        }
    )


def _alert(
    db: sqlite_utils.Database,
    alert_id: str,
    rule: str,
    severity: str,
    first_at: str,
    acked_after_s: float | None = None,
    site: str = "s1",
    node: str = "desk-1",
    event_id: str | None = None,
) -> None:
    t0 = z(first_at)
    db["alerts"].insert(
        {
            "id": alert_id,
            "rule": rule,
            "severity": severity,
            "site": site,
            "node": node,
            "first_at": isoz(t0),
            "last_at": isoz(t0),
            "count": 1,
            "state": "acknowledged" if acked_after_s is not None else "active",
            "changed_at": isoz(t0),
            "event_id": event_id,
        }
    )
    db["alert_history"].insert(
        {"alert_id": alert_id, "at": isoz(t0), "actor": "engine", "action": "raised"}
    )
    if acked_after_s is not None:
        db["alert_history"].insert(
            {
                "alert_id": alert_id,
                "at": isoz(t0 + timedelta(seconds=acked_after_s)),
                "actor": "李主管",
                "action": "acknowledged",
            }
        )


@pytest.fixture
def station(tmp_path: Path) -> Fixture:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    writer = IngestWriter(db)
    seq = _Seq()
    ids: dict[str, str] = {}

    checks = {
        # local 2026-11-21 23:59:30: the day before
        "A": _check("s1", "desk-1", seq(), "2026-11-21T15:59:30Z", "cleared"),
        # local 2026-11-22 00:00:30 (UTC date still the 21st)
        "B": _check("s1", "desk-1", seq(), "2026-11-21T16:00:30Z", "fever_referral", 38.2),
        "C": _check(
            "s1", "desk-1", seq(), "2026-11-22T03:00:00Z", "items_held", 36.5, ["刀具", "打火机"]
        ),
        "F": _check("s1", "desk-1", seq(), "2026-11-22T05:00:00Z", "cleared", 37.3),
        # local 23:59:59 on the 22nd
        "D": _check("s1", "desk-1", seq(), "2026-11-22T15:59:59Z", "refused", None),
        # local 00:00:00 on the 23rd: the next day
        "E": _check("s1", "desk-1", seq(), "2026-11-22T16:00:00Z", "cleared"),
    }
    other = _check("s2", "desk-1", 1, "2026-11-22T04:00:00Z", "fever_referral", 39.0)
    _store(writer, *checks.values(), other)
    for name, ev in checks.items():
        ids[f"check_{name}"] = ev.id

    # The incident: a resident missing at 14:00 local (06:00Z), seen crossing the night line.
    cross = codec.make_event(
        "line_cross",
        site="s1",
        node="cam-1",
        seq=1,
        data={
            "camera": "yard",
            "line": "gate",
            "direction": "out",
            "night": True,
            "snapshot": True,
        },
        ts=z("2026-11-22T05:50:00Z"),
    )
    manual = codec.make_event(
        "manual",
        site="s1",
        node="desk-1",
        seq=seq(),
        data={
            "category": "missing_person",
            "description": "张三未归 " + HOSTILE,
            "reporter": "王芳",
            "person": "张三",
        },
        ts=z("2026-11-22T06:00:00Z"),
    )
    motion_other_node = codec.make_event(
        "motion",
        site="s1",
        node="cam-2",
        seq=1,
        data={"camera": "hall", "active": True},
        ts=z("2026-11-22T06:05:00Z"),
    )
    far = codec.make_event(  # 2 h after: outside the report's window
        "door",
        site="s1",
        node="desk-1",
        seq=seq(),
        data={"door": "main", "open": True},
        ts=z("2026-11-22T08:00:00Z"),
    )
    _store(writer, cross, manual, motion_other_node, far)
    ids.update(cross=cross.id, manual=manual.id, motion=motion_other_node.id, far=far.id)

    media_dir = tmp_path / "media"
    (media_dir / "s1" / "cam-1").mkdir(parents=True)
    (media_dir / "s1" / "cam-1" / f"{cross.id}-1.jpg").write_bytes(_jpeg((200, 30, 30)))
    (media_dir / "s1" / "cam-1" / f"{cross.id}-2.mp4").write_bytes(b"\0\0\0\x18ftypmp42")

    with db.atomic():
        _alert(db, "AL1", "fever_referral", "major", "2026-11-21T16:00:31Z", 120)
        _alert(db, "AL2", "items_held", "info", "2026-11-22T03:00:05Z", None)
        _alert(
            db,
            "AL3",
            "missing_person",
            "critical",
            "2026-11-22T06:00:00Z",
            300,
            event_id=manual.id,
        )
        _alert(db, "AL4", "fever_referral", "major", "2026-11-22T08:00:00Z", 60)
        _alert(db, "AL5", "fever_referral", "major", "2026-11-21T10:00:00Z", 30)  # day before
        _alert(db, "AL6", "fever_referral", "major", "2026-11-22T04:00:01Z", 10, site="s2")
        _alert(db, "AL7", "injury", "critical", "2026-11-22T09:00:00Z", None)

        opened = z("2026-11-22T06:00:00Z")
        _incident(
            db,
            "INC1",
            "AL3",
            "missing_person",
            opened,
            phone_reported_at=isoz(opened + timedelta(minutes=20)),
            phone_reported_by="李主管",
            phone_reported_to="区民政局 赵科长",
            written_reported_at=isoz(opened + timedelta(minutes=70)),
            written_reported_by="李主管",
            written_reported_to="区民政局",
            summary="张三 14:00 点名未到。" + HOSTILE,
            people=json.dumps(
                [{"name": "张三", "role": "受助人员"}, "王芳 (desk) " + HOSTILE],
                ensure_ascii=False,
            ),
        )
        for minutes, actor, action, detail in (
            (0, "engine", "opened", "missing_person"),
            (20, "李主管", "phone_report", "已电话报告区民政局 " + HOSTILE),
            (70, "李主管", "written_report", "书面报告已发送"),
        ):
            db["incident_history"].insert(
                {
                    "incident_id": "INC1",
                    "at": isoz(opened + timedelta(minutes=minutes)),
                    "actor": actor,
                    "action": action,
                    "detail": detail,
                }
            )
        injury = z("2026-11-22T09:00:00Z")
        _incident(
            db,
            "INC2",
            "AL7",
            "injury",
            injury,
            phone_reported_at=isoz(injury + timedelta(minutes=40)),  # late
            closed_at=isoz(injury + timedelta(hours=5)),
        )
    return Fixture(db, db_path, media_dir, ids)
