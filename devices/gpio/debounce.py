"""A "stable for N ms" debounce filter, and a gpiozero input wrapped in it.

Why our own: gpiozero's software `bounce_time` ignores changes for a while after an edge,
which drops the next real edge when a pulse is shorter than the bounce time (gpiozero
issue #1039) and can miss releases (#550); its MockFactory pins do not bounce at all, so
tests cannot show the difference. This filter accepts a new level only after the raw input
has stayed at it for `stable_s`: bursts of contact chatter shorter than that are ignored,
and every change that lasts is reported exactly once, with the time it started.

`StableFilter` is pure (the caller passes timestamps), so it is tested with an injected
clock. `DebouncedInput` feeds it from a gpiozero device's edge callbacks and from
sampling, and a `poll(now)` call (from the driver's tick thread) reports confirmed changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class StableFilter:
    """Report a level once it has been stable for `stable_s` seconds.

    `edge(level, now)` records a raw reading (edges or samples; repeats are harmless);
    `poll(now)` returns the newly accepted level, or None if nothing new is confirmed.
    `changed_at` is when the accepted level began (its first raw edge), so durations
    measured between accepted changes are not skewed by the filter delay.
    """

    def __init__(self, stable_s: float, initial: bool, now: float = 0.0) -> None:
        if stable_s < 0:
            raise ValueError("stable_s must be >= 0")
        self.stable_s = stable_s
        self.value = initial
        self.changed_at = now
        self._raw = initial
        self._raw_since = now
        self.glitches = 0
        """Raw excursions that did not last `stable_s` (bounce or interference)."""

    def edge(self, level: bool, now: float) -> None:
        if level == self._raw:
            return
        if self._raw != self.value:  # an unconfirmed excursion ends: that was a glitch
            self.glitches += 1
        self._raw = level
        self._raw_since = now

    def poll(self, now: float) -> bool | None:
        if self._raw != self.value and now - self._raw_since >= self.stable_s:
            self.value = self._raw
            self.changed_at = self._raw_since
            return self.value
        return None

    def update(self, level: bool, now: float) -> bool | None:
        """`edge` then `poll`: for sampled inputs."""
        self.edge(level, now)
        return self.poll(now)


class DebouncedInput:
    """A gpiozero input device (pull-up, `bounce_time=None`) seen through a StableFilter.

    `active_means` says what an *active* device (contact closed to ground) means to us;
    e.g. a normally-closed alarm contact is active while all is well, so `active_means=False`
    makes `value` True when the contact opens — and also when its wire is cut.
    """

    def __init__(
        self,
        device: Any,
        *,
        stable_s: float,
        clock: Callable[[], float],
        active_means: bool = True,
        on_change: Callable[[bool, float], None] | None = None,
    ) -> None:
        self.device = device
        self.clock = clock
        self.active_means = active_means
        self.on_change = on_change
        self._lock = threading.Lock()
        self.filter = StableFilter(stable_s, self._read(), clock())
        device.when_activated = lambda *_: self._edge(active_means)
        device.when_deactivated = lambda *_: self._edge(not active_means)

    def _read(self) -> bool:
        return bool(self.device.is_active) == self.active_means

    def _edge(self, level: bool) -> None:
        with self._lock:
            self.filter.edge(level, self.clock())

    @property
    def value(self) -> bool:
        return self.filter.value

    def poll(self, now: float | None = None) -> bool | None:
        """Sample the pin, then report a confirmed change (and call `on_change`)."""
        t = self.clock() if now is None else now
        with self._lock:
            self.filter.edge(self._read(), t)
            new = self.filter.poll(t)
            at = self.filter.changed_at
        if new is not None and self.on_change is not None:
            self.on_change(new, at)
        return new

    def close(self) -> None:
        self.device.when_activated = None
        self.device.when_deactivated = None
        self.device.close()
