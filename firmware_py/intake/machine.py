"""The intake check as a pure state machine: inputs in, effects out, no IO, no clock.

Every arriving person gets one check. A passage through the gate (direction in or
unknown) opens it; a temperature result is mandatory for everyone; a gate alarm makes a
handheld-wand result mandatory. The check finishes as soon as its mandatory steps are
there (but not before `alarm_window_s` after the passage, so a late gate alarm still
finds it), or when the operator records a refusal, or times out as `incomplete`.

Which check a thermometer reading belongs to (the person in front of the thermometer):
the check the desk selected for the next reading (`Select`, while it still waits for a
temperature), else the check that passed the gate **most recently** among those still
waiting for a temperature and still inside their reading window
(`temperature_timeout_s` after the passage). A check whose window ran out takes no later
reading: it closes as ``incomplete`` (walked past). So "A walks past, B is measured"
gives B the reading and A the walk-past. A reading with no such check is recorded with no
check. Wand results go to the oldest check waiting for one (the desk serves alarms in the
order they came through) unless the desk names the check.

Temperatures (thresholds from `Policy`, set in the intake config):
a non-core reading below `remeasure_below_celsius` (34 °C) is not a result but a request to
re-measure; a non-core reading below `hypothermia_screening_below_celsius` (35 °C) is a
result that holds the check open waiting for a **core temperature** (the desk is told;
the lamp stays amber; it takes no further screening reading) — screening alone never clears
a cold person; if no core temperature comes within `core_timeout_s` the check ends
``incomplete``. A core temperature can be entered on any open check and overrides the
screening reading (screening is not diagnosis). Entered on a check that already closed,
within `correction_window_s`, and whose outcome was decided by screening (a fever, a low
reading or only re-measure readings), it is a **correction**: the check is decided again
and a new `check` event with the same check_id and `revision` + 1 is emitted
(`corrected_from` says what it replaces; no turnstile pulse); the first event stays in the
history.

Outcome, most serious first (the check event still lists everything that happened):
``refused`` (operator) > ``hypothermia_referral`` (confirmed core below
`hypothermia_below_celsius`) > ``fever_referral`` (core, or else screening, ≥ threshold) >
``items_held`` (wand found metal) > ``cleared``; ``incomplete`` if a mandatory step never
came (the reason says which).

Operator inputs apply only in the state they are meant for, and are otherwise `Rejected`
with a sentence for the desk, recording nothing: a wand result needs a check without one
(from the dashboard: one waiting for the wand, unless it names the check); the desk's
"admit"/"items held" (`WandEntry.decides`) needs a check whose only missing step is the
wand; a selection needs a check still waiting for a screening reading; a core temperature
needs an open check or a correctable closed one; a refusal needs an open check.

After a node restart (`Restore`) the persisted open checks come back: one still inside its
windows resumes, one whose window ran out while the node was down closes as
``incomplete`` at once; a restarted check that times out has a reason starting with
"node restarted".

The lamp is derived from the state: red while a gate alarm waits for the wand, amber
while any check waits for a step, then the outcome's colour (green cleared, red
otherwise) for `lamp_hold_s`, then off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from devices.contract import codec
from devices.contract.models import (
    CheckData,
    CheckProgress,
    CheckStep,
    GateData,
    MetalData,
    Payload,
    TemperatureData,
    TemperatureReading,
)
from devices.contract.models.intake import CheckOutcome, TemperatureMode, WandResult
from firmware_py.intake.check import (
    MAX_STEPS,
    Direction,
    OpenCheck,
    Policy,
    decide,
)

# OpenCheck, Policy and decide (the check's state and outcome policy) live in check.py and are
# imported from here too.

LampColor = Literal["off", "green", "amber", "red"]
MAX_REVISION = 20
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
    decides: bool = False
    """The desk's "admit" / "items held" button: an outcome, valid only when the wand
    result is the one step the check still misses."""


@dataclass(frozen=True, slots=True)
class Refusal:
    at: datetime
    operator: str | None = None
    note: str | None = None
    check_id: str | None = None


@dataclass(frozen=True, slots=True)
class Select:
    """The desk names the check the next thermometer reading belongs to."""

    at: datetime
    check_id: str


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime


@dataclass(frozen=True, slots=True)
class Restore:
    """The node restarted: the checks that were open (and recently closed) come back."""

    at: datetime
    open: tuple[CheckProgress, ...] = ()
    closed: tuple[CheckData, ...] = ()


Input = (
    Passage | GateAlarm | Reading | CoreTemperature | WandEntry | Refusal | Select | Tick | Restore
)


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
    """An operator input that could not be applied, with a sentence for the desk."""

    reason: str


Effect = Emit | Lamp | Buzz | Release | Rejected


@dataclass(frozen=True, slots=True)
class _PendingAlarm:
    at: datetime
    device: str | None
    zone_mask: int | None
    level: int | None


class CheckMachine:
    def __init__(self, policy: Policy, *, new_id: Callable[[], str] = codec.new_id) -> None:
        self.policy = policy
        self.new_id = new_id
        self.open: list[OpenCheck] = []
        self.closed: dict[str, CheckData] = {}
        """Checks closed within `correction_window_s`, by id: the last check event of each."""
        self.selected: str | None = None
        self.dirty = False
        """Something worth persisting changed since the owner last cleared this (every input
        that emits, a late gate alarm attached, a restore, a closed check forgotten)."""
        self.pending_alarm: _PendingAlarm | None = None
        self.lamp: LampColor = "off"
        self._hold: tuple[LampColor, datetime] | None = None
        self.finished: dict[str, int] = {}
        """Outcome counts since start."""

    # -- queries ---------------------------------------------------------------------------------
    def current(self) -> OpenCheck | None:
        """The check at the desk: the oldest one still open."""
        return self.open[0] if self.open else None

    def _get(self, check_id: str) -> OpenCheck | None:
        return next((c for c in self.open if c.check_id == check_id), None)

    def _in_window(self, c: OpenCheck, now: datetime) -> bool:
        return (now - c.started_at).total_seconds() < self.policy.temperature_timeout_s

    def reading_target(self, now: datetime) -> OpenCheck | None:
        """The check a thermometer reading taken at `now` belongs to (see the module doc)."""
        waiting = [c for c in self.open if c.needs_temperature and self._in_window(c, now)]
        chosen = next((c for c in waiting if c.check_id == self.selected), None)
        if chosen is not None:
            return chosen
        return max(waiting, key=lambda c: c.started_at, default=None)

    # -- the transition function ------------------------------------------------------------------
    def handle(self, inp: Input) -> list[Effect]:
        out: list[Effect] = []
        self._expire(inp.at, out)
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
            case Select():
                self._select(inp, out)
            case Restore():
                self._restore(inp)
            case Tick():
                pass
        self._timeouts(inp.at, out)
        self._lamp(inp.at, out)
        if any(isinstance(e, Emit) for e in out):
            self.dirty = True
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
            self.dirty = True
        # else: a nuisance alarm with nobody passing — its gate event is the record.

    # -- temperature ---------------------------------------------------------------------------
    def _reading(self, r: Reading, out: list[Effect]) -> None:
        if not READING_RANGE_C[0] <= r.celsius <= READING_RANGE_C[1]:
            out.append(Rejected(f"reading {r.celsius} °C is not a body temperature; ignored"))
            return
        c = self.reading_target(r.at)
        screening = r.mode != "core"
        remeasure = screening and r.celsius < self.policy.remeasure_below_celsius
        core_needed = (
            screening
            and not remeasure
            and r.celsius < self.policy.hypothermia_screening_below_celsius
        )
        out.append(
            Emit(
                "temperature",
                TemperatureData(
                    celsius=r.celsius,
                    mode=r.mode,
                    object_celsius=r.object_celsius,
                    ambient_celsius=r.ambient_celsius,
                    remeasure=remeasure,
                    core_needed=core_needed,
                    check_id=c.check_id if c else None,
                ),
                r.device,
            )
        )
        if c is None:
            return  # a reading with nobody checked-in: recorded, not part of a check
        if self.selected == c.check_id:
            self.selected = None
        c.read(
            TemperatureReading(
                celsius=r.celsius,
                mode=r.mode,
                at=r.at,
                device=r.device,
                remeasure=remeasure,
                core_needed=core_needed,
            )
        )
        if remeasure:
            c.step("remeasure", r.at, f"{r.celsius:.1f} °C")
            out.append(Buzz("remeasure"))
            return
        if r.mode == "core":
            c.core_celsius = r.celsius
        else:
            c.result_celsius = r.celsius
        c.step("temperature", r.at, f"{r.celsius:.1f} °C {r.mode}")
        if core_needed:
            # Screening alone never clears a cold person: the desk must take a core reading.
            c.core_needed_at = r.at
            c.step(
                "core_needed",
                r.at,
                f"{r.celsius:.1f} °C below "
                f"{self.policy.hypothermia_screening_below_celsius:g} °C: core temperature needed",
            )
            out.append(Buzz("alert"))
        self._try_finish(c, r.at, out)

    def _core(self, k: CoreTemperature, out: list[Effect]) -> None:
        if k.check_id is not None:
            c = self._get(k.check_id)
            if c is None:
                self._correct(k, out)
                return
        else:
            c = (
                next((c for c in self.open if c.needs_core), None)
                or self.reading_target(k.at)
                or (self.open[-1] if self.open else None)
            )
            if c is None:
                out.append(Rejected(_no_check(None)))
                return
        c.core_celsius = k.celsius
        c.operator = k.operator or c.operator
        c.read(TemperatureReading(celsius=k.celsius, mode="core", at=k.at))
        c.step("temperature", k.at, f"{k.celsius:.1f} °C core")
        out.append(
            Emit(
                "temperature", TemperatureData(celsius=k.celsius, mode="core", check_id=c.check_id)
            )
        )
        self._try_finish(c, k.at, out)

    def _correct(self, k: CoreTemperature, out: list[Effect]) -> None:
        """A core temperature for a check that already closed (see the module doc)."""
        assert k.check_id is not None
        last = self.closed.get(k.check_id)
        if last is None:
            out.append(
                Rejected(
                    f"check {k.check_id} is not in progress, and it did not close in the last "
                    f"{self.policy.correction_window_s / 60:g} min: no correction possible"
                )
            )
            return
        why_not = self._not_correctable(last)
        if why_not:
            out.append(Rejected(f"check {k.check_id} finished as {last.outcome}: {why_not}"))
            return
        c = OpenCheck.from_record(last)
        c.core_celsius = k.celsius
        c.operator = k.operator or c.operator
        c.read(TemperatureReading(celsius=k.celsius, mode="core", at=k.at))
        # the record's steps end with "outcome": the correction goes after it
        c.steps = c.steps[: MAX_STEPS - 2]
        c.steps.append(CheckStep(name="correction", at=k.at, detail=f"{k.celsius:.1f} °C core"))
        missing = [w for w in c.waiting_for() if w != "core_temperature"]
        outcome: CheckOutcome = "incomplete" if missing else decide(c, self.policy)
        c.steps.append(CheckStep(name="outcome", at=k.at, detail=outcome))
        reason = last.incomplete_reason if missing else None
        out.append(
            Emit(
                "temperature", TemperatureData(celsius=k.celsius, mode="core", check_id=c.check_id)
            )
        )
        data = self._record(c, outcome, last.finished_at, reason).model_copy(
            update={
                "revision": last.revision + 1,
                "corrected_from": last.outcome,
                "corrected_at": k.at,
            }
        )
        self.closed[c.check_id] = data
        out.append(Emit("check", data))
        # no turnstile pulse: the person may have left the desk long ago (the desk can
        # release it by hand); the lamp and buzzer still show the new outcome
        self._show(outcome, k.at, c.check_id, out, release=False)

    def _not_correctable(self, d: CheckData) -> str | None:
        if d.revision >= MAX_REVISION:
            return f"it was already corrected {d.revision} times"
        screening = [r for r in d.temperatures if r.mode != "core"]
        if any(r.mode == "core" for r in d.temperatures):
            return "it already has a core temperature"
        if not screening:
            return "it has no screening reading to correct"
        if d.outcome == "refused":
            return "the person refused the check"
        low = d.celsius is None or d.celsius < self.policy.hypothermia_screening_below_celsius
        if d.outcome == "fever_referral" or (d.outcome == "incomplete" and low):
            return None
        return "only a screening fever or a low screening reading can be corrected"

    def _select(self, s: Select, out: list[Effect]) -> None:
        c = self._get(s.check_id)
        if c is None:
            out.append(Rejected(self._gone(s.check_id)))
        elif not c.needs_temperature:
            out.append(Rejected(f"check {s.check_id} already has its temperature"))
        else:  # (a check past its reading window was closed before this input)
            self.selected = c.check_id

    # -- wand and operator -----------------------------------------------------------------------
    def _wand(self, w: WandEntry, out: list[Effect]) -> None:
        if w.check_id is not None:
            c = self._get(w.check_id)
            if c is None:
                out.append(Rejected(self._gone(w.check_id)))
                return
        else:
            c = next((c for c in self.open if c.needs_wand), None)
            if c is None and w.source == "keypad":
                # a key pressed after wanding someone the gate did not flag: it happened
                c = next((c for c in self.open if c.wand is None), None)
            if c is None:
                out.append(
                    Rejected(
                        "no check is waiting for a wand result (no gate alarm)"
                        if self.open
                        else _no_check(None)
                    )
                )
                return
        if c.wand is not None:
            out.append(Rejected(f"check {c.check_id} already has a wand result ({c.wand})"))
            return
        if w.decides:
            problem = self._cannot_decide(c)
            if problem:
                out.append(Rejected(problem))
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

    def _cannot_decide(self, c: OpenCheck) -> str | None:
        """Why the desk cannot give this check an outcome yet (None: it can)."""
        if c.needs_temperature:
            return (
                f"check {c.check_id} has no temperature yet: measure the person at the "
                "thermometer (or enter a core temperature) before deciding"
            )
        if c.needs_core:
            return (
                f"check {c.check_id} waits for a core temperature (screening "
                f"{c.result_celsius:.1f} °C is below "
                f"{self.policy.hypothermia_screening_below_celsius:g} °C): enter it first"
            )
        if not c.needs_wand:
            return f"check {c.check_id} needs no wand result: the gate did not alarm"
        return None

    def _refusal(self, r: Refusal, out: list[Effect]) -> None:
        if r.check_id is not None:
            c = self._get(r.check_id)
            if c is None:
                out.append(Rejected(self._gone(r.check_id)))
                return
        else:
            c = self.current()
            if c is None:
                out.append(Rejected(_no_check(None)))
                return
        c.operator = r.operator or c.operator
        c.note = r.note
        self._finish(c, "refused", r.at, out)

    def _gone(self, check_id: str) -> str:
        last = self.closed.get(check_id)
        if last is not None:
            return f"check {check_id} already finished as {last.outcome}"
        return _no_check(check_id)

    # -- restart ----------------------------------------------------------------------------------
    def _restore(self, r: Restore) -> None:
        for p in r.open:
            if self._get(p.check_id) is not None:
                continue
            c = OpenCheck.from_progress(p)
            c.restarted_at = r.at
            c.step("restart", r.at, "node restarted while the check was open")
            self.open.append(c)
        self.open.sort(key=lambda c: c.started_at)
        for d in sorted(r.closed, key=lambda d: d.finished_at):
            self.closed.setdefault(d.check_id, d)
        self.dirty = True

    # -- finishing ------------------------------------------------------------------------------
    def _try_finish(self, c: OpenCheck, now: datetime, out: list[Effect]) -> None:
        if c.waiting_for() or now - c.started_at < self._window or self.pending_alarm:
            return
        self._finish(c, decide(c, self.policy), now, out)

    def _missing(self, c: OpenCheck, now: datetime) -> list[str]:
        """What `c` has been missing too long at `now` (empty: nothing timed out)."""
        p = self.policy
        missing = []
        age_s = (now - c.started_at).total_seconds()
        if c.needs_temperature and age_s >= p.temperature_timeout_s:
            only_low = any(r.remeasure for r in c.readings)
            missing.append(
                f"no temperature result within {p.temperature_timeout_s:g} s"
                + (
                    f" (only re-measure readings below {p.remeasure_below_celsius:g} °C)"
                    if only_low
                    else " (walked past?)"
                )
            )
        asked = c.core_needed_at
        if c.needs_core and asked and (now - asked).total_seconds() >= p.core_timeout_s:
            missing.append(
                f"screening {c.result_celsius:.1f} °C below "
                f"{p.hypothermia_screening_below_celsius:g} °C and no core temperature "
                f"within {p.core_timeout_s:g} s"
            )
        if c.needs_wand and age_s >= p.wand_timeout_s:
            missing.append(f"gate alarm without wand result within {p.wand_timeout_s:g} s")
        return missing

    def _expire(self, now: datetime, out: list[Effect]) -> None:
        """Close the checks that missed a step for too long, and forget closed checks past
        the correction window. Runs before each input too, so an input never reaches a
        check whose window ran out before it."""
        for c in list(self.open):
            missing = self._missing(c, now)
            if missing:
                reason = "; ".join(missing)
                if c.restarted_at is not None:
                    reason = "node restarted; " + reason
                c.step("timeout", now, reason[:200])
                self._finish(c, "incomplete", now, out, reason=reason[:200])
        # `closed` is in closing order (a correction keeps its check's place and closing
        # time), so only its head can have expired: O(1) per input, not O(checks kept)
        keep = timedelta(seconds=self.policy.correction_window_s)
        while self.closed:
            cid, d = next(iter(self.closed.items()))
            if now - d.finished_at < keep:
                break
            del self.closed[cid]
            self.dirty = True

    def _timeouts(self, now: datetime, out: list[Effect]) -> None:
        self._settle_pending(now, out)
        self._expire(now, out)
        for c in list(self.open):
            self._try_finish(c, now, out)

    def _record(
        self, c: OpenCheck, outcome: CheckOutcome, now: datetime, reason: str | None
    ) -> CheckData:
        deciding = c.core_celsius if c.core_celsius is not None else c.result_celsius
        return CheckData(
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

    def _finish(
        self,
        c: OpenCheck,
        outcome: CheckOutcome,
        now: datetime,
        out: list[Effect],
        reason: str | None = None,
    ) -> None:
        self.open.remove(c)
        if self.selected == c.check_id:
            self.selected = None
        c.step("outcome", now, outcome)
        data = self._record(c, outcome, now, reason)
        self.closed[c.check_id] = data
        out.append(Emit("check", data))
        self.finished[outcome] = self.finished.get(outcome, 0) + 1
        self._show(outcome, now, c.check_id, out)

    def _show(
        self,
        outcome: CheckOutcome,
        now: datetime,
        check_id: str,
        out: list[Effect],
        release: bool = True,
    ) -> None:
        color: LampColor = "green" if outcome == "cleared" else "red"
        self._hold = (color, now + timedelta(seconds=self.policy.lamp_hold_s))
        if outcome != "cleared":
            out.append(Buzz("alert"))
        elif release and self.policy.release_on_clear:
            out.append(Release(check_id))

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
