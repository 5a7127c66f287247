"""The desk page's API (GET /api/v1/desk/active, /api/v1/desk/checks) on a real gateway and
SQLite file: checks in progress as the node said, the day in the site's time zone,
search, and who may read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from devices.contract.models import CheckProgress, CheckStep, TemperatureReading
from gateway.api.routes.desk import open_checks
from gateway.auth.users import create_user
from gateway.store.db import connect
from gateway.store.times import iso
from tests.dashboard.conftest import Stack

PASSWORD = "correct horse battery 42"


T0 = datetime(2026, 11, 23, 10, 0, 1, tzinfo=UTC)


def _said(*checks: CheckProgress) -> list[dict[str, Any]]:
    """What the gateway keeps of a node's progress message (gateway/ingest/writer.py)."""
    return [c.model_dump(mode="json") for c in checks]


def test_the_desk_shows_where_the_node_says_each_check_stands() -> None:
    alarm = CheckProgress(
        check_id="01JD3K9Z8Y7X6W5V4T3S2R1Q0A",
        started_at=T0,
        waiting_for=["wand"],
        gate_alarm=True,
        screening_celsius=36.6,
        temperatures=[
            TemperatureReading(celsius=33.0, at=T0, remeasure=True),
            TemperatureReading(celsius=36.6, at=T0 + timedelta(seconds=3)),
        ],
        steps=[CheckStep(name="passage", at=T0), CheckStep(name="gate_alarm", at=T0)],
    )
    cold = CheckProgress(
        check_id="01JD3K9Z8Y7X6W5V4T3S2R1Q0B",
        started_at=T0 + timedelta(seconds=20),
        waiting_for=["core_temperature"],
        screening_celsius=34.8,
        temperatures=[TemperatureReading(celsius=34.8, at=T0, core_needed=True)],
    )
    done = CheckProgress(check_id="01JD3K9Z8Y7X6W5V4T3S2R1Q0C", started_at=T0)
    a, b = (
        c.model_dump(mode="json") for c in open_checks(_said(alarm, cold, done), {done.check_id})
    )
    assert a["check_id"] == alarm.check_id and a["gate"]["alarm"] and a["step"] == "wand"
    assert a["waiting_for"] == ["wand"] and a["celsius"] == 36.6 and not a["remeasure"]
    assert a["wand"] is None and [s["name"] for s in a["steps"]] == ["passage", "gate_alarm"]
    assert b["core_needed"] and b["step"] == "core_temperature" and b["celsius"] == 34.8
    cored = cold.model_copy(update={"waiting_for": [], "core_celsius": 35.9, "wand": "clear"})
    [c] = (x.model_dump(mode="json") for x in open_checks(_said(cored), finished=set()))
    assert not c["core_needed"] and c["celsius"] == 35.9 and c["step"] == "outcome"
    assert c["wand"] == {"result": "clear", "items": [], "operator": None}


def _check(db: Any, cid: str, started: datetime, **kw: Any) -> None:
    row = {
        "check_id": cid,
        "event_id": "e-" + cid,
        "site": "s1",
        "node": kw.pop("node", "desk-1"),
        "outcome": kw.pop("outcome", "cleared"),
        "started_at": iso(started),  # as the gateway stores it: milliseconds and Z
        "finished_at": iso(started + timedelta(seconds=20)),
        "operator": kw.pop("operator", "wang"),
        "celsius": 36.5,
        "gate_alarm": 0,
        "wand": None,
        "items_held": json.dumps(kw.pop("items", []), ensure_ascii=False),
        "data": json.dumps({"note": kw.pop("note", None)}, ensure_ascii=False),
    }
    db.table("checks").insert(row)


@pytest.fixture(scope="module")
def day_checks(stack: Stack) -> Stack:
    db = connect(stack.db_path)
    with db.atomic():
        # 2026-11-20 in Shanghai (UTC+8) runs from 11-19T16:00Z to 11-20T16:00Z
        _check(db, "c-before", datetime(2026, 11, 19, 15, 59, 59, tzinfo=UTC))
        # half a second after local midnight: "…T16:00:00.500Z" belongs to the new day
        _check(
            db, "c-first", datetime(2026, 11, 19, 16, 0, 0, 500000, tzinfo=UTC), items=["打火机"]
        )
        _check(
            db, "c-mid", datetime(2026, 11, 20, 3, 0, tzinfo=UTC), outcome="refused", note="50%_x"
        )
        _check(db, "c-last", datetime(2026, 11, 20, 15, 59, 59, tzinfo=UTC), operator="li")
        _check(db, "c-after", datetime(2026, 11, 20, 16, 0, 0, tzinfo=UTC))
    db.conn.close()
    return stack


def _ids(stack: Stack, **params: Any) -> list[str]:
    body = stack.api.get("/api/v1/desk/checks", day="2026-11-20", **params)
    return [c["check_id"] for c in body["items"]]


def test_the_day_is_the_sites_day_newest_first(day_checks: Stack) -> None:
    body = day_checks.api.get("/api/v1/desk/checks", day="2026-11-20")
    assert body["tz"] == "Asia/Shanghai" and body["day"] == "2026-11-20"
    assert [c["check_id"] for c in body["items"]] == ["c-last", "c-mid", "c-first"]
    assert body["counts"] == {"cleared": 2, "refused": 1} and body["total"] == 3
    assert body["items"][2]["items_held"] == ["打火机"]


def test_search_and_outcome_filter(day_checks: Stack) -> None:
    assert _ids(day_checks, q="打火") == ["c-first"]
    assert _ids(day_checks, q="LI") == ["c-last"]  # operator, case-insensitive
    assert _ids(day_checks, q="50%_") == ["c-mid"]  # note; % and _ are literal
    assert _ids(day_checks, q="%") == ["c-mid"]
    assert _ids(day_checks, q="c-") == ["c-last", "c-mid", "c-first"]
    assert _ids(day_checks, outcome="refused") == ["c-mid"]
    counts = day_checks.api.get("/api/v1/desk/checks", day="2026-11-20", outcome="refused")
    assert counts["total"] == 3  # the day's counts ignore the filter (for the filter chips)


def test_who_may_read_the_desk_api(day_checks: Stack) -> None:
    for role, status in (("bureau", 403), ("desk", 200), ("supervisor", 200)):
        token = day_checks.token(role, f"api-{role}")
        with httpx.Client(
            base_url=day_checks.base, headers={"Authorization": f"Bearer {token}"}
        ) as c:
            for path in ("/api/v1/desk/active", "/api/v1/desk/checks"):
                assert c.get(path).status_code == status, (role, path)
    with httpx.Client(base_url=day_checks.base) as c:
        assert c.get("/api/v1/desk/active").status_code == 401
    bad = httpx.get(
        day_checks.base + "/api/v1/desk/checks",
        params={"day": "9999-12-31"},
        headers=day_checks.api.client.headers,
    )
    assert bad.status_code == 422


def _login(stack: Stack, name: str, sites: list[str] | None) -> httpx.Client:
    db = connect(stack.db_path)
    try:
        create_user(db, name, "desk", PASSWORD, sites=sites)
    finally:
        db.conn.close()
    c = httpx.Client(base_url=stack.base, timeout=5)
    r = c.post("/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def test_a_site_scoped_user_sees_only_their_sites(day_checks: Stack) -> None:
    db = connect(day_checks.db_path)
    with db.conn:
        _check(db, "c-s1", datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
        db.table("checks").update("c-s1", {"site": "s1"})
        _check(db, "c-s2", datetime(2026, 11, 22, 4, 0, tzinfo=UTC))
        db.table("checks").update("c-s2", {"site": "s2"})
    db.conn.close()
    c = _login(day_checks, "scoped-desk", ["s1"])
    try:
        body = c.get("/api/v1/desk/checks", params={"day": "2026-11-22"}).json()
        assert [i["check_id"] for i in body["items"]] == ["c-s1"] and body["total"] == 1
        assert c.get("/api/v1/desk/checks", params={"site": "s2"}).status_code == 403
        nodes = c.get("/api/v1/desk/active").json()["nodes"]
        assert {n["site"] for n in nodes} <= {"s1"}
    finally:
        c.close()
    everything = day_checks.api.get("/api/v1/desk/checks", day="2026-11-22")
    assert [i["check_id"] for i in everything["items"]] == ["c-s2", "c-s1"]
