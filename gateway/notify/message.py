"""What is notified (`Notification`) and how it reads on each channel.

The same JSON document (`document`) is the webhook body and the MQTT payload, so a bureau that
takes both sees identical fields and dedupes on `delivery_id` / `notification_id`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from devices.contract.codec import new_id

NotifyEvent = Literal[
    "raised",
    "repeated",
    "acknowledged",
    "resolved",
    "auto_cleared",
    "escalated",
    "reminder",
    "overdue",
]
DOCUMENT_TYPE = "stationkit.notification.v1"


class Notification(BaseModel):
    """One thing the bureau (or the desk, or the duty officer) must be told.

    `alert` is the alert document of the API (docs/contracts.md, `Alert`: id, rule, severity,
    site, ...); `incident` the incident document when there is one. `text` optionally
    overrides the generated human text: {"zh": "...", "en": "..."}.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id, description="notification id (ULID)")
    event: NotifyEvent
    level: str = Field(description="escalation level: desk, station_duty, bureau_duty, ...")
    alert: dict[str, Any] = Field(description="the alert as in GET /api/v1/alerts/{id}")
    incident: dict[str, Any] | None = None
    text: dict[str, str] | None = None
    people: list[dict[str, Any]] | None = Field(
        None,
        description="the people it is about (missing-person incidents): file id, names, "
        "description fields, risk flags, portrait (base64 JPEG/PNG) — gateway/people/wander.py",
    )
    at: datetime = Field(default_factory=lambda: datetime.now(UTC), description="event time")

    @property
    def alert_id(self) -> str:
        return str(self.alert["id"])

    @property
    def site(self) -> str:
        return str(self.alert["site"])


def from_change(change: Any, level: str, **extra: Any) -> Notification:
    """A Notification from the engine's `AlertChange` (kind, alert, incident).

    `extra` adds alert-dict fields the engine's Alert does not carry (assignee,
    escalation_level, incident_id)."""
    alert = change.alert.model_dump(mode="json")
    alert.update(extra)
    incident = change.incident.model_dump(mode="json") if change.incident is not None else None
    if incident is not None:
        alert.setdefault("incident_id", incident["id"])
    return Notification(
        event=change.kind, level=level, alert=alert, incident=incident, at=change.alert.changed_at
    )


RULE_TITLES: dict[str, tuple[str, str]] = {
    "fever_referral": ("发热转诊", "Fever referral"),
    "hypothermia_referral": ("低体温转诊", "Hypothermia referral"),
    "incomplete_check": ("入站检查未完成", "Incomplete entry check"),
    "items_held": ("违禁物品暂扣", "Prohibited items held"),
    "device_fault": ("设备故障", "Device fault"),
    "camera_offline": ("摄像头离线", "Camera offline"),
    "camera_tamper": ("摄像头遮挡", "Camera tampered"),
    "night_exit": ("夜间外出", "Night exit"),
    "node_offline": ("节点离线", "Node offline"),
    "site_link": ("站点连接中断", "Site link down"),
    "missing_person": ("人员走失", "Person missing"),
    "injury": ("人员受伤", "Injury"),
    "death": ("人员死亡", "Death"),
    "disaster": ("灾害", "Disaster"),
    "violence": ("暴力事件", "Violence"),
    "family_search_reminder": ("寻亲期限提醒", "Family-search deadline reminder"),
    "family_search_overdue": ("寻亲期限逾期", "Family-search deadline overdue"),
    "visit_reminder": ("回访提醒", "Follow-up visit reminder"),
    "visit_overdue": ("回访逾期", "Follow-up visit overdue"),
}
EVENT_TITLES: dict[str, tuple[str, str]] = {
    "raised": ("新告警", "raised"),
    "repeated": ("再次发生", "repeated"),
    "acknowledged": ("已确认", "acknowledged"),
    "resolved": ("已处理", "resolved"),
    "auto_cleared": ("已自动解除", "cleared automatically"),
    "escalated": ("已升级", "escalated"),
    "reminder": ("提醒", "reminder"),
    "overdue": ("报告逾期", "report overdue"),
}
SEVERITY_ZH = {
    "critical": "紧急",
    "major": "重要",
    "minor": "一般",
    "warning": "警告",
    "info": "提示",
}


def subject(n: Notification) -> str:
    """Bilingual one-line subject, Chinese first."""
    rule = str(n.alert.get("rule", ""))
    zh_rule, en_rule = RULE_TITLES.get(rule, (rule, rule))
    zh_ev, en_ev = EVENT_TITLES[n.event]
    sev = str(n.alert.get("severity", ""))
    where = n.site + (f"/{n.alert['node']}" if n.alert.get("node") else "")
    return (
        f"[StationKit][{SEVERITY_ZH.get(sev, sev)}] {zh_rule}{zh_ev} {where} | "
        f"{en_rule} {en_ev} ({sev})"
    )


def _field_lines(n: Notification, lang: Literal["zh", "en"]) -> list[str]:
    a = n.alert
    labels = {
        "zh": ("告警编号", "规则", "级别", "站点", "节点", "设备", "首次", "最近", "次数", "状态"),
        "en": ("Alert", "Rule", "Severity", "Site", "Node", "Device", "First", "Last", "Count",
               "State"),
    }[lang]  # fmt: skip
    keys = ("id", "rule", "severity", "site", "node", "device", "first_at", "last_at", "count",
            "state")  # fmt: skip
    lines = [f"{label}: {a[k]}" for label, k in zip(labels, keys, strict=True) if a.get(k)]
    inc = n.incident
    if inc:
        if lang == "zh":
            lines += [
                f"事件编号: {inc.get('id')}  类别: {inc.get('category')}",
                f"电话报告截止: {inc.get('phone_due')}  书面报告截止: {inc.get('written_due')}",
            ]
        else:
            lines += [
                f"Incident: {inc.get('id')}  category: {inc.get('category')}",
                f"Phone report due: {inc.get('phone_due')}  "
                f"written report due: {inc.get('written_due')}",
            ]
        if inc.get("overdue"):
            lines.append(("逾期: " if lang == "zh" else "Overdue: ") + ", ".join(inc["overdue"]))
    for p in n.people or []:
        lines.append(_person_line(p, lang))
    return lines


_PERSON_LABELS = {
    "zh": ("人员", "性别", "年龄", "身高", "口音", "体型", "衣着", "特征", "风险"),
    "en": ("Person", "sex", "age", "height", "accent", "build", "clothing", "marks", "risk"),
}


def _person_line(p: dict[str, Any], lang: Literal["zh", "en"]) -> str:
    """One line per person in the plain-text body (the webhook carries the whole record)."""
    lb = _PERSON_LABELS[lang]
    names = "/".join(p.get("names") or []) or ("身份不明" if lang == "zh" else "unknown")
    parts = [f"{lb[0]}: {names} ({p.get('id')})"]
    age = p.get("age")
    for label, value in zip(
        lb[1:],
        (p.get("sex"), age, p.get("height_cm"), p.get("accent"), p.get("build"),
         p.get("clothing"), p.get("marks"), ", ".join(p.get("flags") or [])),
        strict=True,
    ):  # fmt: skip
        if value:
            parts.append(f"{label}: {value}")
    return "; ".join(parts)


def body_text(n: Notification, delivery_id: str) -> str:
    """Plain-text e-mail body: Chinese, then English, then the ids for the record."""
    zh_rule, en_rule = RULE_TITLES.get(str(n.alert.get("rule")), (n.alert.get("rule"), None))
    zh_ev, en_ev = EVENT_TITLES[n.event]
    text = n.text or {}
    zh = text.get("zh") or f"{n.site} 站点 {zh_rule}{zh_ev}。"
    en = text.get("en") or f"{en_rule or n.alert.get('rule')} {en_ev} at site {n.site}."
    parts = [
        zh,
        "",
        *_field_lines(n, "zh"),
        f"级别(通知): {n.level}  时间: {n.at.isoformat()}",
        "",
        "----",
        en,
        "",
        *_field_lines(n, "en"),
        f"Notification level: {n.level}  at: {n.at.isoformat()}",
        "",
        f"notification {n.id} / delivery {delivery_id}",
    ]
    return "\n".join(parts) + "\n"


def document(
    n: Notification, *, delivery_id: str, seq: int, attempt: int, channel: str, sent_at: datetime
) -> dict[str, Any]:
    """The JSON document sent as webhook body and MQTT payload."""
    return {
        "type": DOCUMENT_TYPE,
        "delivery_id": delivery_id,
        "notification_id": n.id,
        "seq": seq,
        "attempt": attempt,
        "channel": channel,
        "sent_at": sent_at.isoformat(),
        "event": n.event,
        "level": n.level,
        "at": n.at.isoformat(),
        "site": n.site,
        "subject": subject(n),
        "alert": n.alert,
        "incident": n.incident,
        "text": n.text,
        **({"people": n.people} if n.people else {}),
    }


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode()
