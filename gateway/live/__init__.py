"""Live-view relay: node JPEG frames on live/{camera} → authorised viewers as MJPEG.

Entry points: `LiveRelay(publish_cmd, clock)`; ingest calls `relay.on_frame(site, node,
camera, jpeg)` for every message on `stationkit/v1/{site}/{node}/live/{camera}`; the app
serves it through `gateway/api/routes/live.py` with the context's `live_relay` and
`live_authorise` (gateway/api/context.py); `relay.run()` is a background task.
"""

from gateway.live.relay import LiveRelay, Viewer, ViewRecord

__all__ = ["LiveRelay", "ViewRecord", "Viewer"]
