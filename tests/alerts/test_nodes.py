"""Node offline: one alert per node, debounced; one site_link alert when a whole site drops."""

from __future__ import annotations

from gateway.alerts import AlertsConfig, NodeChange, RuleConfig, Tick
from tests.alerts.helpers import Engine, check

CFG = AlertsConfig(
    rules={
        "node_offline": RuleConfig(debounce_s=60, auto_clear_s=0),
        "site_link": RuleConfig(severity="critical", debounce_s=10, auto_clear_s=0),
    },
    site_link_window_s=30,
)


def off(node: str, site: str = "s1") -> NodeChange:
    return NodeChange(site, node, "offline", "heartbeat expired")


def on(node: str, site: str = "s1") -> NodeChange:
    return NodeChange(site, node, "online")


def test_single_node_site_offline_after_debounce_and_clears_on_online() -> None:
    eng = Engine(CFG)
    eng.at(0, on("n1"))
    assert eng.at(0, off("n1")) == []
    assert eng.at(59, Tick()) == []
    raised = eng.at(60, Tick())
    assert [(c.kind, c.alert.rule, c.alert.node) for c in raised] == [
        ("raised", "node_offline", "n1")
    ]
    cleared = eng.at(70, on("n1"))
    assert [(c.kind, c.alert.id) for c in cleared] == [("auto_cleared", raised[0].alert.id)]


def test_node_blip_shorter_than_debounce_raises_nothing() -> None:
    eng = Engine(CFG)
    eng.at(0, on("n1"))
    eng.at(1, off("n1"))
    eng.at(30, on("n1"))
    assert eng.at(500, Tick()) == [] and eng.changes == []


def test_one_node_of_many_offline_gets_its_own_alert() -> None:
    eng = Engine(CFG)
    for n in ("n1", "n2", "n3"):
        eng.at(0, on(n))
    eng.at(0, off("n2"))
    assert eng.at(60, Tick())[0].alert.node == "n2"
    assert [a.rule for a in eng.open_alerts()] == ["node_offline"]


def test_nodes_seen_only_through_events_count_for_the_site() -> None:
    eng = Engine(CFG)
    eng.at(0, check("cleared", node="n1"))
    eng.at(0, check("cleared", node="n2"))
    eng.at(0, off("n1"))
    eng.at(100, Tick())
    assert [(a.rule, a.node) for a in eng.open_alerts()] == [("node_offline", "n1")]


def test_whole_site_down_within_window_is_one_site_link_alert() -> None:
    eng = Engine(CFG)
    nodes = [f"n{i}" for i in range(5)]
    for n in nodes:
        eng.at(0, on(n))
    for i, n in enumerate(nodes):
        eng.at(100 + i * 5, off(n))  # all five within 20 s < 30 s window
    assert eng.at(129, Tick()) == []  # last node offline at 120 + 10 s debounce
    raised = eng.at(130, Tick())
    assert [(c.kind, c.alert.rule, c.alert.site, c.alert.node) for c in raised] == [
        ("raised", "site_link", "s1", None)
    ]
    eng.at(3600, Tick())  # long after every node debounce: still no node storm
    assert [a.rule for a in eng.open_alerts()] == ["site_link"]
    assert eng.kinds("node_offline") == []


def test_site_link_back_clears_and_nodes_still_down_get_their_own_alert() -> None:
    eng = Engine(CFG)
    for n in ("n1", "n2", "n3"):
        eng.at(0, on(n))
    for n in ("n1", "n2", "n3"):
        eng.at(10, off(n))
    link = eng.at(20, Tick())[0].alert
    changes = eng.at(500, on("n1"))  # link restored; n2, n3 stay down
    assert ("auto_cleared", link.id) in [(c.kind, c.alert.id) for c in changes]
    assert sorted(c.alert.node or "" for c in changes if c.kind == "raised") == ["n2", "n3"]


def test_staggered_outage_beyond_window_is_per_node() -> None:
    eng = Engine(CFG)
    eng.at(0, on("n1"))
    eng.at(0, on("n2"))
    eng.at(0, off("n1"))
    eng.at(100, off("n2"))  # 100 s later: not a link drop
    eng.at(1000, Tick())
    assert sorted((a.rule, a.node) for a in eng.open_alerts()) == [
        ("node_offline", "n1"),
        ("node_offline", "n2"),
    ]
    assert eng.kinds("site_link") == []


def test_node_alert_held_until_site_window_passes() -> None:
    cfg = AlertsConfig(rules={"node_offline": RuleConfig(debounce_s=0)}, site_link_window_s=30)
    eng = Engine(cfg)
    eng.at(0, on("n1"))
    eng.at(0, on("n2"))
    eng.at(0, off("n1"))
    assert eng.at(29, Tick()) == []  # n2 might still follow: wait for the window
    assert [c.alert.node for c in eng.at(30, Tick())] == ["n1"]


def test_sites_are_independent() -> None:
    eng = Engine(CFG)
    for s in ("s1", "s2"):
        for n in ("n1", "n2"):
            eng.at(0, on(n, s))
    eng.at(10, off("n1", "s1"))
    eng.at(10, off("n2", "s1"))
    eng.at(10, off("n1", "s2"))
    eng.at(1000, Tick())
    assert sorted((a.rule, a.site, a.node) for a in eng.open_alerts()) == [
        ("node_offline", "s2", "n1"),
        ("site_link", "s1", None),
    ]


def test_site_link_disabled_gives_per_node_alerts_without_waiting() -> None:
    cfg = AlertsConfig(
        rules={
            "node_offline": RuleConfig(debounce_s=5),
            "site_link": RuleConfig(enabled=False),
        },
        site_link_window_s=30,
    )
    eng = Engine(cfg)
    for n in ("n1", "n2"):
        eng.at(0, on(n))
    eng.at(0, off("n1"))
    eng.at(0, off("n2"))
    raised = eng.at(5, Tick())
    assert sorted((c.alert.rule, c.alert.node or "") for c in raised) == [
        ("node_offline", "n1"),
        ("node_offline", "n2"),
    ]
    assert eng.kinds("site_link") == []
