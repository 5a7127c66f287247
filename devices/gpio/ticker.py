"""`Ticker`: one small thread that polls every debounced input of a device every `tick_s`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, tick_s: float = 0.002, name: str = "gpio-ticker") -> None:
        self.tick_s = tick_s
        self._jobs: list[Callable[[], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._name = name

    def add(self, job: Callable[[], object]) -> None:
        self._jobs.append(job)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            for job in self._jobs:
                try:
                    job()
                except Exception:  # one bad callback must not stop the others
                    log.exception("GPIO poll job failed")
