"""Event media on the gateway: JPEG snapshots and clips received on media/{event_id}.

Entry point: `MediaStore(path, limits)`; ingest calls `store.save(site, node, event_id,
payload)` for every message on `stationkit/v1/{site}/{node}/media/{event_id}`.
"""

from gateway.media.store import MediaItem, MediaLimits, MediaRejected, MediaStore

__all__ = ["MediaItem", "MediaLimits", "MediaRejected", "MediaStore"]
