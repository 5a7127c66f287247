"""`MediaStore`: media files on disk with retention limits and logged deletions.

Layout: ``{root}/{site}/{node}/{event_id}-{n}.{jpg|avi|mp4}`` (n counts the items of one
event: the snapshot, the clip, a later best shot). Files are written to a temporary name
and renamed, so a crash never leaves half a JPEG under a real name. The index is rebuilt
from the directory at start: the files are the record.

Retention (images of vulnerable people are kept only as long as needed):
- `max_age_s`: older items are deleted by `purge()` (call it every few minutes);
- `max_node_bytes`: one node's media; a node past it loses its own oldest items, never
  another node's (a hostile or broken camera cannot evict the others' evidence);
- `max_total_bytes`: past it the oldest items of the node holding the most bytes go first;
- `hold(event_id)`: a legal hold; held items are never purged;
every deletion is reported to `on_delete(item, reason)` for the audit trail.

The same payload for the same event is stored once (a retained message re-delivered at each
gateway reconnect). Ingest files media only for an event the same node sent (`save`), or parks
it until that event arrives (`park`, `adopt`: gateway/media/pending.py).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from devices.contract.media import CONTENT_TYPES, MediaType, sniff
from devices.contract.topics import EVENT_ID, SLUG
from gateway.media.pending import PendingMedia, write_whole

log = logging.getLogger(__name__)

_EXT: dict[MediaType, str] = {"jpeg": "jpg", "avi": "avi", "mp4": "mp4"}
_KIND = {v: k for k, v in _EXT.items()}
PENDING_DIR = ".pending"
_NAME = re.compile(r"^(?P<event>[0-9A-Za-z-]{16,40})-(?P<n>\d+)\.(?P<ext>jpg|avi|mp4)$")


class MediaLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_total_bytes: int = Field(
        20 * 1024**3, ge=1024 * 1024, description="disk budget for all media"
    )
    max_age_s: float = Field(30 * 86400, gt=0, description="delete media older than this")
    max_item_bytes: int = Field(16 * 1024**2, ge=1024, description="largest accepted item")
    max_items_per_event: int = Field(8, ge=1, le=100, description="items kept per event")
    max_node_bytes: int = Field(
        4 * 1024**3,
        ge=1024 * 1024,
        description="disk budget for one node's media: past it that node's oldest items go",
    )
    pending_max_node_bytes: int = Field(
        64 * 1024**2,
        ge=1024 * 1024,
        description="media of one node waiting for its event (arrived first); past it refused",
    )
    pending_max_age_s: float = Field(
        6 * 3600,
        gt=0,
        description="media waiting this long for its event from the same node is deleted",
    )


class MediaRejected(ValueError):
    """A media payload that is not stored; `reason` is short and machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MediaItem:
    site: str
    node: str
    event_id: str
    n: int
    kind: MediaType
    path: Path
    size: int
    stored_at: float

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


class MediaStore:
    def __init__(
        self,
        path: Path | str,
        limits: MediaLimits | None = None,
        *,
        clock: Callable[[], float] = time.time,
        on_delete: Callable[[MediaItem, str], None] | None = None,
    ) -> None:
        self.root = Path(path)
        self.limits = limits or MediaLimits()
        self.clock = clock
        self.on_delete = on_delete
        self.rejected: dict[str, int] = {}
        self._lock = threading.Lock()
        self._items: dict[str, list[MediaItem]] = {}
        self._holds: set[str] = set()
        self._bytes = 0
        self._node_bytes: dict[tuple[str, str], int] = {}
        self.root.mkdir(parents=True, exist_ok=True)
        self.pending = PendingMedia(self.root / PENDING_DIR, clock=clock)
        self._scan()

    # -- index ----------------------------------------------------------------------------
    def _scan(self) -> None:
        for f in self.root.glob("*/*/*"):
            if f.parent.parent.name == PENDING_DIR:
                continue
            if f.suffix == ".hold":
                self._holds.add(f.stem)
                continue
            m = _NAME.match(f.name)
            if m is None:
                if f.name.startswith(".tmp-"):
                    f.unlink(missing_ok=True)  # an interrupted write
                continue
            st = f.stat()
            item = MediaItem(
                f.parent.parent.name,
                f.parent.name,
                m["event"],
                int(m["n"]),
                _KIND[m["ext"]],
                f,
                st.st_size,
                st.st_mtime,
            )
            self._items.setdefault(item.event_id, []).append(item)
            self._count(item, +1)
        for items in self._items.values():
            items.sort(key=lambda i: i.n)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def items(self, event_id: str) -> list[MediaItem]:
        with self._lock:
            return list(self._items.get(event_id, []))

    def event_ids(self) -> set[str]:
        """Events that have media here."""
        with self._lock:
            return set(self._items)

    def held(self) -> set[str]:
        """Events under a hold here."""
        with self._lock:
            return set(self._holds)

    def get(self, event_id: str, n: int) -> MediaItem | None:
        return next((i for i in self.items(event_id) if i.n == n), None)

    # -- writing --------------------------------------------------------------------------
    def _reject(self, reason: str, message: str) -> MediaRejected:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return MediaRejected(reason, message)

    def _check(self, site: str, node: str, event_id: str, payload: bytes) -> MediaType:
        if not (SLUG.match(site) and SLUG.match(node) and EVENT_ID.match(event_id)):
            raise self._reject("bad_topic", f"{site}/{node}/media/{event_id}: bad ids")
        if len(payload) > self.limits.max_item_bytes:
            raise self._reject(
                "too_large", f"{len(payload)} bytes over {self.limits.max_item_bytes}"
            )
        kind = sniff(payload)
        if kind is None:
            raise self._reject("unknown_type", f"media of {event_id} is not JPEG, AVI or MP4")
        return kind

    def _count(self, item: MediaItem, sign: int) -> None:
        self._bytes += sign * item.size
        key = (item.site, item.node)
        self._node_bytes[key] = self._node_bytes.get(key, 0) + sign * item.size

    def node_bytes(self, site: str, node: str) -> int:
        with self._lock:
            return self._node_bytes.get((site, node), 0)

    def save(self, site: str, node: str, event_id: str, payload: bytes) -> MediaItem:
        """Store one media payload of an event that `node` sent; raise `MediaRejected`
        (counted) if it cannot be kept. The same payload again returns the stored item."""
        kind = self._check(site, node, event_id, payload)
        with self._lock:
            existing = self._items.setdefault(event_id, [])
            same = next(
                (i for i in existing if i.size == len(payload) and i.path.read_bytes() == payload),
                None,
            )
            if same is not None:
                self.rejected["duplicate"] = self.rejected.get("duplicate", 0) + 1
                return same  # stored once, not again at each reconnect
            if len(existing) >= self.limits.max_items_per_event:
                raise self._reject("too_many", f"event {event_id} already has {len(existing)}")
            if not self._fit_node(site, node, len(payload)):
                raise self._reject(
                    "node_budget",
                    f"{site}/{node} has {self._node_bytes.get((site, node), 0)} bytes of media, "
                    "all under hold; budget max_node_bytes reached",
                )
            n = max((i.n for i in existing), default=0) + 1
            final = write_whole(self.root / site / node, f"{event_id}-{n}.{_EXT[kind]}", payload)
            item = MediaItem(site, node, event_id, n, kind, final, len(payload), self.clock())
            existing.append(item)
            self._count(item, +1)
        self._enforce_budget()
        return item

    def park(self, site: str, node: str, event_id: str, payload: bytes) -> None:
        """Keep media whose event has not arrived yet (gateway/media/pending.py); raise
        `MediaRejected` if it is not media or the node's waiting budget is full."""
        self._check(site, node, event_id, payload)
        if not self.pending.park(site, node, event_id, payload, self.limits.pending_max_node_bytes):
            raise self._reject(
                "pending_budget",
                f"{site}/{node} already has {self.pending.node_bytes(site, node)} bytes of "
                "media waiting for events it has not sent",
            )

    def adopt(self, site: str, node: str, event_id: str) -> list[MediaItem]:
        """File the media parked for this event of this node (its event is now stored)."""
        if not self.pending.has(site, node, event_id):
            return []
        saved = []
        for _parked, payload in self.pending.take(site, node, event_id):
            try:
                saved.append(self.save(site, node, event_id, payload))
            except MediaRejected:
                log.warning("parked media of %s refused on filing", event_id)
        return saved

    def _fit_node(self, site: str, node: str, size: int) -> bool:
        """Make room in the node's own budget by deleting its oldest unheld items."""
        key = (site, node)
        if self._node_bytes.get(key, 0) + size <= self.limits.max_node_bytes:
            return True
        own = sorted(
            (
                i
                for e, items in self._items.items()
                if e not in self._holds
                for i in items
                if (i.site, i.node) == key
            ),
            key=lambda i: i.stored_at,
        )
        for item in own:
            self._delete(item, "node budget")
            if self._node_bytes.get(key, 0) + size <= self.limits.max_node_bytes:
                return True
        return False

    # -- retention ------------------------------------------------------------------------
    def hold(self, event_id: str, on: bool = True) -> None:
        """Legal hold: keep this event's media whatever the limits say."""
        with self._lock:
            items = self._items.get(event_id, [])
            for item in items[:1]:
                marker = item.path.parent / f"{event_id}.hold"
                if on:
                    marker.touch()
                else:
                    marker.unlink(missing_ok=True)
            if on:
                self._holds.add(event_id)
            else:
                self._holds.discard(event_id)

    def _delete(self, item: MediaItem, reason: str) -> None:
        item.path.unlink(missing_ok=True)
        items = self._items.get(item.event_id, [])
        if item in items:
            items.remove(item)
            self._count(item, -1)
        if not items:
            self._items.pop(item.event_id, None)
        log.info("media %s deleted: %s", item.path.name, reason)
        if self.on_delete is not None:
            self.on_delete(item, reason)

    def _enforce_budget(self) -> None:
        """Past the total budget the node holding the most bytes loses its oldest unheld
        item first: a node flooding the store pays for it, the others keep their evidence."""
        with self._lock:
            while self._bytes > self.limits.max_total_bytes:
                by_node: dict[tuple[str, str], list[MediaItem]] = {}
                for e, items in self._items.items():
                    if e not in self._holds:
                        for i in items:
                            by_node.setdefault((i.site, i.node), []).append(i)
                if not by_node:
                    return  # everything is held: holds win over the budget
                biggest = max(by_node, key=lambda k: self._node_bytes.get(k, 0))
                self._delete(min(by_node[biggest], key=lambda i: i.stored_at), "disk budget")

    def purge(self) -> list[MediaItem]:
        """Delete media older than `max_age_s` (held events excepted); returns what went."""
        cutoff = self.clock() - self.limits.max_age_s
        with self._lock:
            old = [
                i
                for e, items in self._items.items()
                if e not in self._holds
                for i in items
                if i.stored_at < cutoff
            ]
            for item in old:
                self._delete(item, "age limit")
        for parked in self.pending.expire(self.limits.pending_max_age_s):
            log.warning("media %s deleted: its event never came", parked.path.name)
            if self.on_delete is not None:
                self.on_delete(
                    MediaItem(
                        parked.site,
                        parked.node,
                        parked.event_id,
                        0,
                        "jpeg",
                        parked.path,
                        parked.size,
                        parked.parked_at,
                    ),
                    "no event from that node within pending_max_age_s",
                )
        return old
