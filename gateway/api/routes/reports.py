"""Reports for the bureau: the written incident report and the daily/monthly statistics.

Supervisors, the bureau and admins only (incidents and statistics are about vulnerable people).
Times are shown in the `tz` query parameter's zone, else the site's (gateway/api/context.py
`zone_name`: the configured site zone, else the station's, else Asia/Shanghai). Snapshots come
from the gateway's media directory.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from gateway.api.context import context_of
from gateway.api.deps import Caller, Db, require
from gateway.api.responses import BINARY, XLSX, binary, text
from gateway.auth.tokens import Principal
from gateway.reports import (
    BadTimeZone,
    ReportNotFound,
    daily_stats,
    monthly_stats,
    render_incident_report,
    stats_csv,
    stats_xlsx,
)
from gateway.reports.models import Stats
from gateway.reports.report import CONTENT_TYPES
from gateway.reports.times import zone

router = APIRouter(
    prefix="/api/v1", tags=["reports"], dependencies=[require("supervisor", "bureau")]
)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
TzQuery = Annotated[
    str | None, Query(description="IANA time zone; default: the site's, else Asia/Shanghai")
]
# a slug, not free text: it is written into the exported spreadsheet and the file name
SiteQuery = Annotated[
    str | None,
    Query(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="site slug; all sites when omitted"),
]
StatsFormat = Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")]


def _site_tz(request: Request, site: str | None, tz: str | None) -> str:
    name = tz or context_of(request).zone_name(site)
    try:
        zone(name)
    except BadTimeZone as exc:
        raise HTTPException(422, str(exc)) from None
    return name


def _attachment(body: bytes, media_type: str, name: str) -> Response:
    safe = _UNSAFE.sub("_", name)[:120]
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "no-store",  # personal data: no copies in caches
        },
    )


@router.get(
    "/incidents/{incident_id}/report",
    responses=binary("the written report, PDF or printable HTML", "application/pdf", "text/html"),
)
def incident_report(
    incident_id: str,
    request: Request,
    db: Db,
    who: Caller,
    lang: Literal["zh", "en"] = "zh",
    fmt: Annotated[Literal["pdf", "html"], Query(alias="format")] = "pdf",
    tz: TzQuery = None,
    appendix: bool = False,
) -> Response:
    """The written incident report (header, deadlines, timeline, people, device data,
    snapshots, report records) as a PDF or printable HTML download. A missing-person incident
    gets its own 1-2 page report (docs/reports.md); `appendix` adds the device timeline."""
    row = db.execute("SELECT site FROM incidents WHERE id = ?", [incident_id]).fetchone()
    if row is None or not who.sees(row[0]):
        raise HTTPException(404, f"no incident {incident_id}")
    zone_name = _site_tz(request, row[0], tz)
    try:
        body = render_incident_report(
            db,
            incident_id,
            lang,
            fmt,
            zone_name,
            media_dir=context_of(request).media_root(),
            db_path=context_of(request).db_path,
            appendix=appendix,
        )
    except ReportNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return _attachment(body, CONTENT_TYPES[fmt], f"incident-{incident_id}-{lang}.{fmt}")


def _scoped(who: Principal, site: str | None) -> None:
    """All-sites statistics are for users who may see every site."""
    if site is None and who.sites is not None:
        raise HTTPException(403, "name one of your sites: site=" + "|".join(who.sites))


def _year_ok(year: int) -> None:
    if not 1970 <= year <= 9000:
        raise HTTPException(422, "year out of range (1970-9000)")


ExportLang = Annotated[
    Literal["zh", "en"] | None,
    Query(
        description="CSV/XLSX for people: words in this language, the site's local times "
        "with the zone named; omitted: machine words and UTC (for scripts)"
    ),
]


def _stats_response(stats: dict[str, Any], fmt: str, name: str, lang: str | None) -> Response:
    if fmt == "csv":
        return _attachment(stats_csv(stats, lang), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "xlsx":
        return _attachment(stats_xlsx(stats, lang), XLSX, f"{name}.xlsx")
    return JSONResponse(stats, headers={"Cache-Control": "no-store"})


STATS_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "model": Stats,
        "description": "JSON, or a CSV / XLSX download with format=csv|xlsx",
        "content": {**text("text/csv"), XLSX: {"schema": BINARY}},
    }
}


@router.get("/reports/daily", responses=STATS_ANSWER)
def daily_report(
    request: Request,
    db: Db,
    who: Caller,
    date_: Annotated[date, Query(alias="date", description="local calendar day, YYYY-MM-DD")],
    site: SiteQuery = None,
    fmt: StatsFormat = "json",
    tz: TzQuery = None,
    lang: ExportLang = None,
) -> Response:
    """Checks, outcomes, fevers, items held, alerts and response times, incidents and deadline
    compliance of one day in the site's time zone."""
    _year_ok(date_.year)
    _scoped(who, site)
    stats = daily_stats(db, site, date_, _site_tz(request, site, tz))
    return _stats_response(stats, fmt, f"stats-{site or 'all'}-{date_.isoformat()}", lang)


@router.get("/reports/monthly", responses=STATS_ANSWER)
def monthly_report(
    request: Request,
    db: Db,
    who: Caller,
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    site: SiteQuery = None,
    fmt: StatsFormat = "json",
    tz: TzQuery = None,
    lang: ExportLang = None,
) -> Response:
    """The daily figures summed over a month in the site's time zone, with a row per day."""
    year, mon = (int(p) for p in month.split("-"))
    _year_ok(year)
    _scoped(who, site)
    stats = monthly_stats(db, site, year, mon, _site_tz(request, site, tz))
    return _stats_response(stats, fmt, f"stats-{site or 'all'}-{month}", lang)
