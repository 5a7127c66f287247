"""Media retention: the one purge used by the running gateway and by `stationkit retention`.

The gateway database decides what is held: legal holds and incident evidence
(`held_event_ids`). Before each purge the media store's holds are brought in line with it, so
neither the age limit nor the disk budget can delete a snapshot or clip that is evidence.
"""

from __future__ import annotations

import sqlite_utils

from gateway.maintenance.retention import held_event_ids
from gateway.media.store import MediaItem, MediaStore


def sync_holds(db: sqlite_utils.Database, store: MediaStore) -> None:
    """Hold the media of every held event; release holds the database no longer has."""
    held = held_event_ids(db)
    for event_id in store.event_ids() & held - store.held():
        store.hold(event_id)
    for event_id in store.held() - held:
        store.hold(event_id, on=False)


def purge_media(db: sqlite_utils.Database, store: MediaStore) -> list[MediaItem]:
    """Delete media past the store's age limit, holds synced first; returns what went."""
    sync_holds(db, store)
    return store.purge()
