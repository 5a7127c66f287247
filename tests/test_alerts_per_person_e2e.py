"""Two people in a row at the intake desk, through the real broker and gateway to a real webhook
receiver: two fevers are two alerts and two notifications delivered, two walk-pasts are two
alerts; the same check sent again only counts and notifies nobody (issue 12, finding 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devices.contract import codec
from tests.notify.support import WebhookReceiver
from tests.support.mosquitto import Broker
from tests.support.net import wait_for
from tests.support.stack import gateway, node_agent

pytestmark = pytest.mark.broker


def _check(outcome: str, check_id: str, **extra: Any) -> dict[str, Any]:
    now = codec.make_event(
        "manual", site="s1", node="desk-1", seq=1, data={"category": "other", "description": "x"}
    ).ts.isoformat()
    return {
        "check_id": check_id,
        "outcome": outcome,
        "started_at": now,
        "finished_at": now,
        **extra,
    }


def _raised(hook: WebhookReceiver) -> dict[str, dict[str, Any]]:
    """Alert id -> alert of every `raised` notification the receiver accepted."""
    docs = [json.loads(r.body) for r in hook.ok()]
    return {d["alert"]["id"]: d["alert"] for d in docs if d["event"] == "raised"}


def test_two_fevers_and_two_walk_pasts_are_four_alerts_each_notified(
    broker: Broker, tmp_path: Path
) -> None:
    hook = WebhookReceiver().start()
    notify = {"webhooks": [{"name": "desk-hook", "url": hook.url, "secret": "k" * 32}]}
    try:
        with gateway(broker, tmp_path / "gw.db", notify=notify) as (_gw, api):
            agent = node_agent(broker, "s1", "desk-1", tmp_path / "outbox.db")
            agent.start()
            try:
                a, b = codec.new_id(), codec.new_id()
                agent.emit("check", _check("fever_referral", a, celsius=38.4), device="thermo-1")
                agent.emit("check", _check("fever_referral", b, celsius=38.9), device="thermo-1")
                wait_for(lambda: len(_raised(hook)) == 2, 15, "two fever notifications")
                fevers = api.get("/api/v1/alerts", state="open")["items"]
                assert sorted(x["subject"] for x in fevers) == sorted([a, b])
                assert all(x["rule"] == "fever_referral" and x["count"] == 1 for x in fevers)
                assert set(_raised(hook)) == {x["id"] for x in fevers}
                for x in fevers:  # each delivery is on record against its own alert
                    deliveries = api.get(f"/api/v1/alerts/{x['id']}/deliveries")["items"]
                    to_hook = [(y["event"], y["ok"]) for y in deliveries if y["kind"] == "webhook"]
                    assert to_hook == [("raised", True)]

                c, d = codec.new_id(), codec.new_id()
                walk = {"incomplete_reason": "walked past the thermometer"}
                agent.emit("check", _check("incomplete", c, **walk), device="thermo-1")
                agent.emit("check", _check("incomplete", d, **walk), device="thermo-1")
                wait_for(lambda: len(_raised(hook)) == 4, 15, "two walk-past notifications")
                walks = [
                    x
                    for x in api.get("/api/v1/alerts", state="open")["items"]
                    if x["rule"] == "incomplete_check"
                ]
                assert sorted(x["subject"] for x in walks) == sorted([c, d])

                # the node sends A's check again (a redelivery): a count, not a new person
                agent.emit("check", _check("fever_referral", a, celsius=38.4), device="thermo-1")
                first = next(x for x in fevers if x["subject"] == a)
                wait_for(
                    lambda: api.get(f"/api/v1/alerts/{first['id']}")["count"] == 2,
                    15,
                    "the repeat counted on A's alert",
                )
                assert len(api.get("/api/v1/alerts", state="open")["items"]) == 4
                deliveries = api.get(f"/api/v1/alerts/{first['id']}/deliveries")["items"]
                hooked = [x["event"] for x in deliveries if x["channel"] == "desk-hook"]
                assert hooked == ["raised"]  # the repeat notified nobody
                assert len(_raised(hook)) == 4
            finally:
                agent.stop()
    finally:
        hook.stop()
