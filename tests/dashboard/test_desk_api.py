"""The desk page's API (GET /api/v1/desk/active, /api/v1/desk/checks) on a real gateway and
SQLite file: checks in progress derived from step events, the day in the site's time zone,
search, and who may read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.api.routes.desk import derive_open_checks
from gateway.auth.users import create_user
from gateway.store.db import connect
from gateway.store.times import iso
from tests.dashboard.conftest import Stack

PASSWORD = "correct horse battery 42"


def _ev(kind: str, ts: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "ts": ts, "data": data}


def test_open_checks_from_step_events() -> None:
    events = [
        _ev("gate", "2026-11-23T10:00:00Z", action="alarm"),  # before the passage: belongs to it
        _ev("gate", "2026-11-23T10:00:01Z", action="passage", direction="in", check_id="a"),
        _ev("temperature", "2026-11-23T10:00:03Z", celsius=33.0, remeasure=True, check_id="a"),
        _ev("gate", "2026-11-23T10:00:20Z", action="passage", direction="in", check_id="b"),
        _ev("temperature", "2026-11-23T10:00:22Z", celsius=36.5, check_id="b"),
        _ev("gate", "2026-11-23T10:01:00Z", action="passage", direction="in", check_id="done"),
        _ev("temperature", "2026-11-23T10:01:02Z", celsius=33.2, remeasure=True),  # no check
    ]
    a, b = derive_open_checks(events, finished={"done"})
    assert a["check_id"] == "a" and a["gate"]["alarm"] and a["remeasure"]
    assert a["waiting_for"] == ["wand", "temperature"] and a["step"] == "wand"
    assert a["celsius"] is None
    assert b["gate"]["alarm"] is False and b["celsius"] == 36.5
    assert b["waiting_for"] == [] and b["step"] == "outcome"
    core = derive_open_checks(
        [
            *events[:3],
            _ev("metal", "2026-11-23T10:00:05Z", result="clear", items=[], check_id="a"),
            _ev("temperature", "2026-11-23T10:00:09Z", celsius=36.9, mode="core", check_id="a"),
        ],
        finished=set(),
    )[0]
    assert core["celsius"] == 36.9 and core["remeasure"] is False
    assert core["wand"]["result"] == "clear" and core["step"] == "outcome"


def test_a_cold_screening_reading_waits_for_a_core_temperature() -> None:
    passage = _ev("gate", "2026-11-23T10:00:01Z", action="passage", direction="in", check_id="a")
    cold = _ev("temperature", "2026-11-23T10:00:03Z", celsius=34.8, core_needed=True, check_id="a")
    [a] = derive_open_checks([passage, cold], finished=set())
    assert a["core_needed"] and a["waiting_for"] == ["core_temperature"]
    assert a["step"] == "core_temperature" and a["celsius"] == 34.8
    core = _ev("temperature", "2026-11-23T10:01:00Z", celsius=34.8, mode="core", check_id="a")
    [a] = derive_open_checks([passage, cold, core], finished=set())
    assert not a["core_needed"] and a["waiting_for"] == [] and a["step"] == "outcome"


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
