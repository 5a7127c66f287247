"""`GpioGate`: a walk-through gate wired by dry contacts, read through gpiozero.

Inputs (all through opto-isolators, Pi side pulled up, so *active* = contact closed):

* alarm relay — normally-closed recommended (`alarm_contact="nc"`): open = alarm, so a cut
  wire reads as an alarm (fail-secure);
* ready/fault relay (optional) — closed while the gate is ready; open = fault/power lost;
* beam A (outside) and beam B (inside) — closed while the beam is unbroken
  (`beam_contact="nc"`); A then B = inbound.

Every input goes through our `DebouncedInput` (relay contacts `contact_stable_s`, default
30 ms; beams `beam_stable_s`, default 8 ms), polled by one `Ticker` thread. The pin factory
is injected: MockFactory in tests and the simulator, lgpio on a Pi — never guessed here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from devices.base import OnState, ReportsState
from devices.gate.base import (
    BeamTracker,
    GateAlarm,
    OnGateEvent,
)
from devices.gpio.debounce import DebouncedInput
from devices.gpio.inputs import PolledInputs

log = logging.getLogger(__name__)

Contact = Literal["nc", "no"]


class GpioGate(ReportsState):
    family = "gate"
    _log = log

    def __init__(
        self,
        id: str,
        *,
        pin_factory: Any,
        alarm_pin: int,
        beam_a_pin: int,
        beam_b_pin: int,
        ready_pin: int | None = None,
        alarm_contact: Contact = "nc",
        beam_contact: Contact = "nc",
        contact_stable_s: float = 0.030,
        beam_stable_s: float = 0.008,
        tick_s: float = 0.002,
        settle_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = id
        self._alarm_pin, self._a_pin, self._b_pin = alarm_pin, beam_a_pin, beam_b_pin
        self._ready_pin = ready_pin
        self._contacts = (alarm_contact, beam_contact)
        self._stable = (contact_stable_s, beam_stable_s)
        self._clock = clock
        self._inputs = PolledInputs(pin_factory, tick_s=tick_s, name=f"gate-{id}", clock=clock)
        self._alarm_input: DebouncedInput | None = None
        self._beams = BeamTracker()
        self._lock = threading.Lock()
        self._on_event: OnGateEvent | None = None
        self._ready_ok = True
        self._alarm_stuck = False
        self._alarm_on = False
        self._settled = False
        self._settle_at = 0.0
        self._settle_s = settle_s

    def start(self, on_event: OnGateEvent, on_state: OnState) -> None:
        self._on_event, self._on_state = on_event, on_state
        alarm_contact, beam_contact = self._contacts
        contact_s, beam_s = self._stable
        # value True = alarm / beam broken / gate ready
        beam_no = beam_contact == "no"
        add = self._inputs.add
        self._alarm_input = add(
            self._alarm_pin, contact_s, self._alarm, active_means=alarm_contact == "no"
        )
        add(self._a_pin, beam_s, lambda v, t: self._beam("a", v, t), active_means=beam_no)
        add(self._b_pin, beam_s, lambda v, t: self._beam("b", v, t), active_means=beam_no)
        ready = self._ready_pin
        if ready is not None:
            self._ready_ok = add(ready, contact_s, self._ready).value
        # judge the contacts once they have settled (pull-ups and relays at power-up)
        self._settle_at = self._clock() + self._settle_s
        self._inputs.ticker.add(self._settle)
        self._inputs.start()

    def _settle(self) -> None:
        if self._settled or self._clock() < self._settle_at:
            return
        self._settled = True
        # alarm contact still open: a cut wire or a stuck alarm, until it closes
        self._alarm_stuck = self._alarm_input is not None and self._alarm_input.value
        self._update()

    def _update(self) -> None:
        if not self._settled:
            return
        if not self._ready_ok:
            self._set(
                "fault",
                f"gate {self.id}: ready contact open (gate fault or power lost); check the gate",
            )
        elif self._alarm_stuck:
            self._set(
                "fault",
                f"gate {self.id}: alarm contact open since start; check the alarm wiring "
                "(a normally-closed loop reads open when its wire is cut)",
            )
        else:
            self._set("ok", None)

    def _alarm(self, active: bool, _t: float) -> None:
        self._alarm_on = active
        if not active and self._alarm_stuck:
            self._alarm_stuck = False
            self._update()
        if active and self._on_event:
            self._on_event(GateAlarm())

    def _ready(self, ready: bool, _t: float) -> None:
        self._ready_ok = ready
        self._update()

    @property
    def sensed(self) -> frozenset[str]:
        """What the driver sees now: the blocked beams ("a", "b") and "alarm" while the metal
        detector alarms (diagnostics, and simulations that wait until a step was seen)."""
        with self._lock:
            return self._beams.blocked | ({"alarm"} if self._alarm_on else set())

    def _beam(self, beam: str, blocked: bool, t: float) -> None:
        with self._lock:
            passage = self._beams.update(beam, blocked, t)
        if passage is not None and self._on_event:
            self._on_event(passage)

    def stop(self) -> None:
        self._inputs.close()


class GpioGateDriver:
    """Test/simulation handle: plays a person through a `GpioGate` on MockFactory pins.

    Drives the pins the way the real contacts would (with optional contact bounce), using
    real time, so the driver's debounce and beam logic run unchanged.
    """

    def __init__(
        self,
        factory: Any,
        *,
        alarm_pin: int,
        beam_a_pin: int,
        beam_b_pin: int,
        ready_pin: int | None = None,
        nc: bool = True,
        step_s: float = 0.05,
    ) -> None:
        self.f = factory
        self.pins = dict(alarm=alarm_pin, a=beam_a_pin, b=beam_b_pin, ready=ready_pin)
        self.nc = nc
        self.step_s = step_s

    def _set(self, which: str, closed: bool, bounce: bool = False) -> None:
        pin = self.pins[which]
        if pin is None:
            return
        p = self.f.pin(pin)
        if bounce:
            for _ in range(3):
                (p.drive_high if closed else p.drive_low)()
                time.sleep(0.002)
                (p.drive_low if closed else p.drive_high)()
                time.sleep(0.001)
        (p.drive_low if closed else p.drive_high)()  # closed contact pulls the pin low

    def idle(self) -> None:
        """Everything quiet: N/C contacts closed, beams unbroken, gate ready."""
        self._set("alarm", self.nc)
        self._set("a", self.nc)
        self._set("b", self.nc)
        self._set("ready", True)

    def _beam(self, which: str, broken: bool) -> None:
        self._set(which, (not broken) if self.nc else broken)

    def alarm(self, on: bool, bounce: bool = True) -> None:
        self._set("alarm", (not on) if self.nc else on, bounce=bounce)

    def ready(self, ok: bool) -> None:
        self._set("ready", ok, bounce=True)

    def walk(
        self,
        direction: str = "in",
        alarm: bool = False,
        seen: Callable[[], frozenset[str]] | None = None,
    ) -> None:
        """One person through the gate. With `seen` (the driver's `GpioGate.sensed`), each
        step also waits until the driver has seen it, as a person's hundreds of milliseconds
        always allow: a starved polling thread then cannot merge two steps into one poll."""
        first, second = ("a", "b") if direction == "in" else ("b", "a")
        alarm_on = {"alarm"} if alarm else set()

        def step(change: Callable[[], None], now_sensed: set[str]) -> None:
            change()
            end = time.monotonic() + 2.0
            while seen is not None and seen() != now_sensed and time.monotonic() < end:
                time.sleep(0.002)
            time.sleep(self.step_s)

        step(lambda: self._beam(first, True), {first})
        if alarm:
            self.alarm(True)
        step(lambda: self._beam(second, True), {first, second, *alarm_on})
        step(lambda: self._beam(first, False), {second, *alarm_on})
        step(lambda: self._beam(second, False), set(alarm_on))
        if alarm:
            step(lambda: self.alarm(False), set())
