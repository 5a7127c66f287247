"""One check's state and the outcome policy (used by `machine.CheckMachine`).

`OpenCheck` is a check in progress (mutable, owned by the machine); `progress()` and
`from_progress()` convert it to and from the `CheckProgress` the node persists, and
`from_record()` rebuilds a closed check from its `CheckData` for a correction. `decide()` is
the outcome policy, most serious first (see the machine's docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from devices.contract.models import CheckData, CheckProgress, CheckStep, TemperatureReading
from devices.contract.models.intake import CheckOutcome, CheckWaitingFor, WandResult

Direction = Literal["in", "out", "unknown"]
MAX_STEPS = 50
MAX_READINGS = 20


@dataclass(frozen=True, slots=True)
class Policy:
    fever_threshold_celsius: float = 37.3
    remeasure_below_celsius: float = 34.0
    hypothermia_screening_below_celsius: float = 35.0
    hypothermia_below_celsius: float = 35.0
    temperature_timeout_s: float = 90.0
    core_timeout_s: float = 600.0
    wand_timeout_s: float = 180.0
    correction_window_s: float = 1800.0
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
    """The screening result (a re-measure reading is not one)."""
    core_celsius: float | None = None
    core_needed_at: datetime | None = None
    """When a screening result below the hypothermia screening threshold asked for core."""
    restarted_at: datetime | None = None
    readings: list[TemperatureReading] = field(default_factory=list)
    steps: list[CheckStep] = field(default_factory=list)
    operator: str | None = None
    note: str | None = None

    @property
    def needs_temperature(self) -> bool:
        return self.result_celsius is None and self.core_celsius is None

    @property
    def needs_core(self) -> bool:
        return self.core_needed_at is not None and self.core_celsius is None

    @property
    def needs_wand(self) -> bool:
        return self.gate_alarm and self.wand is None

    def step(self, name: str, at: datetime, detail: str | None = None) -> None:
        # the last slots are kept for the timeout and outcome steps
        if len(self.steps) < MAX_STEPS - 2 or name in ("outcome", "timeout"):
            self.steps.append(CheckStep(name=name, at=at, detail=detail))

    def read(self, reading: TemperatureReading) -> None:
        if len(self.readings) < MAX_READINGS:
            self.readings.append(reading)

    def waiting_for(self) -> list[CheckWaitingFor]:
        out: list[CheckWaitingFor] = []
        if self.needs_wand:
            out.append("wand")
        if self.needs_temperature:
            out.append("temperature")
        if self.needs_core:
            out.append("core_temperature")
        return out

    def progress(self) -> CheckProgress:
        """The check as persisted on the node and shown at the desk."""
        return CheckProgress(
            check_id=self.check_id,
            started_at=self.started_at,
            direction="unknown" if self.direction == "unknown" else "in",
            waiting_for=self.waiting_for(),
            gate_alarm=self.gate_alarm,
            wand=self.wand,
            items=self.items,
            screening_celsius=self.result_celsius,
            core_celsius=self.core_celsius,
            core_needed_at=self.core_needed_at,
            restarted_at=self.restarted_at,
            temperatures=self.readings,
            steps=self.steps,
            operator=self.operator,
            note=self.note,
        )

    @classmethod
    def from_progress(cls, p: CheckProgress) -> OpenCheck:
        return cls(
            check_id=p.check_id,
            started_at=p.started_at,
            direction=p.direction,
            gate_alarm=p.gate_alarm,
            wand=p.wand,
            items=list(p.items),
            result_celsius=p.screening_celsius,
            core_celsius=p.core_celsius,
            core_needed_at=p.core_needed_at,
            restarted_at=p.restarted_at,
            readings=list(p.temperatures),
            steps=list(p.steps),
            operator=p.operator,
            note=p.note,
        )

    @classmethod
    def from_record(cls, d: CheckData) -> OpenCheck:
        """The state of a closed check, rebuilt from its check event (for corrections)."""
        screening = [r for r in d.temperatures if r.mode != "core" and not r.remeasure]
        core = [r for r in d.temperatures if r.mode == "core"]
        asked = [r for r in screening if r.core_needed]
        return cls(
            check_id=d.check_id,
            started_at=d.started_at,
            direction=d.direction or "unknown",
            gate_alarm=d.gate_alarm,
            wand=d.wand,
            items=list(d.items_held),
            result_celsius=screening[-1].celsius if screening else None,
            core_celsius=core[-1].celsius if core else None,
            core_needed_at=asked[-1].at if asked else None,
            readings=list(d.temperatures),
            steps=list(d.steps),
            operator=d.operator,
            note=d.note,
        )


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
