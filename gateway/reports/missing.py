"""The written report of a missing-person incident: what a bureau official needs, in one or two
pages (gathered here; rendered by pdf.py and html.py).

Who (each person's file: portrait, description, risk flags), what happened (the staff's
narrative, editable until the written report is recorded), when and where last seen, what was
done (searches, police called, …, with times), the phone and written report records, and only
the events that bear on it: the triggering event, and that site's camera and door events
(line crossings, head counts, doors, camera state) from 30 minutes before to 60 minutes after,
plus staff reports that name the person. Intake checks, gate and wand steps and motion are left
out; the full device timeline of the general report is an appendix only when asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from gateway.reports.incident import WINDOW_AFTER, WINDOW_BEFORE, ReportData, Snapshot, describe
from gateway.reports.times import iso, parse

RELEVANT_KINDS = ("line_cross", "people", "door", "camera", "tamper", "manual")
MAX_SNAPSHOTS = 2
"""Camera snapshots of the related events embedded at most (the trigger's first)."""
MAX_RELATED = 40
"""Related events listed at most (the nearest in time): the report stays within two pages."""
ACTION_KINDS = (
    "search",
    "police_called",
    "family_informed",
    "hospitals_checked",
    "found",
    "other",
)


@dataclass(frozen=True, slots=True)
class Related:
    id: str
    at: datetime
    kind: str
    where: str  # node/camera
    detail: str
    trigger: bool


@dataclass(frozen=True, slots=True)
class Action:
    at: datetime
    kind: str
    note: str
    by: str


@dataclass
class MissingReport:
    base: ReportData  # header, deadlines, report records, the full timeline (appendix)
    people: list[dict[str, Any]]
    portraits: dict[str, bytes]  # person id -> image bytes (JPEG/PNG)
    narrative: str
    last_seen_at: datetime
    last_seen_where: str
    detected_by: str  # the alert's rule: night_exit, head_count, missing_person
    actions: list[Action] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    appendix: bool = False


def _rows(db: sqlite_utils.Database, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _table_exists(db: sqlite_utils.Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name=?", [name]).fetchone() is not None


def gather_missing(
    db: sqlite_utils.Database,
    base: ReportData,
    *,
    db_path: Path | None = None,
    appendix: bool = False,
) -> MissingReport:
    inc = base.incident
    alert = base.alert or {}
    trig = base.trigger or {}
    data = trig.get("data") or {}
    people = json.loads(inc.get("people") or "[]")
    people = [p for p in people if isinstance(p, dict)]
    extra = (
        _rows(db, "SELECT * FROM missing_reports WHERE incident_id=?", [inc["id"]])
        if _table_exists(db, "missing_reports")
        else []
    )
    ext = extra[0] if extra else {}
    narrative = ext.get("narrative") or inc.get("summary") or data.get("description") or ""
    seen_at = parse(ext.get("last_seen_at")) or base.opened_at
    where = (
        ext.get("last_seen_where")
        or data.get("location")
        or "/".join(
            x for x in (inc["site"], trig.get("node"), data.get("camera")) if x and x != "dashboard"
        )
    )
    actions = [
        Action(parse(r["at"]) or base.opened_at, r["kind"], r["note"] or "", r["by"])
        for r in (
            _rows(
                db, "SELECT * FROM missing_actions WHERE incident_id=? ORDER BY at, id", [inc["id"]]
            )
            if _table_exists(db, "missing_actions")
            else []
        )
    ]
    portraits: dict[str, bytes] = {}
    if db_path is not None:
        from gateway.people.wander import portrait  # the people layer reads its own vault

        for p in people:
            img = portrait(str(db_path), p)
            if img is not None:
                portraits[str(p["id"])] = img[0]
    related = _related(db, base, people)
    ids = {r.id for r in related}
    trigger_id = (base.alert or {}).get("event_id")
    snaps = sorted(
        (s for s in base.snapshots if s.event_id in ids),
        key=lambda s: (s.event_id != trigger_id, s.at or base.opened_at),
    )[:MAX_SNAPSHOTS]
    return MissingReport(
        base=base,
        people=people,
        portraits=portraits,
        narrative=narrative,
        last_seen_at=seen_at,
        last_seen_where=where,
        detected_by=str(alert.get("rule") or ""),
        actions=actions,
        related=related,
        snapshots=snaps,
        appendix=appendix,
    )


def _related(
    db: sqlite_utils.Database, base: ReportData, people: list[dict[str, Any]]
) -> list[Related]:
    """The trigger, the site's camera and door events around it, staff reports naming them."""
    inc, opened = base.incident, base.opened_at
    start, end = opened - WINDOW_BEFORE, opened + WINDOW_AFTER
    kinds = ",".join(f"'{k}'" for k in RELEVANT_KINDS)
    rows = _rows(
        db,
        f"SELECT id, node, kind, ts, device, data FROM events WHERE site=? AND kind IN ({kinds}) "
        "AND ts >= ? AND ts <= ? ORDER BY ts LIMIT 2000",
        [inc["site"], iso(start), iso(end) + "~"],
    )
    trigger_id = (base.alert or {}).get("event_id")
    names = {n for p in people for n in (p.get("names") or [])} | {str(p.get("id")) for p in people}
    out = []
    for r in rows:
        at = parse(r["ts"])
        if at is None or not start <= at <= end:
            continue
        try:
            data = json.loads(r["data"] or "{}")
        except ValueError:
            continue
        if r["kind"] == "manual" and r["id"] != trigger_id and data.get("person") not in names:
            continue  # another staff report at the site: not about this person
        where = r["node"] + (f"/{data['camera']}" if data.get("camera") else "")
        where += f"/{data['door']}" if data.get("door") else ""
        trig = r["id"] == trigger_id
        out.append(Related(r["id"], at, r["kind"], where, describe(r["kind"], data), trig))
    if len(out) > MAX_RELATED:  # the trigger and the nearest in time
        out.sort(key=lambda e: (not e.trigger, abs((e.at - opened).total_seconds())))
        out = sorted(out[:MAX_RELATED], key=lambda e: e.at)
    return out


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "突发事件书面报告（人员走失）",
        "station": "站点",
        "incident_id": "事件编号",
        "detected_by": "发现方式",
        "night_exit": "夜间外出（摄像头越线）",
        "head_count": "人数少于名册",
        "missing_person": "工作人员报告",
        "last_seen": "最后出现",
        "last_seen_at": "最后出现时间",
        "last_seen_where": "最后出现地点",
        "generated_at": "报告生成时间",
        "who": "走失人员",
        "role_named": "已确认",
        "role_possible": "可能涉及（该处易走失人员，摄像头不识别身份，请核实）",
        "no_people": "尚未确认走失人员：请在系统中指明（摄像头不识别身份）。",
        "no_portrait": "无照片",
        "file": "档案编号",
        "names": "姓名",
        "unknown": "不详",
        "sex": "性别",
        "age": "年龄",
        "height_cm": "身高(厘米)",
        "build": "体型",
        "hair": "发型",
        "accent": "口音",
        "clothing": "衣着",
        "marks": "体貌特征",
        "cond_mental": "精神状况",
        "cond_intellectual": "智力状况",
        "cond_communication": "沟通能力",
        "medication": "用药",
        "flags": "易走失类别",
        "flag_why": "登记原因",
        "narrative": "事件经过",
        "actions": "已采取措施",
        "no_actions": "尚未登记措施。",
        "action": "措施",
        "note": "说明",
        "by": "登记人",
        "time": "时间",
        "reports": "向民政部门报告",
        "phone": "电话报告（30分钟内）",
        "written": "书面报告（1小时内）",
        "due": "截止",
        "done_at": "报告时间",
        "to": "报告对象",
        "status": "是否按时",
        "related": "相关事件（该站点摄像头、门磁及涉及该人员的报告）",
        "no_related": "无相关设备事件。",
        "kind": "类型",
        "where": "位置",
        "detail": "内容",
        "appendix": "附录：设备时间线",
        "snapshots": "现场截图",
        "signature": "报告单位（盖章）：            负责人：            日期：",
        "search": "搜寻",
        "police_called": "报警",
        "family_informed": "通知家属",
        "hospitals_checked": "查询医院",
        "found": "找到",
        "other": "其他",
        "times_note": "时间均为 {tz} 时间（{offset}）。",
    },
    "en": {
        "title": "Written incident report: missing person",
        "station": "Station",
        "incident_id": "Incident",
        "detected_by": "Detected by",
        "night_exit": "night exit (camera line crossing)",
        "head_count": "head count below the roster",
        "missing_person": "staff report",
        "last_seen": "Last seen",
        "last_seen_at": "Last seen (when)",
        "last_seen_where": "Last seen (where)",
        "generated_at": "Report generated",
        "who": "Who is missing",
        "role_named": "named",
        "role_possible": "possibly involved (wander-risk resident there; cameras do not identify"
        " anyone: to be confirmed)",
        "no_people": "Nobody named yet: name the person in the system (cameras do not identify).",
        "no_portrait": "no photo",
        "file": "File",
        "names": "Name",
        "unknown": "unknown",
        "sex": "Sex",
        "age": "Age",
        "height_cm": "Height (cm)",
        "build": "Build",
        "hair": "Hair",
        "accent": "Accent",
        "clothing": "Clothing",
        "marks": "Marks",
        "cond_mental": "Mental state",
        "cond_intellectual": "Intellectual ability",
        "cond_communication": "Communication",
        "medication": "Medication",
        "flags": "Wander risk",
        "flag_why": "Why flagged",
        "narrative": "What happened",
        "actions": "What was done",
        "no_actions": "No action recorded yet.",
        "action": "Action",
        "note": "Note",
        "by": "By",
        "time": "Time",
        "reports": "Reports to the bureau",
        "phone": "Phone report (30 min)",
        "written": "Written report (60 min)",
        "due": "Due",
        "done_at": "Made at",
        "to": "To",
        "status": "On time",
        "related": "Related events (this site's cameras and doors, reports naming the person)",
        "no_related": "No related device event.",
        "kind": "Kind",
        "where": "Where",
        "detail": "Detail",
        "appendix": "Appendix: device timeline",
        "snapshots": "Camera snapshots",
        "signature": "Reporting unit (seal):            Person in charge:            Date:",
        "search": "search",
        "police_called": "police called",
        "family_informed": "family informed",
        "hospitals_checked": "hospitals checked",
        "found": "found",
        "other": "other",
        "times_note": "Times in {tz} ({offset}).",
    },
}
PERSON_FIELDS = (
    "sex",
    "age",
    "height_cm",
    "build",
    "hair",
    "accent",
    "clothing",
    "marks",
    "cond_mental",
    "cond_intellectual",
    "cond_communication",
    "medication",
    "flags",
    "flag_why",
)


def label(lang: str, key: str, **fmt: object) -> str:
    text = LABELS.get(lang, LABELS["en"]).get(key, key)
    return text.format(**fmt) if fmt else text


def person_rows(p: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) of a person's description, in the report's language."""
    from gateway.people.notice import REASON_EN
    from gateway.people.wander import REASON_ZH

    out = [
        (label(lang, "names"), " / ".join(p.get("names") or []) or label(lang, "unknown")),
        (label(lang, "file"), str(p.get("id"))),
    ]
    for key in PERSON_FIELDS:
        value = p.get(key)
        if key == "flags":
            names = REASON_ZH if lang == "zh" else REASON_EN
            value = (
                "、".join(names.get(f, f) for f in value or [])
                if lang == "zh"
                else ", ".join(names.get(f, f) for f in value or [])
            )
        if key == "sex" and value in ("male", "female", "unknown"):
            value = (
                {"male": "男", "female": "女", "unknown": "不详"}[value] if lang == "zh" else value
            )
        if value not in (None, "", []):
            out.append((label(lang, key), str(value)))
    return out
