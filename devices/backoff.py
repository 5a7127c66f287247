"""How long to wait before the next retry of something that keeps failing.

A camera that will not open, a serial port unplugged, a Modbus device that does not answer:
each is retried first after `min_s`, then twice as long after every failure, at most every
`max_s`, and at once back to `min_s` after a success. One class, so every device family
retries the same way and says so the same way in its fault message.
"""

from __future__ import annotations


class Backoff:
    """Doubling retry delays from `min_s` up to `max_s`; `reset()` after a success."""

    def __init__(self, min_s: float, max_s: float) -> None:
        if not 0 < min_s <= max_s:
            raise ValueError(f"backoff needs 0 < min_s <= max_s, got {min_s:g} and {max_s:g}")
        self.min_s = min_s
        self.max_s = max_s
        self.delay_s = min_s
        """The wait before the next retry."""

    def next_delay(self) -> float:
        """The wait before this retry; the one after it will be twice as long (up to max_s)."""
        delay = self.delay_s
        self.delay_s = min(self.max_s, delay * 2)
        return delay

    def reset(self) -> None:
        """It worked: the next failure is retried after `min_s` again."""
        self.delay_s = self.min_s

    def describe(self) -> str:
        """For a fault message: when the desk can expect the next attempt."""
        return f"retrying after {self.min_s:g} s, then less often, at most every {self.max_s:g} s"
