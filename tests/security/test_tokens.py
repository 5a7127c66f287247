"""API tokens: list, disable, expiry and site scope, from the CLI to the API (issue 13: tokens
could not be listed, disabled, limited in time or scoped to sites)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.auth.tokens import TokenError, create_token, verify_token
from gateway.commands.gateway import parse_expiry
from tests.security.auth_fixtures import make_site
from tests.security.test_site_scope import _seed


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firmware_py.cli", "token", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow  # CLI subprocesses
def test_the_cli_creates_lists_and_disables_tokens_and_the_api_obeys(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    db = str(site.db_path)
    made = _cli(
        "create", "--db", db, "--name", "ci", "--role", "bureau", "--expires", "30d", "--site", "s1"
    )
    assert made.returncode == 0, made.stdout + made.stderr
    token = made.stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    client = site.client()
    assert client.get("/api/v1/me", headers=auth).json()["sites"] == ["s1"]

    listed = _cli("list", "--db", db)
    assert listed.returncode == 0
    (line,) = [ln for ln in listed.stdout.splitlines() if ln.startswith("ci ")]
    assert "bureau" in line and "active" in line and " s1 " in line
    assert token not in listed.stdout  # shown once, never again

    assert _cli("disable", "--db", db, "--name", "ci").returncode == 0
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert "disabled" in _cli("list", "--db", db).stdout
    assert _cli("enable", "--db", db, "--name", "ci").returncode == 0
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    missing = _cli("disable", "--db", db, "--name", "nobody")
    assert missing.returncode == 1 and "token list" in missing.stdout


def test_an_expired_token_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    soon = site.clock.now + timedelta(hours=1)
    token = create_token(site.db, "temp", "admin", expires_at=soon)
    client = site.client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    site.clock.advance(hours=1)
    r = client.get("/api/v1/me", headers=auth)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_a_site_scoped_token_sees_its_sites_only(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    _seed(site.db)
    token = create_token(site.db, "s1-only", "supervisor", sites=["s1"])
    client = site.client()
    auth = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/nodes", "/api/v1/checks", "/api/v1/alerts"):
        items = client.get(path, headers=auth).json()["items"]
        assert {i["site"] for i in items} == {"s1"}, path
    assert client.get("/api/v1/checks", params={"site": "s2"}, headers=auth).status_code == 403
    assert client.get("/api/v1/checks/c-s2", headers=auth).status_code == 404


@pytest.mark.slow  # a CLI subprocess
def test_bad_token_requests_are_refused_with_a_reason(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    with pytest.raises(TokenError, match="site slugs"):
        create_token(site.db, "x", "admin", sites=["S1; DROP"])
    with pytest.raises(TokenError, match="role"):
        create_token(site.db, "x", "root")
    assert verify_token(site.db, "not-a-token") is None
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_expiry("90d", now) == now + timedelta(days=90)
    assert parse_expiry("2027-03-31") == datetime(2027, 3, 31, tzinfo=UTC)
    past = _cli(
        "create",
        "--db",
        str(site.db_path),
        "--name",
        "old",
        "--role",
        "admin",
        "--expires",
        "2020-01-01",
    )
    assert past.returncode == 2 and "past" in past.stdout
