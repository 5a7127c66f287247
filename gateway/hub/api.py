"""The bureau's API and dashboard, served by a hub worker (any worker: they share PostgreSQL).

Every read is audited (who looked at what); every route is limited to the user's scope.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import psycopg
from cryptography.exceptions import InvalidTag
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from gateway.api.responses import BINARY, XLSX, binary, text
from gateway.hub import downlink, users
from gateway.hub.api_models import (
    ActionResult,
    HubAlert,
    HubIncident,
    HubIncidentDetail,
    HubMissingPerson,
    HubSite,
    Me,
    Page,
    ReturnRow,
    StationDetail,
)
from gateway.hub.config import HubSettings
from gateway.hub.portraits import PortraitKey
from gateway.hub.worker import WorkerStats

STATIC = Path(__file__).resolve().parents[2] / "dashboard" / "static" / "hub"
COOKIE = "stationkit_hub"


class Login(BaseModel):
    username: str = Field(max_length=100)
    password: str = Field(max_length=200)


class Comment(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


def _incident(row: dict[str, Any], now: datetime) -> HubIncident:
    overdue, due = [], []
    for k in ("phone", "written"):
        if row[f"{k}_reported_at"] is None:
            due.append(row[f"{k}_due"])
            if now > row[f"{k}_due"]:
                overdue.append(k)
    return HubIncident(
        station=row["station"],
        id=row["id"],
        alert_id=row["alert_id"],
        alert_state=row.get("alert_state"),
        category=row["category"],
        node=row["node"],
        opened_at=row["opened_at"],
        phone_due=row["phone_due"],
        written_due=row["written_due"],
        phone_reported_at=row["phone_reported_at"],
        written_reported_at=row["written_reported_at"],
        closed_at=row["closed_at"],
        overdue=overdue,
        next_due=min(due) if due and row["closed_at"] is None else None,
        version=row["version"],
        stored_at=row["stored_at"],
        people=row.get("people") or 0,
    )


def _alert(row: dict[str, Any]) -> HubAlert:
    return HubAlert(
        station=row["station"],
        id=row["id"],
        rule=row["rule"],
        severity=row["severity"],
        state=row["state"],
        subject=row["subject"],
        first_at=row["first_at"],
        changed_by=row["changed_by"],
        incident_id=row["incident_id"],
        history=row["doc"].get("history", []),
    )


def _db(request: Request) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(
        request.app.state.settings.postgres, row_factory=dict_row, autocommit=True
    )  # each statement commits; `with conn.transaction()` groups what must go together
    try:
        yield conn
    finally:
        conn.close()


Db = Annotated[psycopg.Connection[Any], Depends(_db)]

_PEOPLE = (
    "(SELECT count(*) FROM incident_people p WHERE p.station = i.station "
    "AND p.incident_id = i.id) AS people"
)


def _user(request: Request, conn: Db) -> users.BureauUser:
    sid = request.cookies.get(COOKIE)
    found = users.session_user(conn, sid) if sid else None
    if found is None:
        raise HTTPException(401, "log in first")
    if request.method == "POST" and request.headers.get("x-csrf-token") != found.csrf:
        raise HTTPException(403, "missing or wrong X-CSRF-Token")
    return found


User = Annotated[users.BureauUser, Depends(_user)]


def create_hub_app(settings: HubSettings, stats: WorkerStats | None = None) -> FastAPI:
    app = FastAPI(title="StationKit bureau hub", docs_url=None, redoc_url=None)
    app.state.settings = settings
    key = settings.portrait_key_file
    portraits = PortraitKey(key) if key is not None else None

    def viewed(conn: Any, u: users.BureauUser, request: Request) -> None:
        users.audit(conn, u.username, "view", request.url.path, str(request.url.query))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/hub/")

    @app.get("/hub/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/hub/static", StaticFiles(directory=STATIC), name="hub-static")

    @app.post("/api/hub/login", response_model=Me)
    def login(body: Login, response: Response, conn: Db) -> Me:
        sid = users.login(conn, body.username, body.password, settings.session_hours)
        if sid is None:
            raise HTTPException(401, "wrong username or password")
        response.set_cookie(
            COOKIE,
            sid,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            max_age=int(settings.session_hours * 3600),
        )
        u = users.session_user(conn, sid)
        assert u is not None
        return Me(username=u.username, role=u.role, lang=u.lang, csrf=u.csrf)

    @app.post("/api/hub/logout", response_model=None, status_code=204)
    def logout(request: Request, u: User, conn: Db) -> None:
        users.logout(conn, request.cookies.get(COOKIE, ""))
        users.audit(conn, u.username, "logout")

    @app.get("/api/hub/me", response_model=Me)
    def me(u: User) -> Me:
        return Me(username=u.username, role=u.role, lang=u.lang, csrf=u.csrf)

    @app.get("/api/hub/incidents", response_model=Page[HubIncident])
    def incidents(
        request: Request,
        u: User,
        conn: Db,
        open: Annotated[bool, Query(description="open incidents only")] = True,
        sort: Annotated[str, Query(pattern="^(deadline|opened)$")] = "deadline",
        station: str | None = None,
    ) -> Page[HubIncident]:
        viewed(conn, u, request)
        scope, args = u.scope_sql("i.station")
        where = [scope]
        if open:
            where.append("i.closed_at IS NULL")
        if station:
            where.append("i.station = %s")
            args.append(station)
        rows = conn.execute(
            "SELECT i.*, a.state AS alert_state, " + _PEOPLE + " FROM incidents i "
            "LEFT JOIN alerts a ON a.station = i.station AND a.id = i.alert_id WHERE "
            + " AND ".join(where)
            + " ORDER BY i.opened_at DESC LIMIT 1000",
            args,
        ).fetchall()
        now = datetime.now(UTC)
        items = [_incident(r, now) for r in rows]
        if sort == "deadline":
            far = datetime.max.replace(tzinfo=UTC)
            items.sort(key=lambda i: i.next_due or far)
        return Page(items=items)

    @app.get("/api/hub/alerts", response_model=Page[HubAlert])
    def alerts(
        request: Request, u: User, conn: Db, state: str | None = None, station: str | None = None
    ) -> Page[HubAlert]:
        viewed(conn, u, request)
        scope, args = u.scope_sql()
        where = [scope]
        for column, value in (("state", state), ("station", station)):
            if value:
                where.append(f"{column} = %s")
                args.append(value)
        rows = conn.execute(
            "SELECT * FROM alerts WHERE "
            + " AND ".join(where)
            + " ORDER BY first_at DESC LIMIT 1000",
            args,
        ).fetchall()
        return Page(items=[_alert(r) for r in rows])

    def _sites(conn: Any, u: users.BureauUser, station: str | None = None) -> list[HubSite]:
        scope, args = u.scope_sql("s.station")
        extra = ""
        if station:
            extra = " AND s.station = %s"
            args.append(station)
        rows = conn.execute(
            "SELECT s.*, h.nodes_online, h.nodes_total, h.cameras_ok, h.cameras_total, "
            "h.last_data_at, (SELECT count(*) FROM incidents i WHERE i.station = s.station "
            "AND i.closed_at IS NULL) AS open_incidents FROM stations s LEFT JOIN health h "
            "USING (station) WHERE " + scope + extra + " ORDER BY s.station",
            args,
        ).fetchall()
        return [HubSite(**{k: r[k] for k in HubSite.model_fields if k in r}) for r in rows]

    @app.get("/api/hub/sites", response_model=Page[HubSite])
    def sites(request: Request, u: User, conn: Db) -> Page[HubSite]:
        viewed(conn, u, request)
        return Page(items=_sites(conn, u))

    def _returns(conn: Any, u: users.BureauUser, month: str) -> list[ReturnRow]:
        scope, args = u.scope_sql()
        rows = conn.execute(
            "SELECT station, count(*) AS days, "
            "sum((doc->>'checks')::int) AS checks, "
            "sum((SELECT coalesce(sum(value::int), 0) FROM jsonb_each_text("
            "coalesce(doc->'alerts_by_severity', '{}'::jsonb)))) AS alerts, "
            "sum((SELECT coalesce(sum(value::int), 0) FROM jsonb_each_text("
            "coalesce(doc->'incidents_by_category', '{}'::jsonb)))) AS incidents, "
            "sum(coalesce((doc->>'incidents_overdue')::int, 0)) AS overdue "
            "FROM daily_returns WHERE to_char(day, 'YYYY-MM') = %s AND "
            + scope
            + " GROUP BY station ORDER BY station",
            [month, *args],
        ).fetchall()
        return [
            ReturnRow(
                station=r["station"],
                month=month,
                days=r["days"],
                checks=r["checks"] or 0,
                alerts=r["alerts"] or 0,
                incidents=r["incidents"] or 0,
                incidents_overdue=r["overdue"] or 0,
            )
            for r in rows
        ]

    @app.get("/api/hub/returns", response_model=Page[ReturnRow])
    def returns(
        request: Request,
        u: User,
        conn: Db,
        month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    ) -> Page[ReturnRow]:
        viewed(conn, u, request)
        return Page(items=_returns(conn, u, month))

    @app.get(
        "/api/hub/returns.{fmt}",
        response_model=None,
        responses={
            200: {
                "description": "the month's returns as a spreadsheet",
                "content": {**text("text/csv"), XLSX: {"schema": BINARY}},
            }
        },
    )
    def returns_file(
        request: Request,
        u: User,
        conn: Db,
        fmt: str,
        month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    ) -> Response:
        if fmt not in ("csv", "xlsx"):
            raise HTTPException(404, "csv or xlsx")
        if u.role not in ("supervisor", "admin"):
            raise HTTPException(403, "exporting the returns needs the supervisor or admin role")
        users.audit(conn, u.username, "export", request.url.path, month)
        rows = [r.model_dump() for r in _returns(conn, u, month)]
        head = list(ReturnRow.model_fields)
        name = f"stationkit-returns-{month}.{fmt}"
        disp = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.DictWriter(buf, head)
            w.writeheader()
            w.writerows(rows)
            return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=disp)
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = month
        ws.append(head)
        for r in rows:
            ws.append([r[h] for h in head])
        out = io.BytesIO()
        wb.save(out)
        return Response(
            out.getvalue(),
            headers=disp,
            media_type=XLSX,
        )

    @app.get("/api/hub/stations/{station}", response_model=StationDetail)
    def station_detail(station: str, request: Request, u: User, conn: Db) -> StationDetail:
        viewed(conn, u, request)
        found = _sites(conn, u, station)
        if not found:
            raise HTTPException(404, f"no station {station} in your scope")
        now = datetime.now(UTC)
        incs = conn.execute(
            "SELECT i.*, a.state AS alert_state, " + _PEOPLE + " FROM incidents i "
            "LEFT JOIN alerts a ON a.station=i.station AND a.id=i.alert_id WHERE i.station=%s "
            "ORDER BY i.opened_at DESC LIMIT 200",
            (station,),
        ).fetchall()
        als = conn.execute(
            "SELECT * FROM alerts WHERE station=%s ORDER BY first_at DESC LIMIT 200", (station,)
        ).fetchall()
        rets = conn.execute(
            "SELECT day, doc FROM daily_returns WHERE station=%s ORDER BY day DESC LIMIT 62",
            (station,),
        ).fetchall()
        return StationDetail(
            site=found[0],
            incidents=[_incident(r, now) for r in incs],
            alerts=[_alert(r) for r in als],
            returns=[r["doc"] for r in rets],
            day=rets[0]["day"] if rets else None,
        )

    def _incident_row(
        conn: Any, u: users.BureauUser, station: str, incident_id: str
    ) -> dict[str, Any]:
        scope, args = u.scope_sql("i.station")
        row = conn.execute(
            "SELECT i.*, a.state AS alert_state, " + _PEOPLE + " FROM incidents i "
            "LEFT JOIN alerts a ON a.station = i.station AND a.id = i.alert_id "
            f"WHERE i.station = %s AND i.id = %s AND {scope}",
            [station, incident_id, *args],
        ).fetchone()
        if row is None:
            raise HTTPException(404, f"no incident {incident_id} of {station} in your scope")
        return dict(row)

    @app.get("/api/hub/incidents/{station}/{incident_id}", response_model=HubIncidentDetail)
    def incident_detail(
        station: str, incident_id: str, request: Request, u: User, conn: Db
    ) -> HubIncidentDetail:
        row = _incident_row(conn, u, station, incident_id)
        people = conn.execute(
            "SELECT doc, portrait IS NOT NULL AS kept FROM incident_people "
            "WHERE station = %s AND incident_id = %s ORDER BY person_id",
            (station, incident_id),
        ).fetchall()
        # A missing person's description is personal information: every view is audited,
        # with the people shown.
        users.audit(
            conn,
            u.username,
            "view_incident",
            f"{station}/{incident_id}",
            ",".join(p["doc"]["person_id"] for p in people),
        )
        return HubIncidentDetail(
            incident=_incident(row, datetime.now(UTC)),
            summary=row["doc"].get("summary"),
            history=row["doc"].get("history", []),
            people=[HubMissingPerson(**p["doc"], portrait=bool(p["kept"])) for p in people],
        )

    @app.get(
        "/api/hub/incidents/{station}/{incident_id}/people/{person_id}/portrait",
        response_class=Response,
        responses=binary("the portrait as the station sent it", "image/jpeg", "image/png"),
    )
    def portrait(station: str, incident_id: str, person_id: str, u: User, conn: Db) -> Response:
        _incident_row(conn, u, station, incident_id)
        row = conn.execute(
            "SELECT portrait, portrait_type FROM incident_people WHERE station = %s "
            "AND incident_id = %s AND person_id = %s AND portrait IS NOT NULL",
            (station, incident_id, person_id),
        ).fetchone()
        if row is None or portraits is None:
            raise HTTPException(404, "no portrait kept for this person")
        try:
            data = portraits.open(station, incident_id, person_id, bytes(row["portrait"]))
        except InvalidTag:
            raise HTTPException(500, "the portrait does not decrypt: wrong portrait key") from None
        users.audit(conn, u.username, "view_portrait", f"{station}/{incident_id}/{person_id}")
        return Response(
            data,
            media_type=row["portrait_type"] or "image/jpeg",
            headers={"Cache-Control": "no-store"},
        )

    def _act(
        conn: Any, u: users.BureauUser, station: str, alert_id: str, kind: str, text: str | None
    ) -> ActionResult:
        scope, args = u.scope_sql()
        row = conn.execute(
            "SELECT incident_id FROM alerts WHERE station=%s AND id=%s AND " + scope,
            [station, alert_id, *args],
        ).fetchone()
        if row is None:
            raise HTTPException(404, f"no alert {alert_id} at {station} in your scope")
        if kind == "acknowledge" and row["incident_id"] is None:
            raise HTTPException(403, "the bureau acknowledges incident alerts only")
        with conn.transaction():
            action_id = downlink.enqueue(conn, station, alert_id, kind, u.username, text)
            conn.execute(
                "INSERT INTO audit (actor, action, target, detail) VALUES (%s,%s,%s,%s)",
                (u.username, kind, f"{station}/{alert_id}", text or ""),
            )
        return ActionResult(id=action_id, station=station, alert_id=alert_id)

    @app.post("/api/hub/alerts/{station}/{alert_id}/ack", response_model=ActionResult)
    def ack(station: str, alert_id: str, u: User, conn: Db) -> ActionResult:
        return _act(conn, u, station, alert_id, "acknowledge", None)

    @app.post("/api/hub/alerts/{station}/{alert_id}/comment", response_model=ActionResult)
    def comment(station: str, alert_id: str, body: Comment, u: User, conn: Db) -> ActionResult:
        return _act(conn, u, station, alert_id, "comment", body.text)

    @app.get("/api/hub/worker", response_model=WorkerStats)
    def worker(u: User) -> WorkerStats:
        if stats is None:
            raise HTTPException(404, "this hub process runs no worker")
        return stats

    return app
