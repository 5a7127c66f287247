"""CSV and XLSX forms of the statistics, with exactly the numbers of the JSON.

Both are built from `stats_rows(stats)`: one long table ``section, item, metric, value`` that
flattens the JSON (no figure is computed here). The XLSX has that table on sheet "report" and,
for a month, a wide per-day sheet "days" with a chart of checks and alerts per day.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from gateway.reports import export_labels as labels
from gateway.reports.stats import DAY_COLUMNS, DEADLINES

HEADER = ("section", "item", "metric", "value")
Row = tuple[str, str, str, Any]


def stats_rows(stats: dict[str, Any]) -> list[Row]:
    """The statistics as long rows, in a stable order."""
    rows: list[Row] = [
        ("report", key, "value", stats[key])
        for key in ("site", "period", "label", "tz", "start", "end", "generated_at")
    ]
    c = stats["checks"]
    rows.append(("checks", "total", "count", c["total"]))
    rows += [("checks", "outcome", o, n) for o, n in c["outcomes"].items()]
    rows.append(("checks", "fevers", "count", c["fevers"]))
    rows.append(("checks", "items_held", "items", c["items_held"]))
    a = stats["alerts"]
    rows.append(("alerts", "total", "count", a["total"]))
    rows.append(("alerts", "total", "acknowledged", a["acknowledged"]))
    rows.append(("alerts", "total", "response_p50_s", a["response_p50_s"]))
    rows.append(("alerts", "total", "response_max_s", a["response_max_s"]))
    rows += [("alerts", "severity", s, n) for s, n in a["by_severity"].items()]
    for r in a["by_rule"]:
        item = f"{r['rule']}/{r['severity']}"
        for metric in ("count", "acknowledged", "response_p50_s", "response_max_s"):
            rows.append(("alerts_by_rule", item, metric, r[metric]))
    i = stats["incidents"]
    rows.append(("incidents", "total", "count", i["total"]))
    rows.append(("incidents", "total", "open", i["open"]))
    rows += [("incidents", "category", k, n) for k, n in i["by_category"].items()]
    for which in DEADLINES:
        for metric in ("met", "late", "missed", "pending", "on_time_pct"):
            rows.append(("deadlines", which, metric, i[which][metric]))
    p = stats["people"]
    rows.append(("people", "admitted", "count", p["admitted"]))
    rows += [("people", "departed", way, n) for way, n in p["departed"].items()]
    rows.append(("people", "belongings_held", "items", p["belongings_held"]))
    rows.append(("people", "belongings_held_departed", "items", p["belongings_held_departed"]))
    fs, visits = stats.get("family_search") or {}, stats.get("visits") or {}
    for metric in ("opened", "closed", "overdue"):
        if metric in fs:
            rows.append(("family_search", "cases", metric, fs[metric]))
    rows += [("family_search", "found_by", k, n) for k, n in (fs.get("by_found") or {}).items()]
    rows += [
        ("family_search", "overdue_step", k, n) for k, n in (fs.get("overdue_steps") or {}).items()
    ]
    rows += [
        ("visits", "follow_up", k, visits[k]) for k in ("done", "due", "overdue") if k in visits
    ]
    for day in stats["days"]:
        rows += [("day", day["date"], col, day[col]) for col in DAY_COLUMNS]
    return rows


def _rows(stats: dict[str, Any], lang: str | None) -> tuple[tuple[str, ...], list[Row]]:
    rows = stats_rows(stats)
    if lang is None:
        return HEADER, rows
    return labels.HEADER[lang], labels.human_rows(rows, stats, lang)


def stats_csv(stats: dict[str, Any], lang: str | None = None) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read the text right); empty
    value = no figure (e.g. no acknowledged alert to time). `lang` (zh, en): words for people
    and the site's local times; None: the machine words and UTC."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    header, rows = _rows(stats, lang)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _inert(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


_BOLD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDDDDD")


def stats_xlsx(stats: dict[str, Any], lang: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "report" if lang is None else labels.word(lang, "report")
    header, rows = _rows(stats, lang)
    ws.append(list(header))
    for row in rows:
        ws.append([_cell(v) for v in row])
    _header(ws, [12, 30, 18, 26])
    if stats["days"]:
        days = wb.create_sheet("days" if lang is None else labels.word(lang, "day"))
        columns = ["date", *DAY_COLUMNS]
        days.append(columns if lang is None else labels.day_columns(lang, columns))
        for day in stats["days"]:
            days.append([day[c] for c in columns])
        _header(days, [12] + [max(9, len(c) + 2) for c in DAY_COLUMNS])
        chart = BarChart()
        chart.title = _cell(f"{stats['site'] or 'all sites'} {stats['label']}")
        chart.y_axis.title = "count"
        chart.x_axis.title = "date"
        n = len(stats["days"]) + 1
        for name in ("checks", "alerts"):
            col = columns.index(name) + 1
            chart.add_data(
                Reference(days, min_col=col, min_row=1, max_row=n), titles_from_data=True
            )
        chart.set_categories(Reference(days, min_col=1, min_row=2, max_row=n))
        chart.width, chart.height = 24, 10
        days.add_chart(chart, f"A{n + 3}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _inert(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `@SUM`, `+cmd|…`) is
    written with a leading apostrophe, so it is shown as text (OWASP "CSV injection"); numbers
    stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """XLSX cannot hold most control characters (a site name is user input): they become
    U+FFFD; text that would be a formula is made inert (`_inert`: openpyxl writes any text
    starting with "=" as a live formula); everything else is written as it is in the JSON."""
    if isinstance(value, str):
        return _inert(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    return value


def _header(ws: Any, widths: list[int]) -> None:
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font = _BOLD
        cell.fill = _FILL
    ws.freeze_panes = "A2"
