"""Media that arrived before its event: parked on disk, per node and bounded, until the event
is stored (then it is filed like any media) or until `max_age_s` passes (then it is deleted and
reported). A camera publishes its snapshot right after queueing the event, but the event goes
through the node's outbox, which may be minutes or hours behind after an outage; parking on
disk (not in memory) means a gateway restart in between loses nothing.

Layout: ``{root}/{site}/{node}/{event_id}.{n}`` — `n` orders the items of one event.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def write_whole(folder: Path, name: str, payload: bytes) -> Path:
    """`payload` as `folder/name`, whole or not at all: written to `.tmp-{name}` (which a
    scan at start deletes), synced, then renamed. The folder is made if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    final, tmp = folder / name, folder / f".tmp-{name}"
    with open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    return final


@dataclass(frozen=True, slots=True)
class Parked:
    site: str
    node: str
    event_id: str
    path: Path
    size: int
    parked_at: float


class PendingMedia:
    def __init__(self, root: Path, *, clock: Callable[[], float]) -> None:
        self.root = root
        self.clock = clock
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str], list[Parked]] = {}
        self._node_bytes: dict[tuple[str, str], int] = {}
        for f in self.root.glob("*/*/*"):  # made at the first park: nothing if none came
            event_id, _, n = f.name.partition(".")
            if not n.isdigit():
                f.unlink(missing_ok=True)  # an interrupted write
                continue
            st = f.stat()
            self._add(
                Parked(f.parent.parent.name, f.parent.name, event_id, f, st.st_size, st.st_mtime)
            )

    def _add(self, item: Parked) -> None:
        self._items.setdefault((item.site, item.node, item.event_id), []).append(item)
        key = (item.site, item.node)
        self._node_bytes[key] = self._node_bytes.get(key, 0) + item.size

    def node_bytes(self, site: str, node: str) -> int:
        with self._lock:
            return self._node_bytes.get((site, node), 0)

    def park(self, site: str, node: str, event_id: str, payload: bytes, budget: int) -> bool:
        """Keep `payload` for later; False (nothing written) if the node's budget is full."""
        with self._lock:
            key = (site, node)
            if self._node_bytes.get(key, 0) + len(payload) > budget:
                return False
            items = self._items.get((site, node, event_id), [])
            if any(i.size == len(payload) and i.path.read_bytes() == payload for i in items):
                return True  # the same media again (a retained message re-delivered)
            final = write_whole(self.root / site / node, f"{event_id}.{len(items) + 1}", payload)
            self._add(Parked(site, node, event_id, final, len(payload), self.clock()))
            return True

    def take(self, site: str, node: str, event_id: str) -> list[tuple[Parked, bytes]]:
        """The parked media of this event from this node, removed from the park."""
        with self._lock:
            items = self._items.pop((site, node, event_id), [])
            out = []
            for item in sorted(items, key=lambda i: i.path.name):
                out.append((item, item.path.read_bytes()))
                self._forget(item)
            return out

    def has(self, site: str, node: str, event_id: str) -> bool:
        with self._lock:
            return (site, node, event_id) in self._items

    def expire(self, max_age_s: float) -> list[Parked]:
        """Delete what waited longer than `max_age_s` for its event; returns it."""
        cutoff = self.clock() - max_age_s
        with self._lock:
            old = [i for items in self._items.values() for i in items if i.parked_at < cutoff]
            for item in old:
                self._items[(item.site, item.node, item.event_id)].remove(item)
                if not self._items[(item.site, item.node, item.event_id)]:
                    del self._items[(item.site, item.node, item.event_id)]
                self._forget(item)
            return old

    def _forget(self, item: Parked) -> None:
        item.path.unlink(missing_ok=True)
        key = (item.site, item.node)
        self._node_bytes[key] = self._node_bytes.get(key, 0) - item.size
