"""What one node may make the gateway store, as pure decisions (the writer applies them).

- `clock_flag`: a node timestamp too far ahead of the gateway or older than any event an
  outbox keeps is not believed. The event is **stored with the gateway's receive time** and
  flagged (`events.clock_flag`, the node's own time in `events.node_ts`), not dead-lettered:
  a Pi without a real-time clock boots in 1970 or at its last shutdown until NTP answers, and
  the check it records in that minute is as real as any other. Keeping the node's time would
  sort a year-9999 event above everything forever and open a 1976 incident already overdue.
- `SeqLedger.count`: a seq jump beyond `seq_reset_gap` is taken as the node starting a new
  numbering (reinstalled, outbox wiped, forged), not as a billion lost events; what was lost
  before the jump is carried over in `lost_before_reset`.
- `DeadletterBudget`: one node's dead letters may take `deadletter_budget_bytes` per UTC day;
  past it they are counted (metrics, and one `deadletter_budget` row a day), not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field


class IngestLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_clock_ahead_s: float = Field(
        600, gt=0, description="a node time further ahead than this is replaced and flagged"
    )
    max_event_age_s: float = Field(
        31 * 86400,
        gt=0,
        description="a node time older than this (the outbox keeps events 30 days) is "
        "replaced and flagged",
    )
    seq_reset_gap: int = Field(
        100_000,
        ge=1000,
        description="a seq this far beyond a node's range starts a new range (node reset)",
    )
    deadletter_budget_bytes: int = Field(
        16 * 1024**2,
        ge=64 * 1024,
        description="dead-letter bytes one node may store per UTC day; past it only counted",
    )


class IngestRefused(ValueError):
    """A well-formed message the gateway will not take from this sender; `reason` is the
    dead letter's reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.detail = message


def clock_flag(ts: datetime, received_at: datetime, limits: IngestLimits) -> str | None:
    """ "ahead" or "stale" if the node's `ts` is not to be believed, else None."""
    if ts - received_at > timedelta(seconds=limits.max_clock_ahead_s):
        return "ahead"
    if received_at - ts > timedelta(seconds=limits.max_event_age_s):
        return "stale"
    return None


@dataclass(frozen=True, slots=True)
class SeqLedger:
    """A node's seq accounting: lost = (max - first + 1 - received) + lost_before_reset."""

    first: int | None = None
    max: int | None = None
    received: int = 0
    lost_before_reset: int = 0
    resets: int = 0

    @property
    def lost(self) -> int:
        if self.first is None or self.max is None:
            return self.lost_before_reset
        return max(0, self.max - self.first + 1 - self.received) + self.lost_before_reset

    def count(self, seq: int, gap: int) -> SeqLedger:
        if self.first is None or self.max is None:
            return replace(self, first=seq, max=seq, received=self.received + 1)
        if self.first - gap <= seq <= self.max + gap:
            return replace(
                self,
                first=min(self.first, seq),
                max=max(self.max, seq),
                received=self.received + 1,
            )
        carried = max(0, self.max - self.first + 1 - self.received)
        return SeqLedger(seq, seq, 1, self.lost_before_reset + carried, self.resets + 1)


class DeadletterBudget:
    """Per source ("site/node") bytes stored today; `load` reads today's figure from the
    database the first time a source is seen each day, so a restart does not reset it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used: dict[str, tuple[str, int]] = {}  # source -> (day, bytes)

    def day(self, at: datetime) -> str:
        return at.date().isoformat()

    def known(self, source: str, at: datetime) -> bool:
        entry = self._used.get(source)
        return entry is not None and entry[0] == self.day(at)

    def load(self, source: str, at: datetime, used: int) -> None:
        self._used[source] = (self.day(at), used)

    def take(self, source: str, at: datetime, size: int) -> bool:
        """Count `size` bytes if they fit today's budget; False (nothing counted) if not."""
        day, used = self._used.get(source, (self.day(at), 0))
        if day != self.day(at):
            used = 0
        if used + size > self.limit:
            self._used[source] = (self.day(at), used)
            return False
        self._used[source] = (self.day(at), used + size)
        return True

    def snapshot(self) -> dict[str, tuple[str, int]]:
        return dict(self._used)

    def restore(self, saved: dict[str, tuple[str, int]]) -> None:
        self._used = saved
