"""The rules added for issue 4: metal not resolved, head count below the roster, night exits
by the site's schedule, camera frozen, several tamper reasons, devices of an offline node."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from devices.contract import codec
from gateway.alerts import AlertsConfig, NodeChange, SiteConfig, Tick
from tests.alerts.helpers import (
    Engine,
    check_of,
    crossing,
    event,
    metal,
    people,
    t,
    tamper,
)

H = 3600.0
LOCAL_22 = 12 * H  # T0 is 02:00 UTC = 10:00 in Asia/Shanghai: 22:00 local is T0 + 12 h
LOCAL_06 = 20 * H  # 06:00 local the next morning

# metal found and not resolved ------------------------------------------------------------------


def test_metal_followed_by_its_check_in_time_raises_nothing() -> None:
    eng = Engine()
    cid = codec.new_id()
    assert eng.at(0, metal(check_id=cid)) == []
    assert eng.at(299.999, check_of(cid, "items_held"))[0].alert.rule == "items_held"
    assert eng.at(3000, Tick()) == []
    assert eng.open_alerts("metal_unresolved") == [] and eng.state.conditions == {}


def test_metal_without_its_check_raises_after_five_minutes_and_the_check_clears_it() -> None:
    eng = Engine()
    cid = codec.new_id()
    ev = metal(check_id=cid)
    eng.at(0, ev)
    assert eng.at(299.999, Tick()) == []
    raised = eng.at(300, Tick())
    assert [(c.kind, c.alert.rule, c.alert.subject, c.alert.device) for c in raised] == [
        ("raised", "metal_unresolved", cid, "wand")
    ]
    alert = raised[0].alert
    assert alert.severity == "major" and alert.first_at == t(0) and alert.event_id == ev.id
    cleared = eng.at(400, check_of(cid, "cleared"))  # auto_clear_s 0: cleared at once
    assert [(c.kind, c.alert.id) for c in cleared] == [("auto_cleared", alert.id)]


def test_only_the_check_of_the_same_id_clears_it() -> None:
    eng = Engine()
    a, b = codec.new_id(), codec.new_id()
    eng.at(0, metal(check_id=a))
    eng.at(1, metal(check_id=b))
    eng.at(10, check_of(a))
    eng.at(400, check_of(codec.new_id()))
    assert [x.subject for x in eng.open_alerts("metal_unresolved")] == [b]


def test_metal_clear_result_raises_nothing() -> None:
    eng = Engine()
    eng.at(0, metal("clear", check_id=codec.new_id()))
    assert eng.at(H, Tick()) == []


def test_metal_after_its_check_out_of_order_raises_nothing_while_remembered() -> None:
    eng = Engine()
    cid = codec.new_id()
    eng.at(0, check_of(cid))
    eng.at(5, metal(check_id=cid))  # replayed late by the node's outbox
    assert eng.at(H, Tick()) == []
    late = codec.new_id()
    eng.at(H, check_of(late))
    eng.at(2 * H + 1, metal(check_id=late))  # after check_memory_s (1 h) it is forgotten
    assert [c.alert.subject for c in eng.at(2 * H + 301, Tick())] == [late]


def test_metal_without_check_id_is_cleared_by_the_next_check_of_its_node() -> None:
    eng = Engine()
    eng.at(0, metal(check_id=None))
    eng.at(10, check_of(codec.new_id(), node="n2"))  # another node's check: no
    raised = eng.at(300, Tick())
    assert [(c.alert.rule, c.alert.subject) for c in raised] == [("metal_unresolved", None)]
    assert [c.kind for c in eng.at(301, check_of(codec.new_id()))] == ["auto_cleared"]


# head count below the roster -------------------------------------------------------------------


def test_head_count_below_node_roster_for_ten_minutes_opens_missing_person_incident() -> None:
    eng = Engine()
    assert eng.at(0, people(3, expected=4)) == []
    assert eng.at(599.999, Tick()) == []
    raised = eng.at(600, Tick())
    assert len(raised) == 1
    alert, incident = raised[0].alert, raised[0].incident
    assert (alert.rule, alert.severity, alert.node, alert.subject, alert.device) == (
        "head_count",
        "critical",
        "n1",
        "room-1",
        "room-1",
    )
    assert incident is not None and incident.category == "missing_person"
    # deadlines count from when the count first dropped, not from the alert
    assert incident.opened_at == t(0) and incident.phone_due == t(1800)
    assert incident.written_due == t(3600)


def test_deadlines_count_from_the_first_low_count_event_time() -> None:
    eng = Engine()
    eng.at(0, people(3, expected=4, ts=t(-90)))  # delivered 90 s late
    inc = eng.at(600, Tick())[0].incident
    assert inc is not None and inc.opened_at == t(-90)


def test_a_lower_count_does_not_restart_the_debounce() -> None:
    eng = Engine()
    eng.at(0, people(3, expected=4))
    eng.at(300, people(2, expected=4))
    assert [c.kind for c in eng.at(600, Tick())] == ["raised"]


def test_count_back_to_roster_before_debounce_raises_nothing() -> None:
    eng = Engine()
    eng.at(0, people(3, expected=4))
    eng.at(599.999, people(4, expected=4))
    assert eng.at(10 * H, Tick()) == [] and eng.changes == []


def test_count_above_roster_is_fine() -> None:
    eng = Engine()
    eng.at(0, people(5, expected=4))
    assert eng.at(H, Tick()) == []


def test_recovery_auto_clears_after_hysteresis_and_a_dip_inside_counts_on_the_alert() -> None:
    eng = Engine()
    eng.at(0, people(3, expected=4))
    alert = eng.at(600, Tick())[0].alert
    eng.at(700, people(4, expected=4))
    back = eng.at(750, people(3, expected=4))  # dips again inside the 120 s quiet period
    assert [(c.kind, c.alert.id, c.alert.count) for c in back] == [("repeated", alert.id, 2)]
    eng.at(800, people(4, expected=4))
    assert eng.at(919.999, Tick()) == []
    cleared = eng.at(920, Tick())
    assert [(c.kind, c.alert.id) for c in cleared] == [("auto_cleared", alert.id)]
    assert len(eng.state.incidents) == 1  # the dip opened no second incident


def test_no_roster_in_force_drops_a_pending_condition_but_not_a_raised_alert() -> None:
    eng = Engine()
    eng.at(0, people(3, expected=4))
    eng.at(300, people(3))  # roster hours over: the node sends no expected count
    assert eng.at(H, Tick()) == []
    eng.at(2 * H, people(3, expected=4))
    alert = eng.at(2 * H + 600, Tick())[0].alert
    eng.at(2 * H + 700, people(2))  # no roster: the missing-person alert stays open
    assert eng.at(5 * H, Tick()) == [] and eng.open_alerts("head_count") == [alert]


def test_zones_are_counted_separately() -> None:
    eng = Engine()
    eng.at(0, people(1, expected=2, zone="beds"))
    eng.at(0, people(6, expected=4))
    assert [a.subject for a in (c.alert for c in eng.at(600, Tick()))] == ["room-1/beds"]


ROSTER = AlertsConfig(
    sites={
        "s1": SiteConfig(
            roster={"room-1": 4, "room-2/beds": 2}, roster_hours="22:00-06:00", tz="Asia/Shanghai"
        )
    }
)


def test_gateway_roster_starts_at_roster_hours_from_the_latest_count() -> None:
    eng = Engine(ROSTER)
    eng.at(0, people(3))  # 10:00 local: the roster does not apply
    assert eng.at(LOCAL_22 - 1, Tick()) == []
    assert eng.at(LOCAL_22, Tick()) == []  # 22:00: below the roster since now
    assert eng.at(LOCAL_22 + 599.999, Tick()) == []
    raised = eng.at(LOCAL_22 + 600, Tick())
    assert [(c.alert.subject, c.alert.first_at) for c in raised] == [("room-1", t(LOCAL_22))]
    assert raised[0].incident is not None and raised[0].incident.opened_at == t(LOCAL_22)


def test_gateway_roster_overrides_the_node_expected_count() -> None:
    eng = Engine(ROSTER)
    eng.at(LOCAL_22, people(3, expected=3))
    assert [c.alert.subject for c in eng.at(LOCAL_22 + 600, Tick())] == ["room-1"]


def test_gateway_roster_zone_entry() -> None:
    eng = Engine(ROSTER)
    eng.at(LOCAL_22, people(1, camera="room-2", zone="beds"))
    eng.at(LOCAL_22, people(0, camera="room-2"))  # whole view of room-2: no roster entry
    assert [c.alert.subject for c in eng.at(LOCAL_22 + 600, Tick())] == ["room-2/beds"]


def test_roster_hours_ending_drop_a_pending_condition() -> None:
    eng = Engine(ROSTER)
    eng.at(LOCAL_06 - 300, people(3))  # 05:55 local
    assert eng.at(LOCAL_06, Tick()) == []  # 06:00: roster over, pending dropped
    assert eng.at(LOCAL_06 + 600, Tick()) == [] and eng.state.conditions == {}


def test_site_total_over_named_cameras() -> None:
    cfg = AlertsConfig(sites={"s1": SiteConfig(roster_total=6, total_cameras=["room-1", "room-2"])})
    eng = Engine(cfg)
    eng.at(0, people(3, camera="room-1"))  # room-2 has not reported: no total yet
    assert eng.at(1000, Tick()) == []
    eng.at(1000, people(2, camera="room-2", node="n2"))  # 5 < 6
    assert eng.at(1599.999, Tick()) == []
    raised = eng.at(1600, Tick())
    assert [(c.alert.rule, c.alert.node, c.alert.subject) for c in raised] == [
        ("head_count", None, "site")
    ]
    eng.at(1700, people(3, camera="room-2", node="n2"))  # 6: recovered
    assert [c.kind for c in eng.at(1820, Tick())] == ["auto_cleared"]


def test_site_total_needs_its_cameras() -> None:
    with pytest.raises(ValidationError, match="total_cameras"):
        SiteConfig(roster_total=5)


# night exit -------------------------------------------------------------------------------------


def test_node_flagged_night_exit_opens_a_missing_person_incident() -> None:
    eng = Engine()
    changes = eng.at(0, crossing(night=True))
    assert [(c.kind, c.alert.rule, c.alert.severity) for c in changes] == [
        ("raised", "night_exit", "critical")
    ]
    inc = changes[0].incident
    assert inc is not None and inc.category == "missing_person" and inc.opened_at == t(0)
    again = eng.at(60, crossing(night=True))
    assert [(c.kind, c.alert.count, c.incident) for c in again] == [("repeated", 2, None)]


NIGHT = AlertsConfig(sites={"s1": SiteConfig(night="22:00-06:00")})


@pytest.mark.parametrize(
    ("at", "raises"),
    [
        (LOCAL_22 - 0.001, False),  # 21:59:59.999 local
        (LOCAL_22, True),  # 22:00 local
        (LOCAL_22 + 0.001, True),
        (LOCAL_06 - 0.001, True),
        (LOCAL_06, False),  # 06:00 local: day again
    ],
)
def test_site_night_schedule_in_the_site_time_zone(at: float, raises: bool) -> None:
    eng = Engine(NIGHT)
    changes = eng.at(at, crossing(night=False, ts=t(at)))
    assert [c.alert.rule for c in changes] == (["night_exit"] if raises else [])


def test_the_event_time_decides_night_not_the_arrival_time() -> None:
    eng = Engine(NIGHT)
    # crossed at 05:50 local, delivered at 06:10 by the node's outbox
    changes = eng.at(LOCAL_06 + 600, crossing(ts=t(LOCAL_06 - 600)))
    assert changes[0].incident is not None
    assert changes[0].incident.opened_at == t(LOCAL_06 - 600)


def test_site_time_zone_is_configurable() -> None:
    eng = Engine(AlertsConfig(sites={"s1": SiteConfig(night="22:00-06:00", tz="UTC")}))
    assert [c.alert.rule for c in eng.at(0, crossing())] == ["night_exit"]  # 02:00 UTC


def test_without_schedule_the_node_flag_decides_and_inward_crossings_never_raise() -> None:
    eng = Engine()
    assert eng.at(LOCAL_22 + H, crossing(night=False)) == []
    assert eng.at(LOCAL_22 + H, crossing("in", night=True)) == []
    assert Engine(NIGHT).at(LOCAL_22 + H, crossing("in", ts=t(LOCAL_22 + H))) == []


# camera frozen and tamper reasons --------------------------------------------------------------


def test_frozen_picture_is_its_own_rule() -> None:
    eng = Engine()
    eng.at(0, tamper("frozen", True))
    assert eng.at(29.999, Tick()) == []
    raised = eng.at(30, Tick())
    assert [(c.alert.rule, c.alert.device, c.alert.severity) for c in raised] == [
        ("camera_frozen", "cam1", "major")
    ]
    assert eng.open_alerts("camera_tamper") == []
    eng.at(40, tamper("frozen", False))
    assert eng.at(99.999, Tick()) == []
    assert [c.kind for c in eng.at(100, Tick())] == ["auto_cleared"]


def test_tamper_stays_raised_while_any_reason_is_active() -> None:
    eng = Engine()
    eng.at(0, tamper("covered", True))
    alert = eng.at(10, Tick())[0].alert
    moved = eng.at(20, tamper("moved", True))
    assert [(c.kind, c.alert.id) for c in moved] == [("repeated", alert.id)]
    assert eng.at(30, tamper("covered", False)) == []  # moved is still active
    assert eng.at(500, Tick()) == []
    eng.at(600, tamper("moved", False))
    assert eng.at(659.999, Tick()) == []
    assert [(c.kind, c.alert.id) for c in eng.at(660, Tick())] == [("auto_cleared", alert.id)]
    assert eng.state.tamper == {}


def test_frozen_and_covered_are_independent() -> None:
    eng = Engine()
    eng.at(0, tamper("covered", True))
    eng.at(0, tamper("frozen", True))
    eng.at(5, tamper("frozen", False))  # frozen blip: no frozen alert, covered unaffected
    assert sorted(c.alert.rule for c in eng.at(100, Tick())) == ["camera_tamper"]


# devices of an offline node --------------------------------------------------------------------


def test_node_offline_is_one_alert_not_one_per_device() -> None:
    eng = Engine()
    eng.at(0, NodeChange("s1", "n1", "online"))
    eng.at(0, event("fault", {"state": "fault"}, device="therm"))
    eng.at(0, event("fault", {"state": "fault"}, device="gate"))
    eng.at(1, event("camera", {"camera": "cam1", "state": "offline"}))
    eng.at(2, tamper("frozen", True, camera="cam2"))
    eng.at(5, NodeChange("s1", "n1", "offline", "power"))  # before any device debounce
    eng.at(3 * H, Tick())
    assert [(a.rule, a.node) for a in eng.open_alerts()] == [("node_offline", "n1")]
    back = eng.at(3 * H + 1, NodeChange("s1", "n1", "online"))
    # devices that never reported recovery raise once their node is back
    assert sorted(c.alert.rule for c in back if c.kind == "raised") == [
        "camera_frozen",
        "camera_offline",
        "device_fault",
        "device_fault",
    ]


def test_device_recovery_while_node_offline_raises_nothing_later() -> None:
    eng = Engine()
    eng.at(0, event("fault", {"state": "fault"}, device="therm"))
    eng.at(5, NodeChange("s1", "n1", "offline"))
    eng.at(10, NodeChange("s1", "n1", "online"))
    eng.at(11, event("fault", {"state": "ok"}, device="therm"))
    eng.at(3 * H, Tick())
    assert eng.kinds("device_fault") == []


def test_next_morning_helper_constants_are_right() -> None:
    site = SiteConfig()
    assert site.local(t(LOCAL_22)).hour == 22 and site.local(t(LOCAL_06)).hour == 6
    assert t(LOCAL_06) - t(LOCAL_22) == timedelta(hours=8)
