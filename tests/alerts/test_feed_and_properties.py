"""The listener seam, and invariants over random input sequences (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.alerts import AlertChange, AlertsConfig, EngineState, NodeChange, Tick, evaluate
from gateway.alerts.feed import AlertFeed
from tests.alerts.helpers import T0, check, event, manual, t


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
    lambda: event("fault", {"state": "fault"}, device="therm"),
    lambda: event("fault", {"state": "ok"}, device="therm"),
    lambda: event("tamper", {"camera": "c1", "reason": "covered", "active": True}),
    lambda: event("tamper", {"camera": "c1", "reason": "covered", "active": False}),
    lambda: manual("injury", person="p"),
    lambda: NodeChange("s1", "n1", "offline"),
    lambda: NodeChange("s1", "n1", "online"),
    lambda: NodeChange("s1", "n2", "offline"),
    lambda: NodeChange("s1", "n2", "online"),
    lambda: Tick(),
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(INPUTS) - 1), st.integers(0, 120)), max_size=40))
def test_invariants_over_random_sequences(steps: list[tuple[int, int]]) -> None:
    state, now = EngineState(), T0
    closed: set[str] = set()
    seen: dict[str, int] = {}
    for index, gap in steps:
        now += timedelta(seconds=gap)
        state, changes = evaluate(state, INPUTS[index](), now, AlertsConfig())
        for c in changes:
            assert c.alert.id not in closed  # a closed alert never changes again
            if c.kind == "raised":
                assert c.alert.id not in seen  # ids are never reused
            else:
                assert c.alert.count >= seen.get(c.alert.id, 1)
            seen[c.alert.id] = c.alert.count
            if c.kind in ("resolved", "auto_cleared"):
                closed.add(c.alert.id)
        # at most one open alert per key, and every open alert is open
        assert all(a.is_open for a in state.alerts.values())
        assert len({a.id for a in state.alerts.values()}) == len(state.alerts)
