"""`LiveRelay`: fan one node stream out to many viewers; start/stop the node on demand.

- The first viewer of a camera sends `live_start` to its node (through `publish_cmd`);
  while anyone watches, `live_start` is re-sent every `renew_s` so the node's own timeout
  (`node_timeout_s`) never ends a watched stream; after the last viewer leaves, `live_stop`.
- Each viewer has a queue of 2 frames; a slow viewer loses old frames, never delays
  others or grows memory (latency over completeness, as in a CCTV wall).
- Every view is recorded (who, which camera, why, from when to when, frames sent) through
  `audit(record)`, once when it starts (`ended_at` None) and once when it ends.
- A view longer than `max_view_s` is ended: a forgotten browser tab does not keep filming
  residents.

`on_frame` may be called from any thread (the MQTT client's); viewers live on asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

StreamKey = tuple[str, str, str]
PublishCmd = Callable[[str, str, str, dict[str, Any]], None]
"""publish_cmd(site, node, action, args): send a `cmd` to a node."""

BOUNDARY = "frame"


@dataclass(frozen=True, slots=True)
class Viewer:
    user: str
    role: str = "supervisor"
    address: str | None = None


@dataclass(slots=True)
class ViewRecord:
    """One live view, for the audit trail."""

    id: int
    user: str
    role: str
    site: str
    node: str
    camera: str
    started_at: datetime
    reason: str | None = None
    address: str | None = None
    ended_at: datetime | None = None
    frames: int = 0
    end_cause: str | None = None


@dataclass(slots=True)
class _Sub:
    record: ViewRecord
    queue: asyncio.Queue[bytes]
    loop: asyncio.AbstractEventLoop


@dataclass(slots=True)
class _Stream:
    subs: list[_Sub] = field(default_factory=list)
    renewed_s: float = 0.0
    frames_in: int = 0
    last_frame_s: float | None = None


class LiveRelay:
    def __init__(
        self,
        publish_cmd: PublishCmd,
        clock: Callable[[], float] = time.monotonic,
        *,
        audit: Callable[[ViewRecord], None] | None = None,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        renew_s: float = 20.0,
        node_timeout_s: float = 60.0,
        max_view_s: float = 1800.0,
        live_args: dict[str, Any] | None = None,
    ) -> None:
        self.publish_cmd = publish_cmd
        self.clock = clock
        self.audit = audit
        self.wall = wall
        self.renew_s = renew_s
        self.node_timeout_s = node_timeout_s
        self.max_view_s = max_view_s
        self.live_args = dict(live_args or {})
        self.views: list[ViewRecord] = []
        """Every view since start (the durable copy goes through `audit`)."""
        self.dropped = 0
        self.stray_frames = 0
        self._streams: dict[StreamKey, _Stream] = {}
        self._lock = threading.Lock()
        self._next_id = 1

    # -- node side ----------------------------------------------------------------------
    def on_frame(self, site: str, node: str, camera: str, jpeg: bytes) -> None:
        """A frame arrived from a node (any thread)."""
        with self._lock:
            stream = self._streams.get((site, node, camera))
            if stream is None or not stream.subs:
                self.stray_frames += 1  # a stream nobody watches any more
                return
            stream.frames_in += 1
            stream.last_frame_s = self.clock()
            subs = list(stream.subs)
        for sub in subs:
            with contextlib.suppress(RuntimeError):  # RuntimeError: the viewer's loop closed
                sub.loop.call_soon_threadsafe(self._offer, sub, jpeg)

    def _offer(self, sub: _Sub, jpeg: bytes) -> None:
        if sub.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                sub.queue.get_nowait()
                self.dropped += 1
        sub.queue.put_nowait(jpeg)

    def _cmd(self, key: StreamKey, action: str) -> None:
        site, node, camera = key
        args: dict[str, Any] = {"camera": camera}
        if action == "live_start":
            args.update(self.live_args)
            args["timeout_s"] = self.node_timeout_s
        try:
            self.publish_cmd(site, node, action, args)
        except Exception:
            log.exception("cannot send %s to %s/%s", action, site, node)

    # -- viewer side ----------------------------------------------------------------------
    def watching(self) -> list[ViewRecord]:
        with self._lock:
            return [s.record for st in self._streams.values() for s in st.subs]

    def _subscribe(self, key: StreamKey, viewer: Viewer, reason: str | None) -> _Sub:
        record = ViewRecord(
            self._next_id,
            viewer.user,
            viewer.role,
            *key,
            started_at=self.wall(),
            reason=reason,
            address=viewer.address,
        )
        sub = _Sub(record, asyncio.Queue(maxsize=2), asyncio.get_running_loop())
        with self._lock:
            self._next_id += 1
            stream = self._streams.setdefault(key, _Stream())
            first = not stream.subs
            stream.subs.append(sub)
            if first:
                stream.renewed_s = self.clock()
            self.views.append(record)
        if first:
            self._cmd(key, "live_start")
        self._audit(record)
        return sub

    def _unsubscribe(self, key: StreamKey, sub: _Sub, cause: str) -> None:
        with self._lock:
            stream = self._streams.get(key)
            if stream is None or sub not in stream.subs:
                return
            stream.subs.remove(sub)
            last = not stream.subs
            if last:
                del self._streams[key]
        sub.record.ended_at = self.wall()
        sub.record.end_cause = cause
        if last:
            self._cmd(key, "live_stop")
        self._audit(sub.record)

    def _audit(self, record: ViewRecord) -> None:
        if self.audit is None:
            return
        try:
            self.audit(record)
        except Exception:
            log.exception("audit of live view %s failed", record.id)

    async def frames(
        self,
        site: str,
        node: str,
        camera: str,
        viewer: Viewer,
        *,
        reason: str | None = None,
        idle_timeout_s: float = 15.0,
    ) -> AsyncIterator[bytes]:
        """JPEG frames for one viewer, until the viewer goes, the stream stays silent for
        `idle_timeout_s`, or the view exceeds `max_view_s`."""
        key = (site, node, camera)
        sub = self._subscribe(key, viewer, reason)
        started = self.clock()
        cause = "viewer left"
        try:
            while True:
                left = self.max_view_s - (self.clock() - started)
                if left <= 0:
                    cause = "max view time"
                    return
                try:
                    jpeg = await asyncio.wait_for(sub.queue.get(), min(idle_timeout_s, left))
                except TimeoutError:
                    if self.clock() - started >= self.max_view_s:
                        cause = "max view time"
                    else:
                        cause = "no frames from node"
                    return
                sub.record.frames += 1
                yield jpeg
        finally:
            self._unsubscribe(key, sub, cause)

    async def mjpeg(
        self, site: str, node: str, camera: str, viewer: Viewer, *, reason: str | None = None
    ) -> AsyncIterator[bytes]:
        """multipart/x-mixed-replace body parts (boundary `BOUNDARY`)."""
        async for jpeg in self.frames(site, node, camera, viewer, reason=reason):
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            ).encode()
            yield head + jpeg + b"\r\n"

    # -- keep-alive ------------------------------------------------------------------------
    def tick(self) -> None:
        """Renew `live_start` of watched streams (call every second or so)."""
        now = self.clock()
        due = []
        with self._lock:
            for key, stream in self._streams.items():
                if stream.subs and now - stream.renewed_s >= self.renew_s:
                    stream.renewed_s = now
                    due.append(key)
        for key in due:
            self._cmd(key, "live_start")

    async def run(self, period_s: float = 1.0) -> None:
        """Background task: `tick()` forever."""
        while True:
            self.tick()
            await asyncio.sleep(period_s)
