"""What any gate driver reports, and the interface every implementation follows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from devices.base import Device

Direction = Literal["in", "out", "unknown"]


@dataclass(frozen=True, slots=True)
class GatePassage:
    """A person walked through. `alarm` is set when the gate reports both at once."""

    direction: Direction
    duration_ms: int | None = None
    alarm: bool = False
    zone_mask: int | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class GateAlarm:
    """The metal alarm went off (a dry-contact gate reports it apart from the passage)."""

    zone_mask: int | None = None
    level: int | None = None


GateEvent = GatePassage | GateAlarm
OnGateEvent = Callable[[GateEvent], None]


Gate = Device[GateEvent]
"""A gate driver or simulator: reports passages and alarms."""


@dataclass
class BeamTracker:
    """Direction from two through-beams: A then B is inbound, B then A outbound.

    Pure: `update(beam, blocked, t)` returns a `GatePassage` when both beams are clear
    again after both were blocked; a person who breaks one beam and steps back makes none.
    """

    first: str | None = None
    first_at: float = 0.0
    seen: frozenset[str] = frozenset()
    blocked: frozenset[str] = frozenset()
    aborted: int = 0

    def update(self, beam: str, is_blocked: bool, t: float) -> GatePassage | None:
        if is_blocked:
            if not self.blocked and not self.seen:
                self.first, self.first_at = beam, t
            self.blocked |= {beam}
            self.seen |= {beam}
            return None
        self.blocked -= {beam}
        if self.blocked:
            return None
        out = None
        if self.seen == {"a", "b"}:
            direction: Direction = "in" if self.first == "a" else "out"
            out = GatePassage(direction, round((t - self.first_at) * 1000))
        elif self.seen:
            self.aborted += 1
        self.first, self.seen = None, frozenset()
        return out
