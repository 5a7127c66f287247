"""The gateway's end-to-end acknowledgement (contract v1.1): which of a node's events are in
the gateway's database, so the node may delete them from its outbox.

Seqs travel as inclusive ranges (`[[1, 500], [502, 502]]`): a batch of a busy node's events
is nearly always one run, and ranges stay short when one is missing (the node dropped it, or
the gateway dead-lettered it). It is not a "everything up to N" watermark on purpose: a gap
the node made itself (outbox full) would hold such a watermark back for ever.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from devices.contract.models.base import Payload, UtcTime

MAX_RANGES = 1000
"""Ranges in one message at most (a batch holds at most 500 events, so 500 ranges)."""

Seq = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Stored(Payload):
    v: Literal[1] = Field(1, description="payload version")
    seqs: list[tuple[Seq, Seq]] = Field(
        min_length=1,
        max_length=MAX_RANGES,
        description="inclusive [first, last] seq ranges of this node's events now committed "
        "(stored now or earlier), ascending and not overlapping",
    )
    ts: UtcTime = Field(description="gateway clock when the batch committed")

    @model_validator(mode="after")
    def _ordered(self) -> Stored:
        last = 0
        for first, end in self.seqs:
            if first > end or first <= last:
                raise ValueError("seq ranges must be ascending, disjoint and first <= last")
            last = end
        return self

    def count(self) -> int:
        """How many seqs the ranges name."""
        return sum(end - first + 1 for first, end in self.seqs)


def to_ranges(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted, de-duplicated seqs as inclusive runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs
