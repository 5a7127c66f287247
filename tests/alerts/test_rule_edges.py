"""Every rule against its configuration: enabled, severity, and the debounce (stateful rules)
or auto-clear (every rule) edges just below, at and just after the threshold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from devices.contract import codec
from gateway.alerts import AlertsConfig, Input, NodeChange, RuleConfig, Tick
from gateway.alerts.config import STATEFUL_RULES, RuleName
from gateway.alerts.models import DeadlineNotice
from tests.alerts.helpers import (
    T0,
    Engine,
    check_of,
    crossing,
    event,
    manual,
    metal,
    people,
    tamper,
)

D, A = 30.0, 60.0  # debounce and auto-clear used throughout
EPS = 0.001


@dataclass
class Stateful:
    """How to make one stateful rule's condition bad and good again."""

    bad: Callable[[], list[Input]]
    good: Callable[[], list[Input]]


def _metal() -> Stateful:
    cid = codec.new_id()
    return Stateful(lambda: [metal(check_id=cid)], lambda: [check_of(cid)])


def _node() -> list[Input]:
    return [NodeChange("s1", "n1", "online")]


STATEFUL: dict[str, Callable[[], Stateful]] = {
    "metal_unresolved": _metal,
    "device_fault": lambda: Stateful(
        lambda: [event("fault", {"state": "fault"}, device="therm")],
        lambda: [event("fault", {"state": "ok"}, device="therm")],
    ),
    "camera_offline": lambda: Stateful(
        lambda: [event("camera", {"camera": "c1", "state": "offline"})],
        lambda: [event("camera", {"camera": "c1", "state": "online"})],
    ),
    "camera_tamper": lambda: Stateful(
        lambda: [tamper("covered", True)], lambda: [tamper("covered", False)]
    ),
    "camera_frozen": lambda: Stateful(
        lambda: [tamper("frozen", True)], lambda: [tamper("frozen", False)]
    ),
    "head_count": lambda: Stateful(
        lambda: [people(2, expected=3)], lambda: [people(3, expected=3)]
    ),
    "node_offline": lambda: Stateful(
        lambda: [NodeChange("s1", "n1", "offline")], lambda: [NodeChange("s1", "n1", "online")]
    ),
    "site_link": lambda: Stateful(
        lambda: [NodeChange("s1", "n1", "offline"), NodeChange("s1", "n2", "offline")],
        lambda: [NodeChange("s1", "n1", "online")],
    ),
}

ONE_CHECK = "01JCHECK0000000000000000AA"
"""Check rules are per check: their repeat is the same check arriving again (a redelivery)."""

INSTANT: dict[str, Callable[[], Input]] = {
    "fever_referral": lambda: check_of(ONE_CHECK, "fever_referral"),
    "hypothermia_referral": lambda: check_of(ONE_CHECK, "hypothermia_referral"),
    "incomplete_check": lambda: check_of(ONE_CHECK, "incomplete"),
    "items_held": lambda: check_of(ONE_CHECK, "items_held"),
    "night_exit": lambda: crossing(night=True),
    "missing_person": lambda: manual("missing_person", person="王某"),
    "injury": lambda: manual("injury", person="王某"),
    "death": lambda: manual("death", person="王某"),
    "disaster": lambda: manual("disaster", person="王某"),
    "violence": lambda: manual("violence", person="王某"),
    # dated duties of the people layer (gateway/people/family_search_deadlines.py) and a
    # reviewer's "probable" face match (gateway/api/routes/faces.py): both arrive as notices
    **{
        rule: (lambda rule=rule: DeadlineNotice(rule, "s1", "case-1/notice", T0))
        for rule in (
            "family_search_reminder",
            "family_search_overdue",
            "visit_reminder",
            "visit_overdue",
            "face_match_probable",
        )
    },
}


def test_every_rule_is_covered_here() -> None:
    assert set(STATEFUL) == STATEFUL_RULES
    assert set(STATEFUL) | set(INSTANT) == set(RuleName.__args__)  # type: ignore[attr-defined]


def engine(rule: str, **kw: object) -> Engine:
    cfg = RuleConfig(debounce_s=D, auto_clear_s=A, severity="minor", **kw)  # type: ignore[arg-type]
    eng = Engine(AlertsConfig(rules={rule: cfg}, site_link_window_s=5))  # type: ignore[dict-item]
    if rule == "site_link":
        eng.at(0, NodeChange("s1", "n2", "online"))
    for item in _node() if rule in ("node_offline", "site_link") else []:
        eng.at(0, item)
    return eng


def feed(eng: Engine, at: float, items: list[Input]) -> list[str]:
    return [f"{c.kind}:{c.alert.rule}" for item in items for c in eng.at(at, item)]


def raised(eng: Engine, rule: str) -> list[str]:
    return [c.kind for c in eng.changes if c.alert.rule == rule]


@pytest.mark.parametrize("rule", sorted(STATEFUL))
@pytest.mark.parametrize(("offset", "fires"), [(-EPS, False), (0.0, True), (EPS, True)])
def test_debounce_edge(rule: str, offset: float, fires: bool) -> None:
    eng, s = engine(rule), STATEFUL[rule]()
    feed(eng, 0, s.bad())
    eng.at(D + offset, Tick())
    assert raised(eng, rule) == (["raised"] if fires else [])
    if fires:
        alert = eng.open_alerts(rule)[0]
        assert alert.severity == "minor" and alert.first_at == eng.changes[-1].alert.first_at


@pytest.mark.parametrize("rule", sorted(STATEFUL))
def test_blip_shorter_than_debounce_raises_nothing(rule: str) -> None:
    eng, s = engine(rule), STATEFUL[rule]()
    feed(eng, 0, s.bad())
    feed(eng, D - EPS, s.good())
    eng.at(10 * D, Tick())
    assert raised(eng, rule) == []


@pytest.mark.parametrize("rule", sorted(STATEFUL))
@pytest.mark.parametrize(("offset", "clears"), [(-EPS, False), (0.0, True), (EPS, True)])
def test_hysteresis_edge(rule: str, offset: float, clears: bool) -> None:
    eng, s = engine(rule), STATEFUL[rule]()
    feed(eng, 0, s.bad())
    eng.at(D, Tick())
    feed(eng, 100, s.good())
    eng.at(100 + A + offset, Tick())
    assert raised(eng, rule) == (["raised", "auto_cleared"] if clears else ["raised"])


@pytest.mark.parametrize("rule", sorted(STATEFUL))
def test_stateful_rule_can_be_disabled(rule: str) -> None:
    eng, s = engine(rule, enabled=False), STATEFUL[rule]()
    feed(eng, 0, s.bad())
    eng.at(10 * D, Tick())
    assert raised(eng, rule) == []


@pytest.mark.parametrize("rule", sorted(INSTANT))
@pytest.mark.parametrize(("offset", "clears"), [(-EPS, False), (0.0, True), (EPS, True)])
def test_auto_clear_edge_counts_from_the_last_repeat(
    rule: str, offset: float, clears: bool
) -> None:
    eng = engine(rule)
    first = eng.at(0, INSTANT[rule]())[0]
    assert first.kind == "raised" and first.alert.severity == "minor"  # debounce ignored
    eng.at(10, INSTANT[rule]())
    eng.at(10 + A + offset, Tick())
    expected = ["raised", "repeated"] + (["auto_cleared"] if clears else [])
    assert raised(eng, rule) == expected


@pytest.mark.parametrize("rule", sorted(INSTANT))
def test_instant_rule_can_be_disabled(rule: str) -> None:
    eng = engine(rule, enabled=False)
    assert eng.at(0, INSTANT[rule]()) == []


@pytest.mark.parametrize("rule", ["missing_person", "night_exit", "head_count", "injury"])
def test_incident_rules_open_an_incident_only_when_configured(rule: str) -> None:
    for incident in (True, False):
        eng = engine(rule, incident=incident)
        if rule == "head_count":
            feed(eng, 0, STATEFUL[rule]().bad())
            changes = eng.at(D, Tick())
        else:
            changes = eng.at(0, INSTANT[rule]())
        assert (changes[0].incident is not None) is incident
