"""Camera liveness: offline when no frame has arrived for `offline_after_s`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class LivenessChange:
    state: Literal["online", "offline"]
    reason: str | None


class OfflineWatch:
    """Pure state machine over (time of last frame, now). Starts "unknown": the first
    frame reports online; no frame within `offline_after_s` of start reports offline."""

    def __init__(self, offline_after_s: float, started_s: float) -> None:
        self.offline_after_s = offline_after_s
        self.state: Literal["unknown", "online", "offline"] = "unknown"
        self._started_s = started_s
        self.last_error: str | None = None

    def update(self, last_frame_s: float | None, now_s: float) -> LivenessChange | None:
        reference = last_frame_s if last_frame_s is not None else self._started_s
        fresh = last_frame_s is not None and now_s - last_frame_s < self.offline_after_s
        if fresh and self.state != "online":
            self.state = "online"
            return LivenessChange("online", None)
        if not fresh and self.state != "offline" and now_s - reference >= self.offline_after_s:
            self.state = "offline"
            gap = now_s - reference
            why = f"no frame for {gap:.0f} s"
            if self.last_error:
                why += f": {self.last_error}"
            return LivenessChange("offline", why[:200])
        return None
