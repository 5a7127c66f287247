"""The report routes through the real app over the fixture's SQLite file: roles, downloads,
404, formats, the same figures as the functions, media from the context's media directory."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gateway.api.app import create_app
from gateway.auth.tokens import create_token
from gateway.media import MediaStore
from gateway.reports import daily_stats, monthly_stats
from tests.reports.conftest import Fixture
from tests.reports.pdftext import pdf_lines

ROUTES = (
    "/api/v1/incidents/INC1/report",
    "/api/v1/reports/daily?site=s1&date=2026-11-22",
    "/api/v1/reports/monthly?site=s1&month=2026-11",
)


@pytest.fixture
def api(station: Fixture) -> tuple[TestClient, dict[str, dict[str, str]]]:
    tokens = {
        role: {"Authorization": f"Bearer {create_token(station.db, f'{role}-1', role)}"}
        for role in ("desk", "supervisor", "bureau", "admin")
    }
    return TestClient(create_app(station.db_path)), tokens


def test_roles(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, h = api
    for path in ROUTES:
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=h["desk"]).status_code == 403, path
        for role in ("supervisor", "bureau", "admin"):
            assert client.get(path, headers=h[role]).status_code == 200, (path, role)


def test_incident_report_downloads(
    station: Fixture, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, h = api
    r = client.get("/api/v1/incidents/INC1/report", headers=h["bureau"])
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="incident-INC1-zh.pdf"'
    assert r.headers["cache-control"] == "no-store"
    assert r.content.startswith(b"%PDF-") and "INC1" in "\n".join(pdf_lines(r.content))

    r = client.get("/api/v1/incidents/INC1/report?lang=en&format=html", headers=h["supervisor"])
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="incident-INC1-en.html"'
    assert "Written incident report" in r.text and "2026-11-22 14:00:00 +08:00" in r.text
    assert "data:image/jpeg;base64," in r.text  # no media configured: the folder beside the db

    client.app.state.context.media = station.media_dir.parent / "empty"  # type: ignore[attr-defined]
    r = client.get("/api/v1/incidents/INC1/report?format=html", headers=h["supervisor"])
    assert "data:image/jpeg" not in r.text

    client.app.state.context.media = station.media_dir  # type: ignore[attr-defined]
    r = client.get("/api/v1/incidents/INC1/report?format=html", headers=h["supervisor"])
    assert "data:image/jpeg;base64," in r.text

    client.app.state.context.media = MediaStore(station.media_dir)  # type: ignore[attr-defined]
    r = client.get("/api/v1/incidents/INC1/report?format=html", headers=h["supervisor"])
    assert "data:image/jpeg;base64," in r.text

    client.app.state.context.site_timezones = {"s1": "Europe/London"}  # type: ignore[attr-defined]
    r = client.get("/api/v1/incidents/INC1/report?format=html", headers=h["admin"])
    assert "2026-11-22 06:00:00 +00:00" in r.text  # London is UTC in November


def test_incident_report_errors(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, h = api
    assert client.get("/api/v1/incidents/NOPE/report", headers=h["admin"]).status_code == 404
    bad = ("lang=fr", "format=docx", "tz=Mars/Base", "tz=../../etc/passwd", "tz=" + "x" * 300)
    for query in bad:
        r = client.get(f"/api/v1/incidents/INC1/report?{query}", headers=h["admin"])
        assert r.status_code == 422, query


def test_statistics_formats(
    station: Fixture, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, h = api
    r = client.get("/api/v1/reports/daily?site=s1&date=2026-11-22", headers=h["bureau"])
    got = r.json()
    want = daily_stats(station.db, "s1", date(2026, 11, 22))
    got.pop("generated_at"), want.pop("generated_at")
    assert got == want

    r = client.get("/api/v1/reports/daily?site=s1&date=2026-11-22&format=csv", headers=h["bureau"])
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="stats-s1-2026-11-22.csv"'
    rows = {tuple(x[:3]): x[3] for x in csv.reader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert rows["checks", "total", "count"] == "4"

    url = "/api/v1/reports/monthly?month=2026-11&format=xlsx"
    r = client.get(url, headers=h["supervisor"])
    assert r.headers["content-disposition"] == 'attachment; filename="stats-all-2026-11.xlsx"'
    wb = load_workbook(io.BytesIO(r.content))
    cells = {tuple(x[:3]): x[3] for x in wb["report"].iter_rows(values_only=True)}
    month = monthly_stats(station.db, None, 2026, 11)
    assert cells["checks", "total", "count"] == month["checks"]["total"] == 7


def test_statistics_bad_input(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, h = api
    for url in (
        "/api/v1/reports/daily?date=2026-13-01",
        "/api/v1/reports/daily",
        "/api/v1/reports/daily?date=0001-01-01",
        "/api/v1/reports/daily?date=2026-11-22&format=pdf",
        "/api/v1/reports/monthly?month=2026-13",
        "/api/v1/reports/monthly?month=9999-12",
        "/api/v1/reports/monthly?month=2026-11&tz=Nowhere",
    ):
        assert client.get(url, headers=h["admin"]).status_code == 422, url
