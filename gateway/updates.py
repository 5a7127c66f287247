"""Live updates for the dashboard: a thread-safe fan-out from the ingest and alert threads to
the event loop's subscribers (SSE). A slow subscriber loses its oldest updates, never blocks
ingestion: the page reloads from the API when it sees a gap (`seq` jumps)."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator
from typing import Any

QUEUE_SIZE = 1000


class Updates:
    def __init__(self) -> None:
        self._subs: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = set()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Called from any thread: `topic` is e.g. "event", "node", "alert", "incident"."""
        item = {"seq": next(self._seq), "topic": topic, "data": data}
        with self._lock:
            subs = list(self._subs)
        for loop, queue in subs:
            try:
                loop.call_soon_threadsafe(_offer, queue, item)
            except RuntimeError:  # loop closed: the subscriber is gone
                with self._lock:
                    self._subs.discard((loop, queue))

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subs.add(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            with self._lock:
                self._subs.discard(entry)


def _offer(queue: asyncio.Queue[dict[str, Any]], item: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()  # drop the oldest
    queue.put_nowait(item)
