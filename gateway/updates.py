"""Live updates for the dashboard: a thread-safe fan-out from the ingest and alert threads to
the event loop's subscribers (SSE). A slow subscriber loses its oldest updates, never blocks
ingestion: its subscription counts what it lost, and the stream tells the page to reload from
the API (topic "resync")."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

QUEUE_SIZE = 1000


class Subscription:
    """One subscriber's bounded queue, fed on its event loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int = QUEUE_SIZE) -> None:
        self.loop = loop
        self._items: deque[dict[str, Any]] = deque()
        self._size = size
        self._ready = asyncio.Event()
        self.dropped = 0
        """Updates lost because this subscriber fell behind (reset by `take_dropped`)."""

    def offer(self, item: dict[str, Any]) -> None:  # on self.loop's thread
        if len(self._items) >= self._size:
            self._items.popleft()  # drop the oldest
            self.dropped += 1
        self._items.append(item)
        self._ready.set()

    def take_dropped(self) -> int:
        n, self.dropped = self.dropped, 0
        return n

    async def get(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next update, or None after `timeout` seconds without one."""
        while not self._items:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return None
        return self._items.popleft()


class Updates:
    CLOSE = "_close"
    """Topic of the last update a subscriber gets: the gateway is stopping, end the stream."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.queue_size = queue_size

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Called from any thread: `topic` is e.g. "event", "node", "alert", "incident"."""
        item = {"seq": next(self._seq), "topic": topic, "data": data}
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, item)
            except RuntimeError:  # loop closed: the subscriber is gone
                self.unlisten(sub)

    def close(self) -> None:
        """End every open stream (call before stopping the HTTP server: an open SSE response
        would otherwise hold the server's graceful shutdown)."""
        self.publish(self.CLOSE, {})

    def listen(self) -> Subscription:
        """A new subscription on the running loop; `unlisten` it when done."""
        sub = Subscription(asyncio.get_running_loop(), self.queue_size)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unlisten(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        sub = self.listen()
        try:
            while True:
                item = await sub.get()
                if item is not None:
                    if item["topic"] == self.CLOSE:
                        return
                    yield item
        finally:
            self.unlisten(sub)
