"""Scripted arrivals: the demo's simulate mode and the 200-arrival integration test.

`script(seed, n)` draws a deterministic list of arrivals (normal, fever, gate alarm with
and without a wand result, walk-past, re-measure, hypothermia, a cold screening reading
that a normal core temperature clears, refusal, an unplugged thermometer mid-check), each
with the outcome the desk must record. `ScenarioRunner` plays them one after another on a
`Stage` — the in-process simulators (`SimStage`), or real drivers over pseudo-terminals and
mock pins (the tests' stage) — waiting for each check to finish before the next person
comes, as a desk works.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from devices.contract import codec
from devices.contract.models import Command, DeviceState, utc_now

if TYPE_CHECKING:
    from firmware_py.intake.app import IntakeApp
    from firmware_py.intake.config import SimulateConfig

log = logging.getLogger(__name__)

Kind = Literal[
    "normal",
    "fever",
    "alarm_clear",
    "alarm_metal",
    "alarm_no_wand",
    "walk_past",
    "remeasure",
    "hypothermia",
    "cold_screening",
    "refused",
    "unplug_mid_check",
]
EXPECTED: dict[str, str] = {
    "normal": "cleared",
    "fever": "fever_referral",
    "alarm_clear": "cleared",
    "alarm_metal": "items_held",
    "alarm_no_wand": "incomplete",
    "walk_past": "incomplete",
    "remeasure": "cleared",
    "hypothermia": "hypothermia_referral",
    "cold_screening": "cleared",
    "refused": "refused",
    "unplug_mid_check": "cleared",
}
WEIGHTS: dict[str, float] = {
    "normal": 0.50,
    "fever": 0.10,
    "alarm_clear": 0.12,
    "alarm_metal": 0.08,
    "alarm_no_wand": 0.04,
    "walk_past": 0.05,
    "remeasure": 0.05,
    "hypothermia": 0.03,
    "cold_screening": 0.03,
    "refused": 0.03,
}
ITEMS = ("knife", "lighter", "scissors", "razor blade", "glass bottle", "screwdriver")


@dataclass(frozen=True, slots=True)
class Arrival:
    index: int
    kind: Kind
    celsius: float
    items: tuple[str, ...] = ()
    keypad: bool = True
    """Wand result on the desk keys (True) or from the dashboard (False, with items)."""
    outbound_before: bool = False
    """Someone walks out through the gate before this arrival (must not make a check)."""

    @property
    def expected(self) -> str:
        return EXPECTED[self.kind]


def script(seed: int, n: int, *, unplug_at: int | None = None) -> list[Arrival]:
    rng = random.Random(seed)
    kinds = list(WEIGHTS)
    out = []
    for i in range(n):
        kind: Any = (
            "unplug_mid_check" if i == unplug_at else rng.choices(kinds, list(WEIGHTS.values()))[0]
        )
        celsius = (
            round(rng.uniform(37.4, 39.6), 1)
            if kind == "fever"
            else round(rng.uniform(36.0, 37.1), 1)
        )
        items = tuple(rng.sample(ITEMS, rng.randint(1, 2))) if kind == "alarm_metal" else ()
        out.append(
            Arrival(
                i,
                kind,
                celsius,
                items,
                keypad=kind == "alarm_clear" and rng.random() < 0.5,
                outbound_before=rng.random() < 0.08,
            )
        )
    return out


class Stage(Protocol):
    """What a scenario can do to the desk's devices."""

    def walk(self, direction: str, alarm: bool) -> None: ...

    def person(self, celsius: float) -> None:
        """Present a person to the thermometer until it has measured, then step away."""
        ...

    def key(self, result: str) -> None: ...

    def unplug_thermometer(self) -> None: ...

    def replug_thermometer(self) -> None: ...


class SimStage:
    """The in-process simulators of an `IntakeApp` started in simulate mode."""

    def __init__(self, app: IntakeApp) -> None:
        self.app = app

    def walk(self, direction: str, alarm: bool) -> None:
        self.app.gate.walk(direction, alarm)  # type: ignore[union-attr]

    def person(self, celsius: float) -> None:
        self.app.thermometer.person(celsius)  # type: ignore[union-attr]

    def key(self, result: str) -> None:
        self.app.wand.press(result)  # type: ignore[union-attr]

    def unplug_thermometer(self) -> None:
        self.app.thermometer.unplug()  # type: ignore[union-attr]

    def replug_thermometer(self) -> None:
        self.app.thermometer.replug()  # type: ignore[union-attr]


def _until(pred: Callable[[], bool], timeout_s: float, stop: threading.Event) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and not stop.is_set():
        if pred():
            return True
        time.sleep(0.005)
    return pred()


def command(action: str, **args: Any) -> Command:
    return Command(id=codec.new_id(), action=action, args=args, ts=utc_now())


def play(
    arrival: Arrival,
    stage: Stage,
    app: IntakeApp,
    stop: threading.Event | None = None,
    *,
    thermo_id: str | None = None,
    send: Callable[[Command], object] | None = None,
) -> None:
    """Play one arrival and wait until its check is finished.

    Dashboard actions (wand result with items, core temperature, refusal) go through
    `send` — by default straight to `app.handle_command`; the integration test sends them
    over MQTT as the gateway does.
    """
    stop = stop or threading.Event()
    send = send or app.handle_command
    a = arrival
    n_open = len(app.open_checks())
    if a.outbound_before:
        stage.walk("out", False)
    alarm = a.kind.startswith("alarm")
    stage.walk("in", alarm)
    if not _until(lambda: len(app.open_checks()) > n_open, 5, stop):
        log.warning("arrival %d: the passage did not open a check", a.index)
    normal = round(36.2 + (a.index % 9) / 10, 1)
    if a.kind in ("normal", "fever"):
        stage.person(a.celsius)
    elif alarm:
        stage.person(normal)
        if a.kind == "alarm_clear":
            if a.keypad:
                stage.key("clear")
            else:
                send(command("wand_result", result="clear", operator="desk-sim"))
        elif a.kind == "alarm_metal":
            app.handle_command(
                command(
                    "wand_result", result="metal_found", items=list(a.items), operator="desk-sim"
                )
            )
    elif a.kind == "remeasure":
        stage.person(33.2)
        stage.person(normal)
    elif a.kind == "hypothermia":
        stage.person(32.4)
        send(command("core_temperature", celsius=34.3, operator="desk-sim"))
    elif a.kind == "cold_screening":
        # a cold forehead in winter: 34.0-35.0 °C holds the check for a core temperature
        stage.person(34.6)
        send(command("core_temperature", celsius=36.5, operator="desk-sim"))
    elif a.kind == "refused":
        send(command("outcome", outcome="refused", note="declined the check"))
    elif a.kind == "unplug_mid_check":
        tid = thermo_id or (app.thermometer.id if app.thermometer else "thermo-1")
        stage.unplug_thermometer()
        _until(lambda: app.devices().get(tid) == "fault", 10, stop)
        stage.replug_thermometer()
        _until(lambda: app.devices().get(tid) == "ok", 10, stop)
        stage.person(normal)
    # walk_past and alarm_no_wand: nothing more; the timeout finishes them
    timeout = max(app.config.temperature_timeout_s, app.config.wand_timeout_s) + 5
    if not _until(lambda: not app.open_checks(), timeout, stop) and not stop.is_set():
        log.warning("arrival %d (%s): check still open after %g s", a.index, a.kind, timeout)


class ScenarioRunner:
    """Plays `script(...)` on a stage in a thread (the demo's scripted arrivals).

    A node application of its own (`[intake.simulate] enabled`), started by the node after the
    intake app it plays on and stopped before it: the production app knows nothing of it.
    """

    def __init__(self, stage: Stage, app: IntakeApp, cfg: SimulateConfig) -> None:
        self.stage = stage
        self.app = app
        self.cfg = cfg
        self.played = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="intake-scenario", daemon=True)

    @classmethod
    def for_app(cls, app: IntakeApp) -> ScenarioRunner:
        """Arrivals played on `app`'s own simulated devices, as its config's `simulate` says."""
        return cls(SimStage(app), app, app.config.simulate)

    def start(self, ctx: object = None) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def devices(self) -> dict[str, DeviceState]:
        return {}  # it drives the intake app's devices, which that app reports

    def handle_command(self, cmd: Command) -> tuple[bool, str | None] | None:
        return None

    def _run(self) -> None:
        batch = 0
        while not self._stop.is_set():
            for a in script(self.cfg.seed + batch, 100):
                if self._stop.wait(self.cfg.pause_s):
                    return
                if self.cfg.arrivals is not None and self.played >= self.cfg.arrivals:
                    return
                try:
                    play(a, self.stage, self.app, self._stop)
                except Exception:
                    log.exception("scripted arrival %d failed", a.index)
                self.played += 1
            batch += 1
