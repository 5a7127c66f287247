"""IntakeApp with a fake NodeContext: events, commands, faults, GPIO wiring, simulate mode."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from gpiozero.pins.mock import MockFactory

from devices.gate.gpio import GpioGateDriver
from firmware_py.doubles import RecordingContext
from firmware_py.intake.app import IntakeApp
from firmware_py.intake.config import IntakeConfig, make_pin_factory
from firmware_py.intake.scenario import ScenarioRunner, SimStage, command, play, script

pytestmark = pytest.mark.slow  # scripted arrivals through the app's real threads

FAST = dict(  # short windows, but room for a busy machine's thread scheduling (CI shares cores)
    alarm_window_s=0.05,
    temperature_timeout_s=1.5,
    wand_timeout_s=1.5,
    tick_s=0.02,
    lamp_hold_s=0.2,
)


@pytest.fixture
def desk():
    app = IntakeApp(IntakeConfig(operator="desk-a", **FAST))
    ctx = RecordingContext("fuling-station", "desk-1", media=False)
    app.start(ctx)
    yield app, ctx
    app.stop()


def test_a_plain_arrival_becomes_one_check_with_its_step_events(desk):
    app, ctx = desk
    assert app.devices() == {"gate-1": "ok", "thermo-1": "ok", "wand-1": "ok"}
    app.gate.walk("in")
    assert app.current_check()["waiting_for"] == ["temperature"]
    app.thermometer.person(36.7)
    [check] = ctx.wait_for_data("check", 1)
    assert check.outcome == "cleared" and check.celsius == 36.7 and check.operator == "desk-a"
    [gate] = ctx.data_of("gate")
    [temp] = ctx.data_of("temperature")
    assert gate.check_id == temp.check_id == check.check_id
    assert app.signals.releases == 1
    assert app.current_check() is None
    kinds = [e.kind for e in ctx.events]
    assert kinds == ["gate", "temperature", "check"]
    assert {e.device for e in ctx.events} == {"gate-1", "thermo-1", None}


def test_dashboard_wand_result_with_items(desk):
    app, ctx = desk
    app.gate.walk("in", alarm=True)
    app.thermometer.person(36.5)
    snap = app.current_check()
    assert snap["gate_alarm"] and snap["waiting_for"] == ["wand"]
    assert app.signals.color == "red"
    ok = app.handle_command(
        command("wand_result", result="metal_found", items=["knife"], operator="li")
    )
    assert ok == (True, None)
    [check] = ctx.wait_for_data("check", 1)
    assert check.outcome == "items_held" and check.items_held == ["knife"]
    [metal] = ctx.data_of("metal")
    assert metal.source == "dashboard" and metal.operator == "li"


def test_keypad_wand_result(desk):
    app, ctx = desk
    app.gate.walk("in", alarm=True)
    app.wand.press("clear")
    app.thermometer.person(36.5)
    [check] = ctx.wait_for_data("check", 1)
    assert (check.outcome, check.wand) == ("cleared", "clear")
    assert ctx.data_of("metal")[0].source == "keypad"


def test_commands_validate_their_arguments(desk):
    app, _ = desk
    ok, err = app.handle_command(command("wand_result", result="maybe"))
    assert not ok and "result" in err
    ok, err = app.handle_command(command("core_temperature", celsius=36.0))
    assert not ok and "no check in progress" in err
    ok, err = app.handle_command(command("outcome"))
    assert not ok and "refused" in err
    assert app.handle_command(command("live_start", camera="x")) is None
    assert app.handle_command(command("release_gate")) == (True, None)
    assert app.signals.releases == 1


def test_refusal_and_hypothermia_through_commands(desk):
    app, ctx = desk
    app.gate.walk("in")
    assert app.handle_command(command("outcome", outcome="refused", note="left")) == (True, None)
    app.gate.walk("in")
    app.thermometer.person(32.5)
    assert app.current_check()["remeasure"] is True
    assert app.handle_command(command("core_temperature", celsius=34.1)) == (True, None)
    refused, hypo = ctx.wait_for_data("check", 2)
    assert refused.outcome == "refused" and refused.note == "left"
    assert hypo.outcome == "hypothermia_referral" and hypo.celsius == 34.1


def test_thermometer_fault_and_recovery_are_events(desk):
    app, ctx = desk
    app.thermometer.unplug()
    assert app.devices()["thermo-1"] == "fault"
    app.thermometer.replug()
    down, up = ctx.data_of("fault")
    assert (down.state, up.state) == ("fault", "ok")
    assert "unplug" in down.error
    assert [e.device for e in ctx.events if e.kind == "fault"] == ["thermo-1", "thermo-1"]
    assert app.devices()["thermo-1"] == "ok"


def test_walk_past_times_out_as_incomplete(desk):
    app, ctx = desk
    app.gate.walk("in")
    [check] = ctx.wait_for_data("check", 1, timeout_s=6)
    assert check.outcome == "incomplete" and "walked past" in check.incomplete_reason


def test_gpio_desk_on_mock_pins():
    cfg = IntakeConfig.model_validate(
        {
            **FAST,
            "devices": {
                "gate": {
                    "kind": "gpio",
                    "alarm_pin": 17,
                    "beam_a_pin": 27,
                    "beam_b_pin": 22,
                    "ready_pin": None,
                },
                "wand": {"kind": "gpio", "clear_pin": 5, "metal_pin": 6},
                "signals": {"kind": "gpio", "green_pin": 16, "amber_pin": 20, "red_pin": 21},
            },
        }
    )
    factory = make_pin_factory(cfg, on_pi=False)
    assert isinstance(factory, MockFactory)
    app = IntakeApp(cfg, pin_factory=factory)
    ctx = RecordingContext("fuling-station", "desk-1", media=False)
    app.start(ctx)
    try:
        gate = GpioGateDriver(factory, alarm_pin=17, beam_a_pin=27, beam_b_pin=22, step_s=0.03)
        gate.idle()
        deadline = time.monotonic() + 2
        while app.devices()["gate-1"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert app.devices()["gate-1"] == "ok"
        assert ctx.data_of("fault") == []  # contacts judged once settled: no start-up fault
        gate.walk("in")
        deadline = time.monotonic() + 2
        while app.current_check() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert factory.pin(20).state is True  # amber: waiting for the temperature
        app.thermometer.person(37.8)
        [check] = ctx.wait_for_data("check", 1)
        assert check.outcome == "fever_referral"
        # the lamp follows the check event within the same input
        deadline = time.monotonic() + 0.1
        while not factory.pin(21).state and time.monotonic() < deadline:
            time.sleep(0.002)
        assert factory.pin(21).state is True and factory.pin(16).state is False  # red
    finally:
        app.stop()
        factory.reset()


def test_gpio_config_without_a_pin_factory_says_what_to_do():
    cfg = IntakeConfig.model_validate({"devices": {"wand": {"kind": "gpio"}}})
    with pytest.raises(ValueError, match="make_pin_factory"):
        IntakeApp(cfg).start(RecordingContext("fuling-station", "desk-1", media=False))


def test_mock_pins_are_never_chosen_silently_on_a_pi():
    cfg = IntakeConfig.model_validate({"devices": {"wand": {"kind": "gpio"}}})
    assert make_pin_factory(IntakeConfig(), on_pi=True) is None  # no GPIO device at all
    try:
        f = make_pin_factory(cfg, on_pi=True)
    except Exception as exc:  # no Pi GPIO here: gpiozero cannot load a real factory
        assert "mock" not in type(exc).__name__.lower()
    else:
        assert not isinstance(f, MockFactory)


def test_config_presets_and_errors():
    assert IntakeConfig(fever_preset="cdc-38.0").fever_threshold_celsius == 38.0
    assert IntakeConfig().fever_threshold_celsius == 37.3
    with pytest.raises(ValueError, match="set one"):
        IntakeConfig(fever_preset="retest-37.5", fever_threshold_celsius=37.3)
    with pytest.raises(ValueError, match="extra"):
        IntakeConfig.model_validate({"fever": 37})
    sim = IntakeConfig.model_validate(
        {"simulate": {"enabled": True}, "devices": {"gate": {"kind": "serial"}}}
    )
    assert sim.devices.gate.kind == "simulated"


def test_scripted_arrivals_in_process_end_with_the_expected_outcomes():
    app = IntakeApp(IntakeConfig(operator="desk-a", **FAST))
    ctx = RecordingContext("fuling-station", "desk-1", media=False)
    app.start(ctx)
    try:
        arrivals = script(11, 60, unplug_at=30)
        stage = SimStage(app)
        for a in arrivals:
            play(a, stage, app)
        checks = ctx.wait_for_data("check", len(arrivals))
        assert [c.outcome for c in checks] == [a.expected for a in arrivals]
        assert len({c.check_id for c in checks}) == len(arrivals)
        assert Counter(f.state for f in ctx.data_of("fault")) == {"fault": 1, "ok": 1}
        outbound = sum(a.outbound_before for a in arrivals)
        assert len([g for g in ctx.data_of("gate") if g.direction == "out"]) == outbound
    finally:
        app.stop()


def test_simulate_mode_plays_arrivals_by_itself():
    cfg = IntakeConfig.model_validate(
        {**FAST, "simulate": {"enabled": True, "pause_s": 0.0, "arrivals": 12, "seed": 3}}
    )
    app = IntakeApp(cfg)
    runner = ScenarioRunner.for_app(app)
    ctx = RecordingContext("fuling-station", "desk-1", media=False)
    app.start(ctx)
    runner.start(ctx)
    try:
        checks = ctx.wait_for_data("check", 12, timeout_s=20)
        assert [c.outcome for c in checks] == [a.expected for a in script(3, 12)]
    finally:
        runner.stop()
        app.stop()
