"""The statistics' exports for people: the words of `stats_rows` in Chinese or English and the
times as the site's wall time with its zone named, for CSV and XLSX downloaded from the
dashboard (`lang=zh|en`). Without `lang` the exports keep the machine words and UTC times,
for scripts. The numbers are never touched: a labelled row is the machine row renamed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.reports.i18n import term
from gateway.reports.times import local, zone

HEADER = {
    "zh": ("部分", "项目", "指标", "数值"),
    "en": ("Section", "Item", "Measure", "Value"),
}

_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        # sections
        "report": "报表",
        "checks": "入站检视",
        "alerts": "告警",
        "alerts_by_rule": "各类告警",
        "incidents": "突发事件",
        "deadlines": "报告时限",
        "people": "受助人员",
        "family_search": "寻亲",
        "visits": "回访",
        "day": "每日",
        # items
        "site": "站点",
        "period": "周期",
        "label": "日期",
        "tz": "时区",
        "start": "开始",
        "end": "结束",
        "generated_at": "生成时间",
        "total": "合计",
        "outcome": "检视结果",
        "fevers": "发热人数",
        "severity": "级别",
        "category": "类别",
        "phone": "电话报告（30分钟内）",
        "written": "书面报告（1小时内）",
        "admitted": "入站",
        "departed": "离站",
        "belongings_held": "暂存物品",
        "belongings_held_departed": "已离站人员的暂存物品",
        "cases": "寻亲个案",
        "found_by": "寻亲成功方式",
        "overdue_step": "逾期事项",
        "follow_up": "回访",
        # measures
        "value": "值",
        "count": "数量",
        "acknowledged": "已确认",
        "items": "件数",
        "response_p50_s": "确认用时中位数（秒）",
        "response_max_s": "确认用时最长（秒）",
        "open": "未结",
        "met": "按时",
        "late": "超时",
        "missed": "超时未报",
        "pending": "未到时限",
        "on_time_pct": "按时率（%）",
        "opened": "新开",
        "closed": "结案",
        "overdue": "逾期",
        "done": "已回访",
        "due": "待回访",
        "month": "月",
        "critical": "紧急",
        "major": "重要",
        "minor": "一般",
        "warning": "提示",
        "info": "信息",
        "returned_home": "返乡",
        "transferred": "转介",
        "left": "自行离站",
        "deceased": "死亡",
        "notice": "寻亲公告",
        "dna_request": "DNA采集",
        "refresh": "公告更新",
        "dna": "DNA比对",
        "face_match": "人脸比对",
        "interview": "问询",
        "items_held_items": "暂存物品件数",
        "incidents_day": "突发事件",
        "phone_met": "电话报告按时",
        "written_met": "书面报告按时",
        "people_admitted": "入站人数",
        "people_departed": "离站人数",
        "all": "全部站点",
    },
    "en": {
        "report": "Report",
        "checks": "Intake checks",
        "alerts": "Alerts",
        "alerts_by_rule": "Alerts by rule",
        "incidents": "Incidents",
        "deadlines": "Reporting deadlines",
        "people": "People",
        "family_search": "Family search",
        "visits": "Follow-up visits",
        "day": "Day",
        "site": "site",
        "period": "period",
        "label": "date",
        "tz": "time zone",
        "start": "start",
        "end": "end",
        "generated_at": "generated at",
        "total": "total",
        "outcome": "outcome",
        "fevers": "people with fever",
        "severity": "severity",
        "category": "category",
        "phone": "phone report (30 min)",
        "written": "written report (1 h)",
        "admitted": "admitted",
        "departed": "departed",
        "belongings_held": "belongings held",
        "belongings_held_departed": "belongings held for people who left",
        "cases": "cases",
        "found_by": "found by",
        "overdue_step": "overdue step",
        "follow_up": "follow-up",
        "value": "value",
        "count": "count",
        "acknowledged": "acknowledged",
        "items": "items",
        "response_p50_s": "median time to acknowledge (s)",
        "response_max_s": "longest time to acknowledge (s)",
        "open": "open",
        "met": "on time",
        "late": "late",
        "missed": "missed",
        "pending": "not yet due",
        "on_time_pct": "on time (%)",
        "opened": "opened",
        "closed": "closed",
        "overdue": "overdue",
        "done": "done",
        "due": "due",
        "month": "month",
        "critical": "critical",
        "major": "major",
        "minor": "minor",
        "warning": "warning",
        "info": "info",
        "returned_home": "returned home",
        "transferred": "transferred",
        "left": "left",
        "deceased": "deceased",
        "notice": "notice",
        "dna_request": "DNA request",
        "refresh": "notice refresh",
        "dna": "DNA",
        "face_match": "face match",
        "interview": "interview",
        "items_held_items": "items held",
        "phone_met": "phone reports on time",
        "written_met": "written reports on time",
        "people_admitted": "people admitted",
        "people_departed": "people departed",
        "all": "all sites",
    },
}

_TIMES = ("start", "end", "generated_at")


def word(lang: str, key: str) -> str:
    """A word of the statistics in `lang`: the table above, then the reports' vocabulary
    (outcomes, categories), then the rule names of the alerts; unknown keys as they are."""
    if key in _WORDS[lang]:
        return _WORDS[lang][key]
    if "/" in key:  # alerts_by_rule items: rule/severity
        rule, severity = key.split("/", 1)
        return f"{_RULES[lang].get(rule, term(lang, rule))} / {word(lang, severity)}"
    known = term(lang, key)  # outcomes, categories: the written reports' words
    return known if known != key else _RULES[lang].get(key, key)


def human_rows(
    rows: list[tuple[str, str, str, Any]], stats: dict[str, Any], lang: str
) -> list[tuple[str, str, str, Any]]:
    """`stats_rows` in `lang`, times as the site's wall time (the zone named in its row)."""
    tz = zone(stats["tz"])
    out = []
    for section, item, metric, value in rows:
        if section == "report" and item in _TIMES and value:
            at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            value = f"{local(at, tz)} ({stats['tz']})"
        elif section == "report" and item in ("site", "period") and value in (None, "day", "month"):
            value = word(lang, value or "all")
        label = section == "day"  # per-day rows: the item is a date, keep it
        out.append(
            (
                word(lang, section),
                item if label else word(lang, item),
                word(lang, metric),
                value,
            )
        )
    return out


def day_columns(lang: str, columns: list[str]) -> list[str]:
    return [("日期" if lang == "zh" else "date") if c == "date" else word(lang, c) for c in columns]


_RULES: dict[str, dict[str, str]] = {
    "zh": {
        "fever_referral": "入站发热",
        "hypothermia_referral": "入站低体温",
        "incomplete_check": "检视未完成",
        "items_held": "物品暂存",
        "metal_unresolved": "金属报警未处理",
        "device_fault": "设备故障",
        "node_offline": "节点离线",
        "site_link": "站点网络中断",
        "camera_offline": "摄像头离线",
        "camera_tamper": "摄像头遮挡/移位",
        "camera_frozen": "摄像头画面冻结",
        "head_count": "人数不符",
        "night_exit": "夜间外出",
        "missing_person": "人员走失",
        "injury": "受伤",
        "death": "死亡",
        "disaster": "灾害",
        "violence": "暴力事件",
        "family_search_reminder": "寻亲事项提醒",
        "family_search_overdue": "寻亲事项逾期",
        "visit_reminder": "回访提醒",
        "visit_overdue": "回访逾期",
        "face_match_probable": "人脸疑似匹配",
    },
    "en": {
        "fever_referral": "fever at intake",
        "hypothermia_referral": "hypothermia at intake",
        "incomplete_check": "incomplete check",
        "items_held": "items held",
        "metal_unresolved": "metal alarm unresolved",
        "device_fault": "device fault",
        "node_offline": "node offline",
        "site_link": "site link down",
        "camera_offline": "camera offline",
        "camera_tamper": "camera tamper",
        "camera_frozen": "camera frozen",
        "head_count": "head count short",
        "night_exit": "night exit",
        "missing_person": "missing person",
        "injury": "injury",
        "death": "death",
        "disaster": "disaster",
        "violence": "violence",
        "family_search_reminder": "family search reminder",
        "family_search_overdue": "family search overdue",
        "visit_reminder": "visit reminder",
        "visit_overdue": "visit overdue",
        "face_match_probable": "probable face match",
    },
}
