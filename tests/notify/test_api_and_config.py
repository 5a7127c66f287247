"""GET /api/v1/alerts/{id}/deliveries over a real database; the [notify] config rules and the
example in docs/notifications.md; a Notification built from the engine's AlertChange."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gateway.alerts.models import AlertChange, open_incident
from gateway.api.app import create_app
from gateway.auth.tokens import create_token
from gateway.notify import Notification, Notifier, NotifyConfig, from_change
from gateway.store.db import open_store
from tests.alerts.helpers import stored_alert
from tests.notify.support import FakeClock, WebhookReceiver, alert_dict
from tests.support.mosquitto import ROOT

DOC = ROOT / "docs" / "notifications.md"


def test_deliveries_api_lists_every_attempt_for_the_alert(tmp_path: Path) -> None:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    receiver = WebhookReceiver(fail_first=1).start()
    url = receiver.url  # has ?token=s3cret: never shown to API readers
    cfg = NotifyConfig.model_validate(
        {
            "webhooks": [{"name": "bureau", "url": url, "secret": "k"}],
            "mqtt": {"enabled": False},
            "retry": {"base_s": 5},
        }
    )
    clock = FakeClock()
    notifier = Notifier(cfg, db_path, clock=clock)
    alert = alert_dict()
    other = alert_dict()
    with db.atomic():
        db.conn.execute(
            "INSERT INTO alerts (id, rule, severity, site, first_at, last_at, count, state) "
            "VALUES (?, 'night_exit', 'minor', 's1', ?, ?, 1, 'active')",
            ("01KNOWNALERT00000000000000", alert["first_at"], alert["first_at"]),
        )
        notifier.enqueue(db, Notification(event="raised", level="bureau_duty", alert=alert))
        notifier.enqueue(db, Notification(event="raised", level="bureau_duty", alert=other))
    try:
        notifier.deliver_due(clock.now)  # alert: 500; other: 200
        notifier.deliver_due(clock.advance(5))  # alert: 200
    finally:
        receiver.stop()
    tokens = {r: create_token(db, f"{r}-user", r) for r in ("desk", "supervisor", "bureau")}
    client = TestClient(create_app(db_path))
    path = f"/api/v1/alerts/{alert['id']}/deliveries"

    assert client.get(path).status_code == 401
    for role, token in tokens.items():
        resp = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, role
    body = resp.json()
    items = body["items"]
    assert [(i["attempt"], i["ok"], i["status"]) for i in items] == [
        (1, False, "500"),
        (2, True, "200"),
    ]
    assert {i["channel"] for i in items} == {"bureau"}
    assert items[0]["error"] == "HTTP 500" and items[0]["at"] < items[1]["at"]
    assert "token" not in resp.text and "s3cret" not in resp.text
    assert items[0]["target"] == f"http://127.0.0.1:{receiver.port}/hook"
    (row,) = body["outbox"]
    assert row["state"] == "delivered" and row["attempts"] == 2 and row["next_attempt_at"] is None

    h = {"Authorization": f"Bearer {tokens['desk']}"}
    known = client.get("/api/v1/alerts/01KNOWNALERT00000000000000/deliveries", headers=h)
    assert known.status_code == 200 and known.json() == {"items": [], "outbox": []}
    assert client.get("/api/v1/alerts/nope/deliveries", headers=h).status_code == 404


def base(**over: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "webhooks": [{"name": "bureau", "url": "https://b.example/h", "secret": "k"}],
        "smtp": {"host": "mail", "from": "gw@s.example", "to": {"bureau_duty": ["d@b.example"]}},
        "levels": {"bureau_duty": ["bureau"]},
    }
    raw.update(over)
    return raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"levels": {"desk": ["pager"]}}, "unknown channel 'pager'"),
        ({"levels": {"desk": ["email"]}}, "no recipients for level 'desk'"),
        (
            {
                "webhooks": [
                    {"name": "a", "url": "https://a/", "secret": "k", "fallback": "b"},
                    {"name": "b", "url": "https://b/", "secret": "k", "fallback": "a"},
                ],
                "levels": {},
            },
            "fallback loop",
        ),
        ({"webhooks": [{"name": "x", "url": "https://x/"}]}, "exactly one of secret"),
        ({"webhooks": [{"name": "email", "url": "https://x/", "secret": "k"}]}, "reserved"),
        ({"retry": {"base_s": 1, "jitter": 2}}, "Extra inputs are not permitted"),
        ({"mqtt": {"enabled": True, "fallback": "fax"}}, "fallback of 'mqtt' is unknown"),
    ],
)
def test_config_refuses_what_would_lose_or_loop_notifications(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        NotifyConfig.model_validate(base(**change))


def test_unknown_level_gets_every_channel_and_every_recipient() -> None:
    cfg = NotifyConfig.model_validate(base())
    assert cfg.channels_for("bureau_duty") == ["bureau"]
    assert cfg.channels_for("no-such-level") == ["bureau", "email", "mqtt"]
    assert cfg.smtp is not None and cfg.smtp.recipients("no-such-level") == ["d@b.example"]
    assert cfg.retry.delay_s(1) == 2 and cfg.retry.delay_s(3) == 8 and cfg.retry.delay_s(30) == 300


def test_the_documented_example_config_is_valid(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    assert blocks, "docs/notifications.md has a TOML example"
    parsed = tomllib.loads(blocks[0])
    cfg = NotifyConfig.model_validate(parsed["notify"])
    assert cfg.channel_names() == ["bureau", "duty-app", "email", "mqtt"]
    assert cfg.fallback_of("bureau") == "email"


def test_notification_from_an_engine_alert_change(tmp_path: Path) -> None:
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    alert = stored_alert(
        "missing_person", "critical", at, id="01ALERT0000000000000000000", node="desk-1"
    )
    incident = open_incident("01INCIDENT0000000000000000", alert, "missing_person", at)
    n = from_change(AlertChange("raised", alert, incident), "bureau_duty", assignee=None)
    assert n.event == "raised" and n.alert_id == alert.id and n.site == "s1"
    assert n.alert["incident_id"] == incident.id and n.alert["first_at"] == "2026-11-23T08:00:00Z"
    assert n.incident is not None and n.incident["phone_due"] == "2026-11-23T08:30:00Z"
    db = open_store(tmp_path / "gw.db")
    cfg = NotifyConfig.model_validate(base())
    with db.atomic():
        ids = Notifier(cfg, tmp_path / "gw.db").enqueue(db, n)
    row = db.execute("SELECT incident_id, alert_id FROM notify_outbox WHERE id=?", ids).fetchone()
    assert row == (incident.id, alert.id)
