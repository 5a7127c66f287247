"""The listener seam, and invariants over random input sequences (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.alerts import (
    AlertChange,
    AlertsConfig,
    EngineState,
    NodeChange,
    SiteConfig,
    Tick,
    acknowledge,
    evaluate,
    resolve,
)
from gateway.alerts.feed import AlertFeed
from tests.alerts.helpers import (
    T0,
    check,
    check_of,
    crossing,
    event,
    manual,
    metal,
    people,
    t,
    tamper,
)

CHECK_IDS = ["01JCHECK000000000000000001", "01JCHECK000000000000000002"]


def test_feed_matches_ingest_listener_signatures() -> None:
    got: list[AlertChange] = []
    feed = AlertFeed(AlertsConfig(), got.extend)
    feed.on_node("s1", "n1", "online", "", t(0))
    feed.on_node("s1", "n1", "offline", "last will", t(1))
    feed.on_node("s1", "n1", "unknown-state", "", t(2))  # ignored, never crashes
    feed.on_event(check("fever_referral"), t(2))
    feed.tick(t(200))
    assert [(c.kind, c.alert.rule) for c in got] == [
        ("raised", "fever_referral"),
        ("raised", "node_offline"),
    ]


INPUTS = [
    lambda: check("fever_referral"),
    lambda: check("incomplete", device="desk2"),
    lambda: check_of(CHECK_IDS[1], "fever_referral"),  # one person's check, redelivered
    lambda: event("fault", {"state": "fault"}, device="therm"),
    lambda: event("fault", {"state": "ok"}, device="therm"),
    lambda: event("tamper", {"camera": "c1", "reason": "covered", "active": True}),
    lambda: event("tamper", {"camera": "c1", "reason": "covered", "active": False}),
    lambda: manual("injury", person="p"),
    lambda: metal(check_id=CHECK_IDS[0]),
    lambda: metal(check_id=CHECK_IDS[1]),
    lambda: check_of(CHECK_IDS[0]),
    lambda: people(2, expected=3),
    lambda: people(3, expected=3),
    lambda: people(1, camera="room-2"),
    lambda: crossing(night=True),
    lambda: crossing(),
    lambda: tamper("frozen", True),
    lambda: tamper("frozen", False),
    lambda: tamper("moved", True),
    lambda: NodeChange("s1", "n1", "offline"),
    lambda: NodeChange("s1", "n1", "online"),
    lambda: NodeChange("s1", "n2", "offline"),
    lambda: NodeChange("s1", "n2", "online"),
    lambda: Tick(),
]


CONFIG = AlertsConfig(
    sites={"s1": SiteConfig(night="22:00-06:00", roster={"room-2": 2}, roster_hours="09:00-11:00")}
)
ACK, RESOLVE = len(INPUTS), len(INPUTS) + 1  # a person acts on the oldest open alert


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(INPUTS) + 1), st.integers(0, 400)), max_size=50))
def test_invariants_over_random_sequences(steps: list[tuple[int, int]]) -> None:
    state, now = EngineState(), T0
    closed: set[str] = set()
    seen: dict[str, int] = {}
    for index, gap in steps:
        now += timedelta(seconds=gap)
        if index in (ACK, RESOLVE):
            if not state.alerts:
                continue
            oldest = min(state.alerts.values(), key=lambda a: a.changed_at).id
            act = acknowledge if index == ACK else resolve
            state, changes = act(state, oldest, now, "duty")
        else:
            state, changes = evaluate(state, INPUTS[index](), now, CONFIG)
        for c in changes:
            assert c.alert.id not in closed  # a closed alert never changes again
            if c.kind == "raised":
                assert c.alert.id not in seen  # ids are never reused
            else:
                assert c.alert.count >= seen.get(c.alert.id, 1)
            seen[c.alert.id] = c.alert.count
            if c.kind in ("resolved", "auto_cleared"):
                closed.add(c.alert.id)
            if c.incident is not None:
                assert c.kind == "raised" and c.incident.alert_id == c.alert.id
                assert c.incident.opened_at <= now
        # at most one open alert per key, every open alert is open and matches its key
        assert all(a.is_open for a in state.alerts.values())
        assert len({a.id for a in state.alerts.values()}) == len(state.alerts)
        assert all(k == (a.rule, a.site, a.node, a.subject) for k, a in state.alerts.items())
        assert all(a.first_at <= a.last_at <= now for a in state.alerts.values())
