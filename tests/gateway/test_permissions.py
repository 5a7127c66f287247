"""Every route of `create_app` against the role policy (docs/access.md), over real HTTP.

For each route and each caller (anonymous, desk, supervisor, bureau, admin; each role both
with a dashboard session cookie and with a bearer token) the status must be:
- anonymous on a non-public route: 401;
- a role not in the route's set: 403;
- a role in the set (or anyone on a public route): neither 401 nor 403 (404/422/503 are fine:
  the request got past access control).

A route missing from POLICY fails the test with its name: add it with its roles. Format:
    "METHOD /path/as/declared": frozenset of roles  |  PUBLIC
Admin is listed explicitly. BODIES gives a JSON body for routes whose access depends on it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from gateway.auth.tokens import create_token
from gateway.live.relay import LiveRelay
from tests.security.auth_fixtures import PASSWORDS, make_site
from tests.support.net import free_port, wait_port

PUBLIC = "public"
ROLES = ("desk", "supervisor", "bureau", "admin")
ALL = frozenset(ROLES)
DESK_UP = frozenset({"desk", "supervisor", "admin"})
WATCH = frozenset({"supervisor", "admin"})
REPORTS = frozenset({"supervisor", "bureau", "admin"})
ADMIN = frozenset({"admin"})

POLICY: dict[str, frozenset[str] | str] = {
    # framework and operations
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /metrics": PUBLIC,  # counters only, no personal data; the API listens on localhost
    "GET /": PUBLIC,  # the dashboard shell; its data comes from the API below
    "GET /static/{path:path}": PUBLIC,
    # login
    "POST /auth/login": PUBLIC,
    "POST /auth/logout": PUBLIC,  # ends the caller's own session if there is one
    "GET /api/v1/me": ALL,
    "PATCH /api/v1/me": ALL,
    # records
    "GET /api/v1/events": REPORTS,  # and the desk with kind=<intake kind>: test_desk_events
    "GET /api/v1/checks": ALL,
    "GET /api/v1/checks/{check_id}": ALL,
    "GET /api/v1/nodes": ALL,
    "GET /api/v1/deadletters": ADMIN,
    # node commands (desk: only its check-station actions, see test_desk_command_actions)
    "POST /api/v1/nodes/{site}/{node}/commands": DESK_UP,
    "GET /api/v1/nodes/{site}/{node}/commands/{command_id}": DESK_UP,
    # live video and cameras: supervisors
    "GET /live/{site}/{node}/{camera}.mjpg": WATCH,
    "GET /live/sessions": WATCH,
    "GET /api/v1/cameras": WATCH,
    "GET /api/v1/cameras/{site}/{node}/{camera}/events": WATCH,
    "GET /api/v1/media/{event_id}/{n}": WATCH,
    "GET /api/v1/cameras/{site}/{node}/{camera}/layout": WATCH,
    "PUT /api/v1/cameras/{site}/{node}/{camera}/layout": ADMIN,
    # audit trail
    "GET /api/v1/audit": ADMIN,
    "GET /api/v1/audit.csv": ADMIN,
    # intake desk page
    "GET /api/v1/desk/active": DESK_UP,
    "GET /api/v1/desk/checks": DESK_UP,
    # live updates (filtered by role inside the stream)
    "GET /api/v1/stream": ALL,
    # alerts and incidents (docs/contracts.md)
    "GET /api/v1/alerts": ALL,
    "GET /api/v1/alerts/{alert_id}": ALL,
    "POST /api/v1/alerts/{alert_id}/ack": ALL,  # the bureau: incident alerts only
    "POST /api/v1/manual-reports": DESK_UP,  # staff reports (missing person, injury, …)
    "POST /api/v1/alerts/{alert_id}/resolve": DESK_UP,
    "POST /api/v1/alerts/{alert_id}/comment": DESK_UP,
    "POST /api/v1/alerts/{alert_id}/assign": DESK_UP,
    "GET /api/v1/incidents": REPORTS,
    "GET /api/v1/incidents/{incident_id}": REPORTS,
    "POST /api/v1/incidents/{incident_id}/phone-report": WATCH,
    "POST /api/v1/incidents/{incident_id}/written-report": WATCH,
    # notifications, reports
    "GET /api/v1/alerts/{alert_id}/deliveries": ALL,
    "GET /api/v1/incidents/{incident_id}/report": REPORTS,
    "GET /api/v1/reports/daily": REPORTS,
    "GET /api/v1/reports/monthly": REPORTS,
    # person files (docs/people.md): the desk opens and links, supervisors all, the bureau reads
    "GET /api/v1/people": ALL,
    "POST /api/v1/people": DESK_UP,
    "GET /api/v1/people/unlinked-checks": DESK_UP,
    "GET /api/v1/people/held-belongings": ALL,
    "GET /api/v1/people/rosters": ALL,
    "GET /api/v1/people/by-check/{check_id}": DESK_UP,
    "GET /api/v1/people/{person_id}": ALL,
    "PATCH /api/v1/people/{person_id}": DESK_UP,
    "GET /api/v1/people/{person_id}/status": ALL,
    "POST /api/v1/people/{person_id}/status": DESK_UP,
    "POST /api/v1/people/{person_id}/checks": DESK_UP,
    "GET /api/v1/people/{person_id}/timeline": ALL,
    "GET /api/v1/people/{person_id}/belongings": ALL,
    "POST /api/v1/people/{person_id}/belongings": DESK_UP,
    "POST /api/v1/people/{person_id}/belongings/{belonging_id}/release": DESK_UP,
    "GET /api/v1/people/{person_id}/placements": ALL,
    "POST /api/v1/people/{person_id}/placements": WATCH,
    "POST /api/v1/people/{person_id}/placements/end": WATCH,
    "GET /api/v1/people/{person_id}/images": ALL,
    "POST /api/v1/people/{person_id}/images": DESK_UP,
    "GET /api/v1/people/{person_id}/images/{image_id}": ALL,
    "GET /api/v1/people/{person_id}/export": WATCH,
    "POST /api/v1/people/{person_id}/erase": WATCH,
    "POST /api/v1/people/{person_id}/holds": WATCH,
    # family search, the wander-risk register, visits, missing-person incidents (docs/people.md)
    "GET /api/v1/family-search": ALL,
    "POST /api/v1/family-search": DESK_UP,
    "GET /api/v1/family-search/{case_id}": ALL,
    "POST /api/v1/family-search/{case_id}/steps": DESK_UP,
    "POST /api/v1/family-search/{case_id}/close": WATCH,
    "GET /api/v1/people/{person_id}/flags": ALL,
    "POST /api/v1/people/{person_id}/flags": DESK_UP,
    "POST /api/v1/people/{person_id}/flags/clear": WATCH,
    "GET /api/v1/wander-register": ALL,
    "GET /api/v1/visits": ALL,
    "POST /api/v1/people/{person_id}/visits": DESK_UP,
    "GET /api/v1/incidents/{incident_id}/people": ALL,
    "PUT /api/v1/incidents/{incident_id}/people": DESK_UP,
    "GET /api/v1/incidents/{incident_id}/people/{person_id}/portrait": ALL,
    "GET /api/v1/incidents/{incident_id}/people/{person_id}/notice": DESK_UP,
    "GET /api/v1/incidents/{incident_id}/missing": ALL,
    "PUT /api/v1/incidents/{incident_id}/missing": DESK_UP,
    "POST /api/v1/incidents/{incident_id}/actions": DESK_UP,
    # users and API tokens (docs/access.md): admins only
    "GET /api/v1/users": ADMIN,
    "POST /api/v1/users": ADMIN,
    "POST /api/v1/users/{username}/password": ADMIN,
    "POST /api/v1/users/{username}/disable": ADMIN,
    "POST /api/v1/users/{username}/enable": ADMIN,
    "PUT /api/v1/users/{username}/sites": ADMIN,
    "GET /api/v1/tokens": ADMIN,
    "POST /api/v1/tokens": ADMIN,
    "POST /api/v1/tokens/{name}/disable": ADMIN,
    # face search (docs/faces.md): the desk takes portraits, supervisors search and confirm
    "POST /api/v1/faces/portraits/{person_id}": DESK_UP,
    "GET /api/v1/faces/family-reports": WATCH,
    "POST /api/v1/faces/family-reports": WATCH,
    "POST /api/v1/faces/family-reports/{report_id}/photos": WATCH,
    "POST /api/v1/faces/family-reports/{report_id}/close": WATCH,
    "GET /api/v1/faces/family-reports/{report_id}/photo": WATCH,
    "GET /api/v1/faces/searches/{search_id}": WATCH,
    "GET /api/v1/faces/pending": WATCH,
    "POST /api/v1/faces/search": WATCH,
    "GET /api/v1/faces/searches/{search_id}/reviews": WATCH,
    "POST /api/v1/faces/searches/{search_id}/reviews": WATCH,
    "POST /api/v1/faces/searches/{search_id}/confirm": WATCH,
    "GET /api/v1/faces/stats": WATCH,
}

# Known gaps: expected policy differs from what the code does today. Each is asserted by a
# strict xfail below, so fixing the code makes that test fail until the entry is removed here.
KNOWN_GAPS: dict[str, str] = {}

BODIES: dict[str, Any] = {
    "POST /api/v1/manual-reports": {"site": "s1", "category": "other", "description": "test"},
    "POST /api/v1/nodes/{site}/{node}/commands": {"action": "wand_result", "args": {}},
    "PATCH /api/v1/me": {"lang": "zh-CN"},
    "POST /auth/login": {},
}
PARAMS = {"site": "s1", "node": "n1", "camera": "c1", "n": "0", "path": "x.js"}


def routes(app: FastAPI) -> list[tuple[str, str]]:
    found = set()
    for rc in iter_route_contexts(app.routes):
        path = getattr(rc, "path", None)
        for method in getattr(rc, "methods", None) or ():
            if path and method != "HEAD":
                found.add((method, path))
    # logout last: it ends the session the other requests use
    return sorted(found, key=lambda mp: (mp[1] == "/auth/logout", mp[1], mp[0]))


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS.get(m.group(1), "x1"), path)


@dataclass
class Server:
    app: FastAPI
    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    site = make_site(tmp_path_factory.mktemp("perm"))
    site.app.state.context.live_relay = LiveRelay(lambda *_: None)
    tokens = {role: create_token(site.db, f"{role}-token", role) for role in ROLES}
    port = free_port()
    config = uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_port(port)
    yield Server(site.app, f"http://127.0.0.1:{port}", tokens)
    srv.should_exit = True
    thread.join(10)


def call(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> int:
    key = f"{method} {path}"
    kwargs: dict[str, Any] = {"headers": headers}
    if key in BODIES:
        kwargs["json"] = BODIES[key]
    # streams (MJPEG, SSE) answer with their status, then we hang up
    with client.stream(method, concrete(path), **kwargs) as r:
        return r.status_code


def caller(server: Server, kind: str, role: str | None) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=server.url, timeout=10)
    if role is None:
        return client, {}
    if kind == "token":
        return client, {"Authorization": f"Bearer {server.tokens[role]}"}
    r = client.post("/auth/login", json={"username": f"{role}1", "password": PASSWORDS[role]})
    assert r.status_code == 200, r.text
    return client, {"X-CSRF-Token": r.json()["csrf_token"]}


def expected_ok(rule: frozenset[str] | str, role: str | None) -> bool:
    return rule == PUBLIC or (role is not None and role in rule)


def test_every_route_is_in_the_policy_table(server: Server) -> None:
    present = {f"{m} {p}" for m, p in routes(server.app)}
    missing = sorted(present - POLICY.keys())
    stale = sorted(POLICY.keys() - present)
    assert not missing, (
        "routes missing from POLICY in tests/gateway/test_permissions.py (add each with the "
        "roles that may call it, or PUBLIC):\n  " + "\n  ".join(missing)
    )
    assert not stale, "POLICY names routes that no longer exist:\n  " + "\n  ".join(stale)


CALLERS = [(None, "anonymous")] + [(r, k) for r in ROLES for k in ("session", "token")]


@pytest.mark.parametrize(("role", "kind"), CALLERS, ids=[f"{r}-{k}" for r, k in CALLERS])
def test_route_access(server: Server, kind: str, role: str | None) -> None:
    client, headers = caller(server, kind, role)
    wrong = []
    checked = 0
    for method, path in routes(server.app):
        key = f"{method} {path}"
        if key not in POLICY or key in KNOWN_GAPS:
            continue
        status = call(client, method, path, headers)
        checked += 1
        rule = POLICY[key]
        if expected_ok(rule, role):
            ok = status not in (401, 403)
        else:
            ok = status == (401 if role is None else 403)
        if not ok:
            wrong.append(f"{key}: {role or 'anonymous'} ({kind}) got {status}")
    client.close()
    assert checked >= len(POLICY) - len(KNOWN_GAPS) - 5  # routes of other modules may come and go
    assert not wrong, "access differs from POLICY:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("desk", "wand_result", True),
        ("desk", "outcome", True),
        ("desk", "core_temperature", True),
        ("desk", "release_gate", True),
        ("desk", "live_start", False),
        ("desk", "tamper_reset", False),
        ("desk", "reload", False),
        ("supervisor", "live_start", True),
        ("bureau", "wand_result", False),
        ("admin", "reload", True),
    ],
)
def test_desk_command_actions(server: Server, role: str, action: str, allowed: bool) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        r = client.post(
            "/api/v1/nodes/s1/n1/commands",
            json={"action": action, "args": {}},
            headers={"Authorization": f"Bearer {server.tokens[role]}"},
        )
    # no broker on this app: an allowed command gets as far as 503
    assert r.status_code == (503 if allowed else 403), r.text


@pytest.mark.parametrize(
    ("kind", "status"), [("check", 200), ("temperature", 200), ("motion", 403), ("door", 403)]
)
def test_desk_events(server: Server, kind: str, status: int) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        r = client.get(
            "/api/v1/events",
            params={"kind": kind},
            headers={"Authorization": f"Bearer {server.tokens['desk']}"},
        )
    assert r.status_code == status, r.text


def test_live_video_with_session_cookie(server: Server) -> None:
    """An <img src> sends only the cookie: supervisors get the stream, the desk and the bureau
    are refused, and nobody without a session gets in."""
    for role, expected in (("supervisor", 200), ("admin", 200), ("desk", 403), ("bureau", 403)):
        client, _ = caller(server, "session", role)
        with client.stream("GET", "/live/s1/n1/c1.mjpg") as r:
            assert r.status_code == expected, role
            if expected == 200:
                assert r.headers["content-type"].startswith("multipart/x-mixed-replace")
        client.close()
    with httpx.Client(base_url=server.url) as anon, anon.stream("GET", "/live/s1/n1/c1.mjpg") as r:
        assert r.status_code == 401


def test_site_scope(server: Server, tmp_path: Path) -> None:
    """A user limited to some sites is refused when naming another site."""
    from gateway.auth.users import create_user
    from gateway.store.db import connect

    db = connect(server.app.state.context.db_path)
    create_user(
        db,
        "scoped",
        "desk",
        "scoped-password-1",
        sites=["s2"],
        settings=server.app.state.context.auth,
    )
    with httpx.Client(base_url=server.url, timeout=10) as c:
        r = c.post("/auth/login", json={"username": "scoped", "password": "scoped-password-1"})
        assert r.json() | {"csrf_token": ""} == {
            "name": "scoped",
            "role": "desk",
            "csrf_token": "",
            "lang": "zh-CN",
        }
        assert c.get("/api/v1/me").json()["sites"] == ["s2"]
        assert c.get("/api/v1/checks", params={"site": "s1"}).status_code == 403
        assert c.get("/api/v1/checks", params={"site": "s2"}).status_code == 200
        assert c.get("/api/v1/nodes/s1/n1/commands/x").status_code == 403
        assert c.get("/api/v1/nodes/s2/n1/commands/x").status_code == 404
