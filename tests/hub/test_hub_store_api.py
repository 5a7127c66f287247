"""The hub's store and API against a real PostgreSQL: idempotent by id and version, dead
letters for bad input, scope per district, deadlines, exports, audit, the downlink outbox."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from devices.contract import codec
from devices.contract.models.uplink import AlertSnapshot, IncidentSnapshot
from devices.contract.uplink_topics import to_subject, uplink
from gateway.hub import store
from gateway.hub.api import create_hub_app
from gateway.hub.config import HubSettings
from gateway.hub.users import add_user
from gateway.hub.worker import WorkerStats, apply_batch
from tests.support.postgres import Postgres
from tests.support.uplink import (
    alert_snapshot,
    daily_return,
    health_summary,
    incident_snapshot,
)

pytestmark = pytest.mark.slow  # a PostgreSQL cluster of its own (initdb, a real process)

NOW = datetime.now(UTC).replace(microsecond=0)


def alert(site: str, aid: str, version: int, state: str = "active", **kw: Any) -> AlertSnapshot:
    return alert_snapshot(site, aid, version, NOW, state=state, **kw)


def incident(site: str, iid: str, version: int, opened: datetime, **kw: Any) -> IncidentSnapshot:
    return incident_snapshot(site, iid, version, opened, NOW, **kw)


def batch(*msgs: Any) -> list[tuple[str, bytes]]:
    return [(to_subject(uplink(m.station, m.kind)), codec.encode(m)) for m in msgs]


@pytest.fixture
def conn(pg: Postgres) -> Any:
    with store.connect(pg.dsn) as c:
        assert store.migrate(c) == ["0001_uplink", "0002_bureau", "0003_incident_people"]
        assert store.migrate(c) == []
        yield c


def test_replays_and_reordering_keep_the_newest_version_once(conn: Any) -> None:
    stats = WorkerStats("t")
    apply_batch(conn, batch(alert("s1", "a1", 5, "acknowledged")), stats)
    # an older snapshot arriving late, and the same one again: nothing changes
    apply_batch(conn, batch(alert("s1", "a1", 3), alert("s1", "a1", 5, "acknowledged")), stats)
    assert conn.execute("SELECT version, state FROM alerts").fetchall() == [(5, "acknowledged")]
    assert (stats.stored, stats.stale) == (1, 2)
    apply_batch(conn, batch(alert("s1", "a1", 6, "resolved"), alert("s2", "a1", 1)), stats)
    rows = conn.execute("SELECT station, id, version, state FROM alerts ORDER BY 1").fetchall()
    assert rows == [("s1", "a1", 6, "resolved"), ("s2", "a1", 1, "active")]


def test_bad_input_becomes_a_dead_letter_and_the_batch_goes_on(conn: Any) -> None:
    stats = WorkerStats("t")
    good = incident("s1", "i1", 1, NOW)
    items = [
        ("stationkit.v1.s1.gateway.uplink.incident", b"\xff not json"),
        ("stationkit.v1.s2.gateway.uplink.incident", codec.encode(good)),  # wrong station
        ("stationkit.v1.s1.gateway.uplink.alert", b'{"kind": "alert"}'),
        *batch(good),
    ]
    apply_batch(conn, items, stats)
    assert conn.execute("SELECT count(*) FROM incidents").fetchone() == (1,)
    reasons = [r[0] for r in conn.execute("SELECT reason FROM deadletters ORDER BY id")]
    assert reasons == ["bad_json", "bad_topic", "bad_schema"]
    assert stats.dead == 3


def _client(
    pg: Postgres, conn: Any, username: str, role: str = "officer", **scope: Any
) -> tuple[TestClient, str]:
    add_user(conn, username, role, "correct horse battery", **scope)
    c = TestClient(create_hub_app(HubSettings(postgres=pg.dsn)))
    r = c.post("/api/hub/login", json={"username": username, "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf"]


def test_inbox_scope_deadlines_exports_audit_and_downlink(pg: Postgres, conn: Any) -> None:
    stats = WorkerStats("t")
    late = incident("north-1", "i-late", 2, NOW - timedelta(minutes=45))  # phone overdue
    soon = incident("north-1", "i-soon", 1, NOW - timedelta(minutes=5))
    other = incident("south-1", "i-south", 1, NOW - timedelta(minutes=1))
    msgs = [
        late,
        soon,
        other,
        alert("north-1", "a-i-late", 1, incident_id="i-late"),
        alert("north-1", "plain", 1),
        health_summary("north-1", 1, NOW, online=(3, 4), cameras=(2, 2), last_data_at=NOW),
        daily_return(
            "north-1",
            date(2026, 11, 30),
            1,
            NOW,
            checks=12,
            alerts_by_severity={"critical": 2},
            incidents_by_category={"injury": 1},
        ),
        daily_return("north-1", date(2026, 11, 29), 1, NOW, checks=8),
        daily_return("south-1", date(2026, 11, 29), 1, NOW, checks=99),
    ]
    apply_batch(conn, batch(*msgs), stats)
    conn.execute("UPDATE stations SET district='north' WHERE station='north-1'")
    conn.execute("UPDATE stations SET district='south' WHERE station='south-1'")
    conn.commit()

    c, csrf = _client(pg, conn, "officer-north", districts=["north"])
    items = c.get("/api/hub/incidents").json()["items"]
    assert [i["id"] for i in items] == ["i-late", "i-soon"], "own district, by deadline"
    assert items[0]["overdue"] == ["phone"] and items[1]["overdue"] == []
    sites = c.get("/api/hub/sites").json()["items"]
    assert [(s["station"], s["nodes_online"], s["open_incidents"]) for s in sites] == [
        ("north-1", 3, 2)
    ]
    assert c.get("/api/hub/stations/south-1").status_code == 404
    rows = c.get("/api/hub/returns", params={"month": "2026-11"}).json()["items"]
    assert [(r["station"], r["days"], r["checks"], r["alerts"]) for r in rows] == [
        ("north-1", 2, 20, 2)
    ]
    assert c.get("/api/hub/returns.csv", params={"month": "2026-11"}).status_code == 403
    sup, _ = _client(pg, conn, "supervisor-north", "supervisor", districts=["north"])
    text = sup.get("/api/hub/returns.csv", params={"month": "2026-11"}).text
    assert text.splitlines()[1].startswith("north-1,2026-11,2,20,2,1,")
    xlsx = sup.get("/api/hub/returns.xlsx", params={"month": "2026-11"}).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert [cell.value for cell in sheet[2]][:4] == ["north-1", "2026-11", 2, 20]

    assert c.post("/api/hub/alerts/north-1/a-i-late/ack").status_code == 403, "CSRF"
    h = {"X-CSRF-Token": csrf}
    assert c.post("/api/hub/alerts/north-1/plain/ack", headers=h).status_code == 403
    assert c.post("/api/hub/alerts/south-1/a-i-south/ack", headers=h).status_code == 404
    r = c.post("/api/hub/alerts/north-1/a-i-late/ack", headers=h)
    assert r.status_code == 200
    out = conn.execute("SELECT id, station, alert_id, kind, by_user FROM downlink").fetchall()
    assert out == [(r.json()["id"], "north-1", "a-i-late", "acknowledge", "officer-north")]

    audit = conn.execute(
        "SELECT action, target FROM audit WHERE actor='officer-north' ORDER BY id"
    ).fetchall()
    assert ("view", "/api/hub/incidents") in audit
    assert ("acknowledge", "north-1/a-i-late") in audit
    exports = conn.execute(
        "SELECT target FROM audit WHERE actor='supervisor-north' AND action='export'"
    ).fetchall()
    assert exports == [("/api/hub/returns.csv",), ("/api/hub/returns.xlsx",)]
    forged = TestClient(c.app)
    forged.cookies.set("stationkit_hub", "forged")
    assert forged.get("/api/hub/incidents").status_code == 401

    assert c.get("/api/hub/worker").status_code == 404  # this API's process runs no worker
    beside_worker = TestClient(create_hub_app(HubSettings(postgres=pg.dsn), stats))
    beside_worker.cookies = c.cookies
    counters = beside_worker.get("/api/hub/worker").json()
    assert (counters["name"], counters["stored"], counters["dead"]) == ("t", len(msgs), 0)


def test_a_district_officer_never_sees_another_district(pg: Postgres, conn: Any) -> None:
    apply_batch(conn, batch(incident("x-1", "i1", 1, NOW)), WorkerStats("t"))
    c, _ = _client(pg, conn, "officer-none", stations=["y-1"])
    assert c.get("/api/hub/incidents").json()["items"] == []
