"""Daily and monthly statistics of a site for the bureau's periodic returns.

Periods are calendar days/months of the site's time zone (a check at 23:59 and one at 00:01
Beijing time fall on different days, whatever the UTC date says). Every figure is counted in
Python from the parsed record, so the two spellings of stored UTC times cannot shift a record
across a boundary. Definitions:

- checks: intake checks by start time; `outcomes` by CheckOutcome; `fevers`: checks whose
  deciding temperature is at or above the fever threshold in force for that check (37.3 °C
  unless the check says otherwise); `items_held`: items taken into storage (not checks).
- alerts: raised in the period (first occurrence), by rule and severity; response time is
  raised → first `acknowledged` in alert_history, in seconds (p50 = median; unacknowledged
  alerts are counted, not timed).
- incidents: opened in the period, by category; per deadline (phone 30 min, written 60 min):
  met / late / missed (not made and past due) / pending (not made, not yet due);
  `on_time_pct` = met / (met + late + missed) × 100, null when nothing was due.
- people: admitted, departed by way, belongings still held at the end of the period
  (gateway/people/stats.py has the definitions).
- family_search (opened, closed, by_found, overdue cases and steps) and visits (done, due,
  overdue): gateway/people/family_search_stats.py has the definitions.
"""

from __future__ import annotations

import contextlib
import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import sqlite_utils

from devices.contract.models.intake import CheckOutcome
from gateway.people.family_search_stats import family_search_stats
from gateway.people.stats import people_stats
from gateway.reports.incident import deadline_status
from gateway.reports.times import DEFAULT_TZ, day_bounds, iso, month_bounds, month_days, parse, zone

OUTCOMES: tuple[str, ...] = get_args(CheckOutcome)
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "warning", "info")
CATEGORIES: tuple[str, ...] = ("missing_person", "injury", "death", "disaster", "violence")
DEFAULT_FEVER_CELSIUS = 37.3
DEADLINES: tuple[str, ...] = ("phone", "written")


def daily_stats(
    db: sqlite_utils.Database,
    site: str | None,
    day: date,
    tz: str = DEFAULT_TZ,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Statistics of one local calendar day (`site` None: all sites together)."""
    zi = zone(tz)
    start, end = day_bounds(day, zi)
    return _stats(db, site, "day", day.isoformat(), start, end, zi, [day], now)


def monthly_stats(
    db: sqlite_utils.Database,
    site: str | None,
    year: int,
    month: int,
    tz: str = DEFAULT_TZ,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Statistics of one local calendar month, with a row per day in `days`."""
    zi = zone(tz)
    start, end = month_bounds(year, month, zi)
    label = f"{year:04d}-{month:02d}"
    return _stats(db, site, "month", label, start, end, zi, month_days(year, month), now)


def _select(
    db: sqlite_utils.Database,
    table: str,
    columns: str,
    ts: str,
    site: str | None,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, tuple[Any, ...]]]:
    """Rows whose `ts` is in [start, end): a string prefilter with a margin (indexes), then the
    exact comparison on parsed times."""
    sql = f"SELECT {ts}, {columns} FROM {table} WHERE {ts} >= ? AND {ts} < ?"
    args: list[Any] = [iso(start - timedelta(days=1)), iso(end + timedelta(days=1))]
    if site is not None:
        sql += " AND site = ?"
        args.append(site)
    out = []
    for row in db.execute(sql, args).fetchall():
        at = parse(row[0])
        if at is not None and start <= at < end:
            out.append((at, tuple(row[1:])))
    return out


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _seconds(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(statistics.median(values), 1), round(max(values), 1)


def _stats(
    db: sqlite_utils.Database,
    site: str | None,
    period: str,
    label: str,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    days: list[date],
    now: datetime | None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    per_day: dict[date, Counter[str]] = {d: Counter() for d in days}

    def bump(at: datetime, key: str, n: int = 1) -> None:
        d = at.astimezone(tz).date()
        if d in per_day:
            per_day[d][key] += n

    # checks ---------------------------------------------------------------------------------
    outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
    fevers = items = 0
    columns = "outcome, celsius, items_held, data"
    checks = _select(db, "checks", columns, "started_at", site, start, end)
    for at, (outcome, celsius, items_held, data) in checks:
        outcomes[outcome] += 1
        bump(at, "checks")
        bump(at, outcome)
        threshold = DEFAULT_FEVER_CELSIUS
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            threshold = float(json.loads(data or "{}").get("fever_threshold_celsius", threshold))
        if celsius is not None and celsius >= threshold:
            fevers += 1
            bump(at, "fevers")
        try:
            held = json.loads(items_held or "[]")
        except ValueError:
            held = []
        n_items = len(held) if isinstance(held, list) else 0
        items += n_items
        bump(at, "items_held_items", n_items)

    # alerts ---------------------------------------------------------------------------------
    alerts = _select(db, "alerts", "id, rule, severity", "first_at", site, start, end)
    raised_at, acked_at = _alert_times(db, [row[0] for _, row in alerts])
    by_rule: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, []])
    by_severity: Counter[str] = Counter({s: 0 for s in SEVERITIES})
    all_times: list[float] = []
    for first_at, (alert_id, rule, severity) in alerts:
        bump(first_at, "alerts")
        by_severity[severity] += 1
        bucket = by_rule[(rule, severity)]
        bucket[0] += 1
        ack = acked_at.get(alert_id)
        if ack is not None:
            seconds = max(0.0, (ack - raised_at.get(alert_id, first_at)).total_seconds())
            bucket[1] += 1
            bucket[2].append(seconds)
            all_times.append(seconds)
    rules = []
    for (rule, severity), (count, acked, times) in sorted(by_rule.items()):
        p50, mx = _seconds(times)
        rules.append(
            {
                "rule": rule,
                "severity": severity,
                "count": count,
                "acknowledged": acked,
                "response_p50_s": p50,
                "response_max_s": mx,
            }
        )
    p50, mx = _seconds(all_times)

    # incidents ------------------------------------------------------------------------------
    incidents = _select(
        db,
        "incidents",
        "category, phone_due, phone_reported_at, written_due, written_reported_at, closed_at",
        "opened_at",
        site,
        start,
        end,
    )
    categories: Counter[str] = Counter({c: 0 for c in CATEGORIES})
    compliance = {k: Counter({"met": 0, "late": 0, "missed": 0, "pending": 0}) for k in DEADLINES}
    still_open = 0
    for opened, (category, p_due, p_done, w_due, w_done, closed) in incidents:
        categories[category] += 1
        bump(opened, "incidents")
        still_open += closed is None
        for which, due, done in (("phone", p_due, p_done), ("written", w_due, w_done)):
            due_at = parse(due)
            if due_at is not None:
                status = deadline_status(due_at, parse(done), now)
                compliance[which][status] += 1
                bump(opened, f"{which}_{status}")

    people = people_stats(db, site, start, end, bump)
    search = family_search_stats(db, site, start, end, now, tz.key)

    return {
        "site": site,
        "period": period,
        "label": label,
        "tz": tz.key,
        "start": iso(start),
        "end": iso(end),
        "generated_at": iso(now),
        "checks": {
            "total": len(checks),
            "outcomes": dict(outcomes),
            "fevers": fevers,
            "items_held": items,
        },
        "alerts": {
            "total": len(alerts),
            "acknowledged": len(all_times),
            "response_p50_s": p50,
            "response_max_s": mx,
            "by_severity": dict(by_severity),
            "by_rule": rules,
        },
        "incidents": {
            "total": len(incidents),
            "open": still_open,
            "by_category": dict(categories),
            **{
                which: {
                    **dict(c),
                    "on_time_pct": _pct(c["met"], c["met"] + c["late"] + c["missed"]),
                }
                for which, c in compliance.items()
            },
        },
        "people": people,
        **search,  # family_search, visits
        "days": [_day_row(d, per_day[d]) for d in days] if period == "month" else [],
    }


DAY_COLUMNS: tuple[str, ...] = (
    "checks",
    *OUTCOMES,
    "fevers",
    "items_held_items",
    "alerts",
    "incidents",
    "phone_met",
    "written_met",
    "people_admitted",
    "people_departed",
)
"""Columns of the per-day table of a monthly report (after `date`)."""


def _day_row(d: date, c: Counter[str]) -> dict[str, Any]:
    return {"date": d.isoformat(), **{k: c[k] for k in DAY_COLUMNS}}


def _alert_times(
    db: sqlite_utils.Database, ids: list[str]
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """First `raised` and first `acknowledged` time of each alert, from alert_history."""
    raised: dict[str, datetime] = {}
    acked: dict[str, datetime] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT alert_id, action, at FROM alert_history WHERE alert_id IN ({marks}) "
            "AND action IN ('raised', 'acknowledged') ORDER BY id",
            chunk,
        ).fetchall()
        for alert_id, action, at in rows:
            when = parse(at)
            if when is None:
                continue
            target = raised if action == "raised" else acked
            if alert_id not in target or when < target[alert_id]:
                target[alert_id] = when
    return raised, acked
