"""`render_incident_report`: the written incident report for the bureau, as PDF or HTML."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlite_utils

from gateway.reports.html import render_html, render_missing_html
from gateway.reports.i18n import check_lang
from gateway.reports.incident import gather
from gateway.reports.missing import gather_missing
from gateway.reports.pdf import render_missing_pdf, render_pdf
from gateway.reports.times import DEFAULT_TZ, zone

Format = Literal["pdf", "html"]
CONTENT_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def render_incident_report(
    db: sqlite_utils.Database,
    incident_id: str,
    lang: str = "zh",
    fmt: str = "pdf",
    tz: str = DEFAULT_TZ,
    media_dir: Path | None = None,
    *,
    now: datetime | None = None,
    db_path: Path | None = None,
    appendix: bool = False,
    layout: Literal["auto", "general"] = "auto",
) -> bytes:
    """The report of one incident from the record, in `lang` (zh/en), as `fmt` (pdf/html), times
    shown in `tz`. Snapshots come from the media store at `media_dir` when given.

    Raises `ReportNotFound` (a KeyError) for an unknown id, ValueError for a bad lang, format
    or time zone. `now` decides whether an unreported deadline is pending or missed.

    A missing-person incident gets its own short report (gateway/reports/missing.py: who, last
    seen, what was done; portraits read from the people vault beside `db_path`; the device
    timeline only with `appendix`); `layout="general"` forces the general layout, every
    section and the whole device window, as for any other category.
    """
    check_lang(lang)
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"format must be pdf or html, not {fmt!r}")
    zi = zone(tz)
    data = gather(db, incident_id, Path(media_dir) if media_dir else None, now)
    if layout == "auto" and data.incident["category"] == "missing_person":  # 1-2 pages: who,
        missing = gather_missing(db, data, db_path=db_path, appendix=appendix)
        return (render_missing_html if fmt == "html" else render_missing_pdf)(missing, lang, zi)
    if fmt == "html":
        return render_html(data, lang, zi)
    return render_pdf(data, lang, zi)
