"""An alert end to end: a node's fever check crosses the real broker, the gateway raises the
alert, a real webhook receiver gets it signed, the desk acknowledges it over the API, and a
staff report of a missing person opens an incident with its deadlines."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from devices.contract import codec
from gateway.notify.channels import verify
from tests.notify.support import WebhookReceiver
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, make_token, node_agent

pytestmark = pytest.mark.broker

SECRET = "k" * 32


def test_fever_to_webhook_ack_over_the_api_and_an_incident(broker: Broker, tmp_path: Path) -> None:
    hook = WebhookReceiver().start()
    notify = {"webhooks": [{"name": "bureau", "url": hook.url, "secret": SECRET}]}
    try:
        with gateway(broker, tmp_path / "gw.db", notify=notify) as (gw, api):
            agent = node_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
            agent.start()
            try:
                now = codec.make_event(
                    "manual",
                    site="s1",
                    node="desk-1",
                    seq=1,
                    data={"category": "other", "description": "x"},
                ).ts.isoformat()
                check = {
                    "check_id": codec.new_id(),
                    "outcome": "fever_referral",
                    "started_at": now,
                    "finished_at": now,
                    "celsius": 38.4,
                }
                agent.emit("check", check, device="thermo-1")
                wait_for(lambda: hook.ok(), 10, "webhook delivery")
                got = hook.ok()[0]
                signature = got.headers["X-StationKit-Signature"]
                assert verify(SECRET.encode(), got.body, signature)
                doc = json.loads(got.body)
                assert doc["event"] == "raised" and doc["alert"]["rule"] == "fever_referral"
                alert_id = doc["alert"]["id"]

                (listed,) = api.get("/api/v1/alerts")["items"]
                assert listed["id"] == alert_id and listed["state"] == "active"
                desk = make_token(gw, "desk-a", "desk")
                bureau = make_token(gw, "bureau-1", "bureau")
                with httpx.Client(base_url=api.base, timeout=10) as c:
                    r = c.post(
                        f"/api/v1/alerts/{alert_id}/ack",
                        headers={"Authorization": f"Bearer {bureau}"},
                    )
                    assert r.status_code == 403, "the bureau acknowledges incident alerts only"
                    r = c.post(
                        f"/api/v1/alerts/{alert_id}/ack",
                        headers={"Authorization": f"Bearer {desk}"},
                    )
                    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
                    assert r.json()["changed_by"] == "desk-a"
                detail = api.get(f"/api/v1/alerts/{alert_id}")
                assert [h["action"] for h in detail["history"]] == ["raised", "acknowledged"]
                deliveries = api.get(f"/api/v1/alerts/{alert_id}/deliveries")["items"]
                assert any(d["ok"] and d["event"] == "raised" for d in deliveries)

                # staff reports come from the dashboard's route; a node may not send them
                r = httpx.post(
                    f"{api.base}/api/v1/manual-reports",
                    headers={"Authorization": f"Bearer {desk}"},
                    json={
                        "site": "s1",
                        "category": "missing_person",
                        "description": "Mr Li not at roll call",
                    },
                )
                assert r.status_code == 201, r.text
                wait_for(lambda: api.get("/api/v1/incidents")["items"], 10, "incident opened")
                (incident,) = api.get("/api/v1/incidents")["items"]
                assert incident["category"] == "missing_person"
                assert incident["overdue"] == []
                full = api.get(f"/api/v1/incidents/{incident['id']}")
                assert full["alert"]["rule"] == "missing_person"
                assert [t["action"] for t in full["timeline"]][:2] == ["raised", "opened"]
                r = httpx.post(
                    f"{api.base}/api/v1/alerts/{incident['alert_id']}/ack",
                    headers={"Authorization": f"Bearer {bureau}"},
                )
                assert r.status_code == 200, "the bureau acknowledges incident alerts"
                assert r.json()["changed_by"] == "bureau-1"
                r = api.client.post(
                    f"/api/v1/incidents/{incident['id']}/phone-report",
                    json={"reported_to": "bureau duty officer", "note": "called"},
                )
                assert r.status_code == 200 and r.json()["phone_reported_at"]
            finally:
                agent.stop()
    finally:
        hook.stop()
