"""Statistics from the known day: figures, local-midnight boundaries, month = sum of its days,
and CSV/XLSX carrying exactly the JSON's numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from gateway.reports import daily_stats, monthly_stats, stats_csv, stats_rows, stats_xlsx
from gateway.reports.stats import DAY_COLUMNS
from tests.reports.conftest import NOW, Fixture


def test_daily_figures(station: Fixture) -> None:
    s = daily_stats(station.db, "s1", date(2026, 11, 22), now=NOW)
    assert (s["start"], s["end"]) == ("2026-11-21T16:00:00.000Z", "2026-11-22T16:00:00.000Z")
    # B (00:00:30 local, UTC date the 21st), C, F, D (23:59:59 local); not A, not E, not s2
    assert s["checks"] == {
        "total": 4,
        "outcomes": {
            "cleared": 1,
            "items_held": 1,
            "fever_referral": 1,
            "hypothermia_referral": 0,
            "refused": 1,
            "incomplete": 0,
        },
        "fevers": 2,  # 38.2 and exactly 37.3 (the threshold counts as fever)
        "items_held": 2,
    }
    a = s["alerts"]
    assert (a["total"], a["acknowledged"]) == (5, 3)  # AL1-AL4, AL7; AL5 day before, AL6 s2
    assert (a["response_p50_s"], a["response_max_s"]) == (120.0, 300.0)  # of 120, 60, 300
    assert a["by_severity"] == {"critical": 2, "major": 2, "minor": 0, "warning": 0, "info": 1}
    by_rule = {(r["rule"], r["severity"]): r for r in a["by_rule"]}
    assert by_rule["fever_referral", "major"] == {
        "rule": "fever_referral",
        "severity": "major",
        "count": 2,
        "acknowledged": 2,
        "response_p50_s": 90.0,
        "response_max_s": 120.0,
    }
    assert by_rule["items_held", "info"]["response_p50_s"] is None
    i = s["incidents"]
    assert (i["total"], i["open"]) == (2, 1)
    assert i["by_category"]["missing_person"] == 1 and i["by_category"]["injury"] == 1
    assert i["phone"] == {"met": 1, "late": 1, "missed": 0, "pending": 0, "on_time_pct": 50.0}
    assert i["written"] == {"met": 0, "late": 1, "missed": 1, "pending": 0, "on_time_pct": 0.0}
    assert s["days"] == []


def test_local_midnight_is_the_boundary(station: Fixture) -> None:
    before = daily_stats(station.db, "s1", date(2026, 11, 21), now=NOW)
    after = daily_stats(station.db, "s1", date(2026, 11, 23), now=NOW)
    assert before["checks"]["total"] == 1 and before["checks"]["outcomes"]["cleared"] == 1  # A
    assert after["checks"]["total"] == 1 and after["checks"]["outcomes"]["cleared"] == 1  # E
    # the same records by UTC days: B moves to the 21st, D and E stay on the 22nd
    utc = daily_stats(station.db, "s1", date(2026, 11, 22), "UTC", now=NOW)
    assert utc["checks"]["total"] == 4  # C, F, D, E
    assert utc["checks"]["outcomes"]["fever_referral"] == 0


def test_all_sites_and_pending_deadlines(station: Fixture) -> None:
    s = daily_stats(station.db, None, date(2026, 11, 22), now=NOW)
    assert s["checks"]["total"] == 5 and s["checks"]["fevers"] == 3  # + s2's 39.0
    assert s["alerts"]["total"] == 6
    from tests.reports.conftest import z

    early = daily_stats(station.db, "s1", date(2026, 11, 22), now=z("2026-11-22T09:45:00Z"))
    assert early["incidents"]["written"]["pending"] == 1  # INC2 written due 10:00Z


def test_month_is_the_sum_of_its_days(station: Fixture) -> None:
    m = monthly_stats(station.db, "s1", 2026, 11, now=NOW)
    assert (m["start"], m["end"]) == ("2026-10-31T16:00:00.000Z", "2026-11-30T16:00:00.000Z")
    assert m["checks"]["total"] == 6 and m["alerts"]["total"] == 6
    assert len(m["days"]) == 30
    assert sum(d["checks"] for d in m["days"]) == m["checks"]["total"]
    assert sum(d["alerts"] for d in m["days"]) == m["alerts"]["total"]
    assert sum(d["fevers"] for d in m["days"]) == m["checks"]["fevers"]
    day = next(d for d in m["days"] if d["date"] == "2026-11-22")
    daily = daily_stats(station.db, "s1", date(2026, 11, 22), now=NOW)
    assert day["checks"] == daily["checks"]["total"]
    assert day["items_held_items"] == daily["checks"]["items_held"]
    assert day["incidents"] == 2 and day["phone_met"] == 1 and day["written_met"] == 0
    for outcome, n in daily["checks"]["outcomes"].items():
        assert day[outcome] == n
    assert [d["checks"] for d in m["days"] if d["checks"]] == [1, 4, 1]  # 21st, 22nd, 23rd


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8 right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def test_csv_and_xlsx_carry_the_json_numbers(station: Fixture) -> None:
    for stats in (
        daily_stats(station.db, "s1", date(2026, 11, 22), now=NOW),
        monthly_stats(station.db, "s1", 2026, 11, now=NOW),
    ):
        rows = stats_rows(stats)
        csv_rows = _csv_rows(stats_csv(stats))
        assert csv_rows[0] == ["section", "item", "metric", "value"]
        assert csv_rows[1:] == [[_text(v) for v in row] for row in rows]
        lookup = {tuple(r[:3]): r[3] for r in csv_rows[1:]}
        assert lookup["checks", "total", "count"] == str(stats["checks"]["total"])
        assert lookup["alerts", "total", "response_p50_s"] == str(stats["alerts"]["response_p50_s"])
        assert lookup["deadlines", "phone", "on_time_pct"] == str(
            stats["incidents"]["phone"]["on_time_pct"]
        )
        for rule in stats["alerts"]["by_rule"]:
            item = f"{rule['rule']}/{rule['severity']}"
            assert lookup["alerts_by_rule", item, "count"] == str(rule["count"])

        wb = load_workbook(io.BytesIO(stats_xlsx(stats)))
        ws = wb["report"]
        sheet = [list(r) for r in ws.iter_rows(values_only=True)]
        assert sheet[0] == ["section", "item", "metric", "value"]
        assert sheet[1:] == [list(row) for row in rows]  # same values, same types
        assert ws["A1"].font.b and ws.column_dimensions["B"].width >= 20
        assert ws.freeze_panes == "A2"
        if stats["period"] == "month":
            days = wb["days"]
            table = [list(r) for r in days.iter_rows(values_only=True)]
            assert table[0] == ["date", *DAY_COLUMNS]
            assert table[1:] == [[d["date"], *(d[c] for c in DAY_COLUMNS)] for d in stats["days"]]
            assert len(days._charts) == 1
        else:
            assert wb.sheetnames == ["report"]


def test_xlsx_takes_control_characters_in_a_site_name(station: Fixture) -> None:
    stats = monthly_stats(station.db, "s1\x01\x1b", 2026, 11, now=NOW)
    wb = load_workbook(io.BytesIO(stats_xlsx(stats)))
    assert ("report", "site", "value", "s1\ufffd\ufffd") in set(
        wb["report"].iter_rows(values_only=True)
    )
    assert stats_csv(stats).decode("utf-8-sig").count("s1\x01\x1b") == 1


def test_exports_for_people_speak_their_language_and_the_sites_time(station: Fixture) -> None:
    """Issue 14, finding 7: with lang the CSV/XLSX carry Chinese (or English) words and the
    site's wall times with the zone named; the numbers are those of the machine export."""
    m = monthly_stats(station.db, "s1", 2026, 11, now=NOW)
    machine = _csv_rows(stats_csv(m))
    zh = _csv_rows(stats_csv(m, "zh"))
    assert zh[0] == ["部分", "项目", "指标", "数值"]
    assert len(zh) == len(machine)
    by = {(r[0], r[1], r[2]): r[3] for r in zh[1:]}
    assert by[("报表", "开始", "值")] == "2026-11-01 00:00:00 +08:00 (Asia/Shanghai)"
    fevers = next(r[3] for r in machine if r[:3] == ["checks", "outcome", "fever_referral"])
    assert by[("入站检视", "检视结果", "发热转诊")] == fevers
    numbers = [r[3] for r in machine[1:] if r[0] != "report"]
    assert numbers == [r[3] for r in zh[1:] if r[0] != "报表"]
    text = "".join(",".join(r) for r in zh)
    for machine_word in ("fever_referral", "response_p50_s", "2026-10-31T16:00:00"):
        assert machine_word not in text, machine_word
    en = _csv_rows(stats_csv(m, "en"))
    assert en[0] == ["Section", "Item", "Measure", "Value"]
    assert ["Intake checks", "outcome", "fever referral", fevers] in en
    book = load_workbook(io.BytesIO(stats_xlsx(m, "zh")))
    assert book.sheetnames == ["报表", "每日"]
    assert [c.value for c in book["每日"][1]][:3] == ["日期", "入站检视", "准予入站"]
