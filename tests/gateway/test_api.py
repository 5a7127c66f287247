"""The API over a real SQLite file: auth, roles, filters, pagination, audit, metrics."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from devices.contract import codec, topics
from firmware_py.sim import simulated_check
from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.ingest.writer import Incoming, IngestWriter
from gateway.store.db import open_store


@pytest.fixture
def setup(tmp_path: Path) -> tuple[TestClient, dict[str, str], IngestWriter]:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    writer = IngestWriter(db)
    rng = random.Random(5)
    batch = []
    for i in range(1, 26):
        node = "desk-1" if i % 2 else "desk-2"
        env = codec.make_event("check", site="s1", node=node, seq=i, data=simulated_check(rng))
        batch.append(
            Incoming(topics.event("s1", node, "check"), codec.encode(env), datetime.now(UTC))
        )
    writer.store_batch(batch)
    tokens = {role: create_token(db, f"{role}-user", role) for role in ("desk", "admin")}
    client = TestClient(create_app(GatewayContext(db_path, metrics=writer.metrics)))
    return client, tokens, writer


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_api_route_needs_a_token(
    setup: tuple[TestClient, dict[str, str], IngestWriter],
) -> None:
    client, _, _ = setup
    for path in (
        "/api/v1/events",
        "/api/v1/checks",
        "/api/v1/nodes",
        "/api/v1/deadletters",
        "/api/v1/checks/x",
    ):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=_h("sk_wrong")).status_code == 401, path
    assert client.get("/healthz").status_code == 200


def test_deadletters_are_admin_only(setup: tuple[TestClient, dict[str, str], IngestWriter]) -> None:
    client, tokens, _ = setup
    assert client.get("/api/v1/deadletters", headers=_h(tokens["desk"])).status_code == 403
    assert client.get("/api/v1/deadletters", headers=_h(tokens["admin"])).status_code == 200


def test_pagination_walks_every_row_once(
    setup: tuple[TestClient, dict[str, str], IngestWriter],
) -> None:
    client, tokens, _ = setup
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/checks", params=params, headers=_h(tokens["desk"])).json()
        seen += [c["check_id"] for c in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 25


def test_filters(setup: tuple[TestClient, dict[str, str], IngestWriter]) -> None:
    client, tokens, _ = setup
    h = _h(tokens["desk"])
    page = client.get("/api/v1/checks", params={"node": "desk-2", "limit": 100}, headers=h).json()
    assert len(page["items"]) == 12 and {c["node"] for c in page["items"]} == {"desk-2"}
    fevers = client.get("/api/v1/checks", params={"outcome": "fever_referral"}, headers=h).json()
    assert all(c["outcome"] == "fever_referral" for c in fevers["items"])
    future = client.get(
        "/api/v1/events", params={"kind": "check", "since": "2099-01-01T00:00:00Z"}, headers=h
    )
    assert future.json()["items"] == []
    naive = client.get(
        "/api/v1/events", params={"kind": "check", "since": "2026-01-01T00:00:00"}, headers=h
    )
    assert naive.status_code == 422
    one = page["items"][0]
    got = client.get(f"/api/v1/checks/{one['check_id']}", headers=h).json()
    assert got["event_id"] == one["event_id"]
    assert client.get("/api/v1/checks/nope", headers=h).status_code == 404


def test_reads_are_audited_and_metrics_exposed(
    setup: tuple[TestClient, dict[str, str], IngestWriter], tmp_path: Path
) -> None:
    client, tokens, _ = setup
    client.get("/api/v1/checks", params={"node": "desk-1"}, headers=_h(tokens["desk"]))
    db = open_store(tmp_path / "gw.db")
    rows = db.execute("SELECT actor, action, target, detail FROM audit").fetchall()
    assert ("desk-user", "GET", "/api/v1/checks", "node=desk-1") in rows
    text = client.get("/metrics").text
    assert 'stationkit_events_ingested_total{kind="check"} 25.0' in text
