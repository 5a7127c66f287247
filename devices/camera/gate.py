"""Persistence gating: a condition must hold for a while before it is raised or cleared."""

from __future__ import annotations


class Persist:
    """Raised once `cond` has held for `raise_after_s`; cleared once it has been false for
    `clear_after_s`. `update` returns True (raised) / False (cleared) on a transition."""

    def __init__(self, raise_after_s: float, clear_after_s: float) -> None:
        self.raise_after_s = raise_after_s
        self.clear_after_s = clear_after_s
        self.active = False
        self._since: float | None = None  # when the current streak (true or false) began

    def update(self, cond: bool, now_s: float) -> bool | None:
        if cond != self.active:
            if self._since is None:
                self._since = now_s
            wait = self.raise_after_s if cond else self.clear_after_s
            if now_s - self._since >= wait:
                self.active = cond
                self._since = None
                return cond
        else:
            self._since = None
        return None

    def reset(self) -> None:
        self.active = False
        self._since = None
