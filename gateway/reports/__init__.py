"""Reports for the bureau: the written incident report (PDF/HTML, zh/en) and the daily and
monthly statistics per site (JSON/CSV/XLSX). Entry points:

- `render_incident_report(db, incident_id, lang, fmt, tz, media_dir) -> bytes`
- `daily_stats(db, site, day, tz)` / `monthly_stats(db, site, year, month, tz)` -> dict
- `stats_csv(stats) -> bytes`, `stats_xlsx(stats) -> bytes`
"""

from gateway.reports.export import stats_csv, stats_rows, stats_xlsx
from gateway.reports.incident import ReportNotFound
from gateway.reports.report import render_incident_report
from gateway.reports.stats import daily_stats, monthly_stats
from gateway.reports.times import DEFAULT_TZ, BadTimeZone

__all__ = [
    "DEFAULT_TZ",
    "BadTimeZone",
    "ReportNotFound",
    "daily_stats",
    "monthly_stats",
    "render_incident_report",
    "stats_csv",
    "stats_rows",
    "stats_xlsx",
]
