"""The API's one typed context (gateway/api/context.py): routes never look services up on
`app.state` by name, and an API served alone still works with the context's defaults."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.store.db import open_store
from gateway.updates import Updates

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
OWNERS = {GATEWAY / "api" / "app.py", GATEWAY / "api" / "context.py"}


def _state_reads(path: Path) -> list[int]:
    """Lines of `path` that touch `<something>.app.state.<name>` or `getattr(….state, …)`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "state":
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr == "app":
                found.append(node.lineno)
    return found


def test_only_the_app_and_the_context_touch_app_state() -> None:
    offenders = {
        str(p.relative_to(GATEWAY)): lines
        for p in GATEWAY.rglob("*.py")
        if p not in OWNERS and "hub" not in p.parts and (lines := _state_reads(p))
    }
    assert offenders == {}, "use gateway.api.context (Ctx, context_of) instead"


def test_an_api_served_alone_stores_a_staff_report_and_raises_its_alert(tmp_path: Path) -> None:
    """No gateway service around it: the context builds the passive alert service and the
    event writer itself, and the report reaches the store, the alert and the stream."""
    db_path = tmp_path / "gw.db"
    token = create_token(open_store(db_path), "desk-a", "desk")
    heard: list[str] = []

    class Heard(Updates):
        def publish(self, topic: str, data: Any) -> None:
            heard.append(topic)
            super().publish(topic, data)

    ctx = GatewayContext(db_path, updates=Heard())
    client = TestClient(create_app(ctx))
    r = client.post(
        "/api/v1/manual-reports",
        json={"site": "s1", "category": "violence", "description": "a fight in the yard"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["alert"]["rule"] == "violence" and r.json()["incident"] is not None
    assert ctx.alerts is not None and ctx.ingest is not None
    assert "event" in heard and "alert" in heard
