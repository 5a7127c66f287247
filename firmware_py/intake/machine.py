"""The intake check as a pure state machine: inputs in, effects out, no IO, no clock.

Every arriving person gets one check. A passage through the gate (direction in or
unknown) opens it; a temperature result is mandatory for everyone; a gate alarm makes a
handheld-wand result mandatory. The check finishes as soon as its mandatory steps are
there (but not before `alarm_window_s` after the passage, so a late gate alarm still
finds it), or when the operator records a refusal, or times out as `incomplete`.

Two people in quick succession are two checks: each temperature reading goes to the
oldest open check still waiting for one, each wand result to the oldest check waiting for
one (first in, first served — the desk handles people in the order they came through).

Outcome, most serious first (the check event still lists everything that happened):
``refused`` (operator) > ``hypothermia_referral`` (confirmed core < 35 °C) >
``fever_referral`` (core, or else screening, ≥ threshold) > ``items_held`` (wand found
metal) > ``cleared``; ``incomplete`` if a mandatory step never came. A confirmed core
temperature overrides the screening reading (screening is not diagnosis). A body-mode
reading below 34 °C is not a result but a request to re-measure.

The lamp is derived from the state: red while a gate alarm waits for the wand, amber
while any check waits for a step, then the outcome's colour (green cleared, red
otherwise) for `lamp_hold_s`, then off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from devices.contract import codec
from devices.contract.models import (
    CheckData,
    CheckStep,
    GateData,
    MetalData,
    Payload,
    TemperatureData,
    TemperatureReading,
)
from devices.contract.models.intake import CheckOutcome, TemperatureMode, WandResult

Direction = Literal["in", "out", "unknown"]
LampColor = Literal["off", "green", "amber", "red"]
MAX_STEPS = 50
MAX_READINGS = 20
READING_RANGE_C = (-50.0, 150.0)
"""Readings outside this range cannot be a person (sensor aimed at a lamp, a wall…)."""


# -- inputs ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Passage:
    at: datetime
    direction: Direction = "in"
    device: str | None = None
    alarm: bool = False
    """The gate reports the alarm with the passage itself (GATE-ASCII/1 ``AL``)."""
    zone_mask: int | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class GateAlarm:
    at: datetime
    device: str | None = None
    zone_mask: int | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    at: datetime
    celsius: float
    mode: TemperatureMode = "body"
    device: str | None = None
    object_celsius: float | None = None
    ambient_celsius: float | None = None


@dataclass(frozen=True, slots=True)
class CoreTemperature:
    at: datetime
    celsius: float
    operator: str | None = None
    check_id: str | None = None


@dataclass(frozen=True, slots=True)
class WandEntry:
    at: datetime
    result: WandResult
    source: Literal["keypad", "dashboard"] = "keypad"
    items: tuple[str, ...] = ()
    operator: str | None = None
    device: str | None = None
    check_id: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    at: datetime
    operator: str | None = None
    note: str | None = None
    check_id: str | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime


Input = Passage | GateAlarm | Reading | CoreTemperature | WandEntry | Refusal | Tick


# -- effects -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Emit:
    kind: str
    data: Payload
    device: str | None = None


@dataclass(frozen=True, slots=True)
class Lamp:
    color: LampColor


@dataclass(frozen=True, slots=True)
class Buzz:
    pattern: Literal["alert", "remeasure"]


@dataclass(frozen=True, slots=True)
class Release:
    check_id: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """An operator input that could not be applied (no check in progress, unknown id)."""

    reason: str


Effect = Emit | Lamp | Buzz | Release | Rejected


# -- policy and state --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Policy:
    fever_threshold_celsius: float = 37.3
    remeasure_below_celsius: float = 34.0
    hypothermia_below_celsius: float = 35.0
    temperature_timeout_s: float = 90.0
    wand_timeout_s: float = 180.0
    alarm_window_s: float = 2.0
    lamp_hold_s: float = 5.0
    release_on_clear: bool = True
    operator: str | None = None


@dataclass
class OpenCheck:
    check_id: str
    started_at: datetime
    direction: Direction
    gate_alarm: bool = False
    wand: WandResult | None = None
    items: list[str] = field(default_factory=list)
    result_celsius: float | None = None
    core_celsius: float | None = None
    readings: list[TemperatureReading] = field(default_factory=list)
    steps: list[CheckStep] = field(default_factory=list)
    operator: str | None = None
    note: str | None = None

    @property
    def needs_temperature(self) -> bool:
        return self.result_celsius is None and self.core_celsius is None

    @property
    def needs_wand(self) -> bool:
        return self.gate_alarm and self.wand is None

    def step(self, name: str, at: datetime, detail: str | None = None) -> None:
        # the last slots are kept for the timeout and outcome steps
        if len(self.steps) < MAX_STEPS - 2 or name in ("outcome", "timeout"):
            self.steps.append(CheckStep(name=name, at=at, detail=detail))

    def waiting_for(self) -> list[str]:
        out = []
        if self.needs_wand:
            out.append("wand")
        if self.needs_temperature:
            out.append("temperature")
        return out


@dataclass(frozen=True, slots=True)
class _PendingAlarm:
    at: datetime
    device: str | None
    zone_mask: int | None
    level: int | None


def decide(check: OpenCheck, policy: Policy) -> CheckOutcome:
    """Outcome of a check whose mandatory steps are all there (see the module doc)."""
    t = check.core_celsius if check.core_celsius is not None else check.result_celsius
    if check.core_celsius is not None and check.core_celsius < policy.hypothermia_below_celsius:
        return "hypothermia_referral"
    if t is not None and t >= policy.fever_threshold_celsius:
        return "fever_referral"
    if check.wand == "metal_found":
        return "items_held"
    return "cleared"


class CheckMachine:
    def __init__(self, policy: Policy, *, new_id: Callable[[], str] = codec.new_id) -> None:
        self.policy = policy
        self.new_id = new_id
        self.open: list[OpenCheck] = []
        self.pending_alarm: _PendingAlarm | None = None
        self.lamp: LampColor = "off"
        self._hold: tuple[LampColor, datetime] | None = None
        self.finished: dict[str, int] = {}
        """Outcome counts since start."""

    # -- queries ---------------------------------------------------------------------------------
    def current(self) -> OpenCheck | None:
        """The check at the desk: the oldest one still open."""
        return self.open[0] if self.open else None

    def _find(self, check_id: str | None, pred: Callable[[OpenCheck], bool]) -> OpenCheck | None:
        if check_id is not None:
            return next((c for c in self.open if c.check_id == check_id), None)
        return next((c for c in self.open if pred(c)), None)

    # -- the transition function ------------------------------------------------------------------
    def handle(self, inp: Input) -> list[Effect]:
        out: list[Effect] = []
        match inp:
            case Passage():
                self._passage(inp, out)
            case GateAlarm():
                self._alarm(inp, out)
            case Reading():
                self._reading(inp, out)
            case CoreTemperature():
                self._core(inp, out)
            case WandEntry():
                self._wand(inp, out)
            case Refusal():
                self._refusal(inp, out)
            case Tick():
                pass
        self._timeouts(inp.at, out)
        self._lamp(inp.at, out)
        return out

    # -- gate ---------------------------------------------------------------------------------
    def _passage(self, p: Passage, out: list[Effect]) -> None:
        if p.direction == "out":
            out.append(Emit("gate", GateData(action="passage", direction="out"), p.device))
            return
        c = OpenCheck(check_id=self.new_id(), started_at=p.at, direction=p.direction)
        c.step("passage", p.at, p.direction)
        self.open.append(c)
        direction = None if p.direction == "unknown" else p.direction
        out.append(
            Emit(
                "gate",
                GateData(action="passage", direction=direction, check_id=c.check_id),
                p.device,
            )
        )
        if p.alarm:
            self._attach_alarm(c, _PendingAlarm(p.at, p.device, p.zone_mask, p.level), out)
        elif self.pending_alarm and p.at - self.pending_alarm.at <= self._window:
            pending, self.pending_alarm = self.pending_alarm, None
            c.gate_alarm = True
            c.step("gate_alarm", pending.at, _zones(pending.zone_mask, pending.level))

    def _attach_alarm(self, c: OpenCheck, a: _PendingAlarm, out: list[Effect]) -> None:
        c.gate_alarm = True
        c.step("gate_alarm", a.at, _zones(a.zone_mask, a.level))
        out.append(
            Emit(
                "gate",
                GateData(
                    action="alarm", zone_mask=a.zone_mask, signal_level=a.level, check_id=c.check_id
                ),
                a.device,
            )
        )
        out.append(Buzz("alert"))

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.policy.alarm_window_s)

    def _alarm(self, a: GateAlarm, out: list[Effect]) -> None:
        # An alarm normally comes while the person is in the arch, before the passage is
        # complete: hold it for the next passage; the tick attaches it to the previous one
        # if no passage follows (gates that alarm after the exit beam).
        if self.pending_alarm is not None:
            self._settle_pending(a.at, out, force=True)
        self.pending_alarm = _PendingAlarm(a.at, a.device, a.zone_mask, a.level)
        out.append(
            Emit(
                "gate",
                GateData(action="alarm", zone_mask=a.zone_mask, signal_level=a.level),
                a.device,
            )
        )
        out.append(Buzz("alert"))

    def _settle_pending(self, now: datetime, out: list[Effect], force: bool = False) -> None:
        a = self.pending_alarm
        if a is None or (not force and now - a.at <= self._window):
            return
        self.pending_alarm = None
        recent = [
            c
            for c in self.open
            if not c.gate_alarm and timedelta(0) <= a.at - c.started_at <= self._window
        ]
        if recent:
            c = recent[-1]
            c.gate_alarm = True
            c.step("gate_alarm", a.at, _zones(a.zone_mask, a.level))
        # else: a nuisance alarm with nobody passing — its gate event is the record.

    # -- temperature ---------------------------------------------------------------------------
    def _reading(self, r: Reading, out: list[Effect]) -> None:
        if not READING_RANGE_C[0] <= r.celsius <= READING_RANGE_C[1]:
            out.append(Rejected(f"reading {r.celsius} °C is not a body temperature; ignored"))
            return
        c = self._find(None, lambda c: c.needs_temperature)
        remeasure = r.mode != "core" and r.celsius < self.policy.remeasure_below_celsius
        out.append(
            Emit(
                "temperature",
                TemperatureData(
                    celsius=r.celsius,
                    mode=r.mode,
                    object_celsius=r.object_celsius,
                    ambient_celsius=r.ambient_celsius,
                    remeasure=remeasure,
                    check_id=c.check_id if c else None,
                ),
                r.device,
            )
        )
        if c is None:
            return  # a reading with nobody checked-in: recorded, not part of a check
        if len(c.readings) < MAX_READINGS:
            c.readings.append(
                TemperatureReading(
                    celsius=r.celsius, mode=r.mode, at=r.at, device=r.device, remeasure=remeasure
                )
            )
        if remeasure:
            c.step("remeasure", r.at, f"{r.celsius:.1f} °C")
            out.append(Buzz("remeasure"))
            return
        c.result_celsius = r.celsius
        c.step("temperature", r.at, f"{r.celsius:.1f} °C {r.mode}")
        self._try_finish(c, r.at, out)

    def _core(self, k: CoreTemperature, out: list[Effect]) -> None:
        c = self._find(k.check_id, lambda c: True)
        if c is None:
            out.append(Rejected(_no_check(k.check_id)))
            return
        c.core_celsius = k.celsius
        c.operator = k.operator or c.operator
        if len(c.readings) < MAX_READINGS:
            c.readings.append(TemperatureReading(celsius=k.celsius, mode="core", at=k.at))
        c.step("temperature", k.at, f"{k.celsius:.1f} °C core")
        out.append(
            Emit(
                "temperature", TemperatureData(celsius=k.celsius, mode="core", check_id=c.check_id)
            )
        )
        self._try_finish(c, k.at, out)

    # -- wand and operator -----------------------------------------------------------------------
    def _wand(self, w: WandEntry, out: list[Effect]) -> None:
        c = self._find(w.check_id, lambda c: c.needs_wand) or self._find(
            w.check_id, lambda c: c.wand is None
        )
        if c is None:
            out.append(Rejected(_no_check(w.check_id)))
            return
        c.wand = w.result
        c.items = list(w.items)[:50]
        c.operator = w.operator or c.operator
        c.step("wand", w.at, w.result + (": " + ", ".join(w.items) if w.items else ""))
        out.append(
            Emit(
                "metal",
                MetalData(
                    result=w.result,
                    source=w.source,
                    operator=w.operator or self.policy.operator,
                    items=list(w.items)[:50],
                    check_id=c.check_id,
                ),
                w.device,
            )
        )
        self._try_finish(c, w.at, out)

    def _refusal(self, r: Refusal, out: list[Effect]) -> None:
        c = self._find(r.check_id, lambda c: True)
        if c is None:
            out.append(Rejected(_no_check(r.check_id)))
            return
        c.operator = r.operator or c.operator
        c.note = r.note
        self._finish(c, "refused", r.at, out)

    # -- finishing ------------------------------------------------------------------------------
    def _try_finish(self, c: OpenCheck, now: datetime, out: list[Effect]) -> None:
        if c.waiting_for() or now - c.started_at < self._window or self.pending_alarm:
            return
        self._finish(c, decide(c, self.policy), now, out)

    def _timeouts(self, now: datetime, out: list[Effect]) -> None:
        self._settle_pending(now, out)
        for c in list(self.open):
            missing = []
            age_s = (now - c.started_at).total_seconds()
            if c.needs_temperature and age_s >= self.policy.temperature_timeout_s:
                only_low = any(r.remeasure for r in c.readings)
                missing.append(
                    f"no temperature result within {self.policy.temperature_timeout_s:g} s"
                    + (" (only re-measure readings below 34 °C)" if only_low else " (walked past?)")
                )
            if c.needs_wand and age_s >= self.policy.wand_timeout_s:
                missing.append(
                    f"gate alarm without wand result within {self.policy.wand_timeout_s:g} s"
                )
            if missing:
                c.step("timeout", now, "; ".join(missing)[:200])
                self._finish(c, "incomplete", now, out, reason="; ".join(missing)[:200])
            else:
                self._try_finish(c, now, out)

    def _finish(
        self,
        c: OpenCheck,
        outcome: CheckOutcome,
        now: datetime,
        out: list[Effect],
        reason: str | None = None,
    ) -> None:
        self.open.remove(c)
        c.step("outcome", now, outcome)
        deciding = c.core_celsius if c.core_celsius is not None else c.result_celsius
        data = CheckData(
            check_id=c.check_id,
            outcome=outcome,
            started_at=c.started_at,
            finished_at=now,
            operator=c.operator or self.policy.operator,
            direction=None if c.direction == "unknown" else c.direction,
            gate_alarm=c.gate_alarm,
            wand=c.wand,
            items_held=c.items if c.wand == "metal_found" else [],
            celsius=deciding,
            fever_threshold_celsius=self.policy.fever_threshold_celsius,
            temperatures=c.readings,
            steps=c.steps,
            incomplete_reason=reason,
            note=c.note,
        )
        out.append(Emit("check", data))
        self.finished[outcome] = self.finished.get(outcome, 0) + 1
        color: LampColor = "green" if outcome == "cleared" else "red"
        self._hold = (color, now + timedelta(seconds=self.policy.lamp_hold_s))
        if outcome != "cleared":
            out.append(Buzz("alert"))
        elif self.policy.release_on_clear:
            out.append(Release(c.check_id))

    # -- lamp -------------------------------------------------------------------------------------
    def lamp_for(self, now: datetime) -> LampColor:
        if self.pending_alarm is not None or any(c.needs_wand for c in self.open):
            return "red"
        if self.open:
            return "amber"
        if self._hold is not None and now < self._hold[1]:
            return self._hold[0]
        return "off"

    def _lamp(self, now: datetime, out: list[Effect]) -> None:
        color = self.lamp_for(now)
        if color != self.lamp:
            self.lamp = color
            out.append(Lamp(color))


def _zones(mask: int | None, level: int | None) -> str | None:
    if mask is None and level is None:
        return None
    return f"zones {mask or 0:#x} level {level if level is not None else '?'}"


def _no_check(check_id: str | None) -> str:
    if check_id:
        return f"check {check_id} is not in progress (finished or unknown)"
    return "no check in progress: a check starts when a person passes the gate"
