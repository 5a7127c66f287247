"""restore_state: the engine after a gateway restart, rebuilt from the open alerts."""

from __future__ import annotations

from gateway.alerts import (
    AlertsConfig,
    EngineState,
    NodeChange,
    RuleConfig,
    Tick,
    acknowledge,
    restore_state,
)
from tests.alerts.helpers import Engine, check, check_of, event, manual, people, t, tamper

H = 3600.0
CHECK = "01JCHECK0000000000000000AA"


def restarted(
    eng: Engine, at: float, nodes: list[tuple[str, str, str, float]] | None = None
) -> Engine:
    """A new engine built only from what the database would hold: open alerts and incidents."""
    new = Engine(eng.config)
    rows = [(s, n, st, t(since)) for s, n, st, since in nodes or []]
    new.state = restore_state(
        list(eng.state.alerts.values()), list(eng.state.incidents.values()), t(at), nodes=rows
    )
    return new


def test_repeats_count_on_the_same_alert_and_acknowledgement_is_kept() -> None:
    eng = Engine()
    a = eng.at(0, check_of(CHECK, "fever_referral"))[0].alert
    eng.state, _ = acknowledge(eng.state, a.id, t(5), by="desk-a")
    new = restarted(eng, 100)
    (c,) = new.at(100, check_of(CHECK, "fever_referral"))  # the same check, redelivered
    assert (c.kind, c.alert.id, c.alert.count, c.alert.state) == (
        "repeated",
        a.id,
        2,
        "acknowledged",
    )


def test_instantaneous_auto_clear_resumes_from_last_at() -> None:
    eng = Engine()
    a = eng.at(0, check("items_held"))[0].alert
    new = restarted(eng, 600)
    assert new.at(H - 0.001, Tick()) == []
    assert [(c.kind, c.alert.id) for c in new.at(H, Tick())] == [("auto_cleared", a.id)]


def test_stateful_alert_stays_raised_until_recovery_is_reported() -> None:
    eng = Engine()
    eng.at(0, event("fault", {"state": "fault"}, device="therm"))
    a = eng.at(30, Tick())[0].alert
    new = restarted(eng, 100)
    assert new.at(10 * H, Tick()) == []  # no news is not recovery
    (again,) = new.at(10 * H, event("fault", {"state": "fault"}, device="therm"))
    assert (again.kind, again.alert.id) == ("repeated", a.id)
    new.at(10 * H + 1, event("fault", {"state": "ok"}, device="therm"))
    cleared = new.at(10 * H + 61, Tick())
    assert [(c.kind, c.alert.id, c.alert.device) for c in cleared] == [
        ("auto_cleared", a.id, "therm")
    ]


def test_tamper_restored_clears_on_the_clear_of_any_reason() -> None:
    eng = Engine()
    eng.at(0, tamper("covered", True))
    a = eng.at(10, Tick())[0].alert
    new = restarted(eng, 20)
    new.at(30, tamper("covered", False))
    assert [(c.kind, c.alert.id) for c in new.at(90, Tick())] == [("auto_cleared", a.id)]


def test_head_count_restored_recovers_and_keeps_its_incident() -> None:
    eng = Engine()
    eng.at(0, people(2, expected=3))
    raised = eng.at(600, Tick())[0]
    new = restarted(eng, 700)
    assert new.state.incidents == eng.state.incidents
    (rep,) = new.at(800, people(2, expected=3))
    assert (rep.kind, rep.alert.id, rep.incident) == ("repeated", raised.alert.id, None)
    new.at(900, people(3, expected=3))
    assert [c.kind for c in new.at(1020, Tick())] == ["auto_cleared"]


def test_manual_repeat_after_restart_opens_no_second_incident() -> None:
    eng = Engine()
    eng.at(0, manual("missing_person", person="p-1"))
    new = restarted(eng, 60)
    (c,) = new.at(120, manual("missing_person", person="p-1"))
    assert c.kind == "repeated" and c.incident is None and len(new.state.incidents) == 1


def test_closed_alerts_are_ignored() -> None:
    eng = Engine()
    a = eng.at(0, check("fever_referral"))[0].alert
    closed = a.model_copy(update={"state": "resolved"})
    state = restore_state([closed], [], t(10))
    assert state.alerts == {}
    assert restore_state([], [], t(0)).alerts == EngineState().alerts


def test_duplicate_keys_keep_the_latest_alert() -> None:
    eng = Engine()
    a = eng.at(0, check("fever_referral"))[0].alert
    b = a.model_copy(update={"id": "01JZZZZZZZZZZZZZZZZZZZZZZZ", "changed_at": t(50)})
    state = restore_state([b, a], [], t(100))
    assert [x.id for x in state.alerts.values()] == [b.id]


NODES = AlertsConfig(
    rules={
        "node_offline": RuleConfig(debounce_s=60, auto_clear_s=60),
        "site_link": RuleConfig(severity="critical", debounce_s=10, auto_clear_s=60),
    },
    site_link_window_s=30,
)


def test_node_offline_restored_clears_when_the_node_comes_back() -> None:
    eng = Engine(NODES)
    eng.at(0, NodeChange("s1", "n1", "offline"))
    a = eng.at(60, Tick())[0].alert
    new = restarted(eng, 100)  # no node table given
    assert new.at(H, Tick()) == []
    new.at(H, NodeChange("s1", "n1", "online"))
    assert [(c.kind, c.alert.id) for c in new.at(H + 60, Tick())] == [("auto_cleared", a.id)]


def test_node_table_showing_the_node_online_starts_the_auto_clear() -> None:
    eng = Engine(NODES)
    eng.at(0, NodeChange("s1", "n1", "offline"))
    a = eng.at(60, Tick())[0].alert
    # the node came back while the gateway was down: the node table already says online
    new = restarted(eng, 500, nodes=[("s1", "n1", "online", 400)])
    assert new.at(559.999, Tick()) == []
    assert [(c.kind, c.alert.id) for c in new.at(560, Tick())] == [("auto_cleared", a.id)]


def test_site_link_restored_with_the_node_table_raises_no_storm() -> None:
    eng = Engine(NODES)
    for n in ("n1", "n2", "n3"):
        eng.at(0, NodeChange("s1", n, "online"))
    for n in ("n1", "n2", "n3"):
        eng.at(10, NodeChange("s1", n, "offline"))
    link = eng.at(20, Tick())[0].alert
    table = [("s1", n, "offline", 10.0) for n in ("n1", "n2", "n3")]
    new = restarted(eng, 100, nodes=table)
    assert new.at(5 * H, Tick()) == []  # still one site_link alert, no node alerts
    changes = new.at(5 * H, NodeChange("s1", "n1", "online"))
    assert [c.alert.node for c in changes if c.kind == "raised"] == ["n2", "n3"]
    assert [(c.kind, c.alert.id) for c in new.at(5 * H + 60, Tick())] == [("auto_cleared", link.id)]


def test_restart_then_same_inputs_give_the_same_alerts_as_no_restart() -> None:
    """For raised alerts, a restart in the middle changes nothing visible afterwards."""
    before = [
        (0, check_of(CHECK, "fever_referral")),
        (1, event("camera", {"camera": "c1", "state": "offline"})),
        (2, manual("injury", person="p")),
        (100, Tick()),
    ]
    after = [
        (200, check_of(CHECK, "fever_referral")),
        (210, event("camera", {"camera": "c1", "state": "offline"})),
        (220, event("camera", {"camera": "c1", "state": "online"})),
        (300, Tick()),
        (4000, Tick()),
    ]
    plain = Engine()
    for at, item in before:
        plain.at(at, item)
    new = restarted(plain, 150)
    got_plain, got_new = [], []
    for at, item in after:
        got_plain += [(c.kind, c.alert.id, c.alert.count) for c in plain.at(at, item)]
        got_new += [(c.kind, c.alert.id, c.alert.count) for c in new.at(at, item)]
    assert got_new == got_plain and len(got_plain) == 4


def test_node_offline_shortly_before_the_restart_is_still_raised() -> None:
    state = restore_state([], [], t(100), nodes=[("s1", "n1", "offline", t(90))], config=NODES)
    new = Engine(NODES)
    new.state = state
    assert new.at(149.999, Tick()) == []
    assert [(c.kind, c.alert.node, c.alert.first_at) for c in new.at(150, Tick())] == [
        ("raised", "n1", t(90))
    ]


def test_node_long_offline_without_open_alert_was_resolved_and_stays_quiet() -> None:
    rows = [("s1", "n1", "offline", t(0)), ("s1", "n2", "online", t(0))]
    new = Engine(NODES)
    new.state = restore_state([], [], t(H), nodes=rows, config=NODES)
    assert new.at(2 * H, Tick()) == []  # a person resolved it before the restart
    new.at(2 * H, NodeChange("s1", "n1", "online"))
    new.at(3 * H, NodeChange("s1", "n1", "offline"))
    assert [c.alert.node for c in new.at(3 * H + 90, Tick())] == ["n1"]
