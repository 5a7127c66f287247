"""`Backoff`: the retry delays of a device whose port is gone, and how a fault says so.

The first retry waits `min_s`, each failure doubles the wait up to `max_s`, and a success
starts again from `min_s`. `ReconnectingPort` reopens serial ports this way and the Modbus
thermometer its pymodbus client; both word the fault with `port_fault`.
"""

from __future__ import annotations


class Backoff:
    def __init__(self, min_s: float, max_s: float) -> None:
        self.min_s = min_s
        self.max_s = max_s
        self.next_s = min_s

    def failed(self) -> float:
        """The wait before the next attempt; the one after it doubles."""
        wait = self.next_s
        self.next_s = min(wait * 2, self.max_s)
        return wait

    def reset(self) -> None:
        self.next_s = self.min_s


def port_fault(where: str, problem: str, backoff: Backoff) -> str:
    """The fault of a port that failed. The wait doubles after each failed attempt: say so
    rather than quote the first delay, which is only true for the first retry."""
    return (
        f"{where}: {problem}; check the cable and USB adapter; "
        f"retrying after {backoff.min_s:g} s, then less often, at most every {backoff.max_s:g} s"
    )
