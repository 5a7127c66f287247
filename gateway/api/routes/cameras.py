"""What the dashboard's camera wall needs, and recorded media for supervisors and admins.

- `GET /api/v1/cameras`: every camera the gateway has heard of (a device that sent camera
  events), with its health (online/offline/tampered/unknown), its latest snapshot and how old
  it is, and the zone/line layout to draw over it.
- `GET /api/v1/cameras/{site}/{node}/{camera}/events`: the camera's event timeline, each
  event with links to its stored media (snapshot JPEG, clip AVI/MP4).
- `GET /api/v1/media/{event_id}/{n}`: one stored media item. Images and clips of residents
  are sensitive: every fetch is written to the audit table (`media_view`: who, which file).
- `PUT /api/v1/cameras/{site}/{node}/{camera}/layout` (admin): zones and exit lines as
  fractions of the frame. Nodes do not report their layout over MQTT (the contract has no
  field for it), so an admin enters what the node's TOML says; the wall draws it as SVG.

Media are read from the context's `media` (the gateway's `MediaStore` or its directory) when
set, else from the default media directory beside the database (the files are the record).
"""

from __future__ import annotations

import json
import re
import threading
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import Field

from devices.contract.topics import EVENT_ID, SLUG
from gateway.answer import Answer
from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.responses import binary
from gateway.auth.tokens import Principal
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1", tags=["cameras"])
Watcher = Annotated[Principal, require("supervisor")]  # admin always may
Admin = Annotated[Principal, require("admin")]

CameraKind = Literal["motion", "people", "line_cross", "tamper", "camera"]
CAMERA_KINDS: tuple[str, ...] = typing.get_args(CameraKind)
_KINDS_SQL = ",".join("?" * len(CAMERA_KINDS))
_FILE = re.compile(r"^(?P<event>[0-9A-Za-z-]{16,40})-(?P<n>\d+)\.(?P<ext>jpg|avi|mp4)$")
_TYPES = {
    "jpg": ("jpeg", "image/jpeg"),
    "avi": ("avi", "video/x-msvideo"),
    "mp4": ("mp4", "video/mp4"),
}


# -- media files ------------------------------------------------------------------------------
def _media_root(request: Request) -> Path:
    return context_of(request).media_root()


def _media_files(root: Path, site: str, node: str, event_id: str) -> list[dict[str, Any]]:
    """The stored items of one event, in order (n = 1 is usually the snapshot)."""
    folder = root / site / node
    out: list[dict[str, Any]] = []
    for f in sorted(folder.glob(f"{event_id}-*")):
        m = _FILE.match(f.name)
        if m is None or m["event"] != event_id:
            continue
        kind, ctype = _TYPES[m["ext"]]
        out.append(
            {
                "n": int(m["n"]),
                "kind": kind,
                "content_type": ctype,
                "size": f.stat().st_size,
                "url": f"/api/v1/media/{event_id}/{int(m['n'])}",
            }
        )
    out.sort(key=lambda i: int(i["n"]))
    return out


# -- layout (zones and lines) -----------------------------------------------------------------
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Point = tuple[Fraction, Fraction]


class Zone(Answer):
    id: str = Field(pattern=SLUG.pattern, description="zone id, as in the node's TOML")
    polygon: list[Point] = Field(
        min_length=3, max_length=64, description="corners [x, y], fractions of width/height"
    )


class Line(Answer):
    id: str = Field(pattern=SLUG.pattern, description="line id, as in the node's TOML")
    a: Point = Field(description="start [x, y], fractions of width/height")
    b: Point = Field(description="end [x, y], fractions of width/height")
    in_side: Literal["left", "right"] = Field(
        "left", description="the side of a→b (image coordinates, y down) that is inside"
    )


class Layout(Answer):
    zones: list[Zone] = Field(default_factory=list, max_length=32, description="zones")
    lines: list[Line] = Field(default_factory=list, max_length=32, description="exit lines")


# -- answers ----------------------------------------------------------------------------------
class MediaItem(Answer):
    """One stored media file of an event."""

    n: int = Field(description="its number within the event (1 is usually the snapshot)")
    kind: Literal["jpeg", "avi", "mp4"] = Field(description="snapshot (jpeg) or clip")
    content_type: Literal["image/jpeg", "video/x-msvideo", "video/mp4"]
    size: int = Field(description="bytes")
    url: str = Field(description="GET it here (supervisor/admin; every fetch is audited)")


class Snapshot(Answer):
    """The newest snapshot of a camera whose JPEG is stored."""

    event_id: str = Field(description="the event the snapshot belongs to")
    kind: CameraKind = Field(description="that event's kind")
    at: str = Field(description="that event's time")
    url: str = Field(description="the JPEG (GET /api/v1/media/...)")


class Camera(Answer):
    """A camera of the wall: a device that sent camera events."""

    site: str
    node: str
    camera: str = Field(description="the device id of the camera on its node")
    last_event_at: str | None = Field(description="time of its latest camera event")
    state: str | None = Field(description="the state its latest `camera` event reported")
    state_at: str | None = Field(description="time of that `camera` event")
    state_reason: str | None = Field(description="the reason that `camera` event gave")
    tamper: list[str] = Field(description="tamper reasons active now (sorted); [] = none")
    snapshot: Snapshot | None = Field(description="latest stored snapshot; null = none")
    health: Literal["online", "offline", "tampered", "unknown"] = Field(
        description="tampered if a tamper is active, else offline if the node or camera is, "
        "else online if the camera or the node's device report says so, else unknown"
    )
    node_state: str | None = Field(description="its node's state; null = node unknown")
    node_last_seen: str | None = Field(description="when its node was last heard")
    device_state: str | None = Field(description="the camera's state in its node's heartbeat")
    last_frame_at: str | None = Field(
        description="the last frame the node analysed (heartbeat), else the snapshot's time"
    )
    last_frame_age_s: float | None = Field(description="seconds since last_frame_at")
    live_url: str = Field(description="the live MJPEG stream")
    zones: list[Zone] = Field(description="zones to draw over the picture (see layout)")
    lines: list[Line] = Field(description="exit lines to draw over the picture (see layout)")


class CameraList(Answer):
    items: list[Camera] = Field(description="the cameras the caller may see, by site/node/id")
    now: str = Field(description="the gateway's time of the answer (for the ages)")


class CameraEvent(Answer):
    id: str = Field(description="event id")
    kind: CameraKind
    ts: str = Field(description="event time")
    data: dict[str, Any] = Field(description="the event's payload as sent (shape per kind)")
    media: list[MediaItem] = Field(description="its stored snapshot and clips, in order")


class CameraEvents(Answer):
    items: list[CameraEvent] = Field(description="newest first")
    next: str | None = Field(description="pass as `before` for the next page; null = last page")


def _layouts(db: Db) -> dict[tuple[str, str, str], dict[str, Any]]:
    rows = db.execute("SELECT site, node, camera, layout FROM camera_layouts").fetchall()
    return {(r[0], r[1], r[2]): json.loads(r[3]) for r in rows}


# -- camera list ------------------------------------------------------------------------------
def _age_s(ts: str | None, now: datetime) -> float | None:
    if not ts:
        return None
    try:
        t = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return round(max(0.0, (now - t).total_seconds()), 1)


FIRST_FOLD_WINDOW = timedelta(days=7)


class _Wall:
    """The latest state of every camera, folded from the events table incrementally.

    Events are appended (rowids grow), so each request reads only the rows added since the
    last one: a wall refreshed every few seconds never rescans a table that is mostly motion
    events. Retention deleting old rows cannot change a camera's latest state, except its
    snapshot, whose file is checked on every request.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rowid = 0
        self.cams: dict[tuple[str, str, str], dict[str, Any]] = {}

    def fold(self, db: Db) -> dict[tuple[str, str, str], dict[str, Any]]:
        with self.lock:
            if self.rowid == 0:
                rows = self._first(db)
            else:
                rows = db.execute(
                    "SELECT rowid, id, site, node, device, kind, ts, data FROM events "
                    f"WHERE rowid > ? AND kind IN ({_KINDS_SQL}) AND device IS NOT NULL "
                    "ORDER BY rowid",
                    [self.rowid, *CAMERA_KINDS],
                ).fetchall()
            for rowid, eid, site, node, dev, kind, ts, data in rows:
                self.rowid = max(self.rowid, rowid)
                cam = self.cams.setdefault(
                    (site, node, dev),
                    {
                        "site": site,
                        "node": node,
                        "camera": dev,
                        "last_event_at": None,
                        "state": None,
                        "state_at": None,
                        "state_reason": None,
                        "tamper": {},
                        "snapshots": [],
                    },
                )
                d = json.loads(data)
                if cam["last_event_at"] is None or ts >= cam["last_event_at"]:
                    cam["last_event_at"] = ts
                if kind == "camera" and (cam["state_at"] is None or ts >= cam["state_at"]):
                    cam.update(state=d.get("state"), state_at=ts, state_reason=d.get("reason"))
                if kind == "tamper":
                    reason = str(d.get("reason"))
                    seen = cam["tamper"].get(reason)
                    if seen is None or ts >= seen[0]:
                        cam["tamper"][reason] = (ts, bool(d.get("active")))
                if d.get("snapshot"):
                    # a few candidates: the newest one's JPEG may be late, lost or rejected
                    snaps = [*cam["snapshots"], {"event_id": eid, "kind": kind, "at": ts}]
                    cam["snapshots"] = sorted(snaps, key=lambda x: str(x["at"]))[-4:]
            # a copy: the caller adds request-specific fields
            return {k: {**v, "tamper": dict(v["tamper"])} for k, v in self.cams.items()}

    def _first(self, db: Db) -> list[Any]:
        """The first fold after a start: every state change (camera online/offline, tamper:
        rare) but only the last week of the frequent kinds (motion, people, crossings), which
        only add snapshots and the last-event time; not months of motion events."""
        (top,) = db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()
        since = iso(datetime.now(UTC) - FIRST_FOLD_WINDOW)
        rows = db.execute(
            "SELECT rowid, id, site, node, device, kind, ts, data FROM events "
            "WHERE kind IN ('camera', 'tamper') AND device IS NOT NULL AND rowid <= ? "
            "UNION SELECT rowid, id, site, node, device, kind, ts, data FROM events "
            f"WHERE ts >= ? AND kind IN ({_KINDS_SQL}) AND device IS NOT NULL AND rowid <= ? "
            "ORDER BY rowid",
            [top, since, *CAMERA_KINDS, top],
        ).fetchall()
        self.rowid = max(self.rowid, top)
        return list(rows)


def _wall(request: Request) -> _Wall:
    return context_of(request).memo("camera_wall", _Wall)


@router.get("/cameras")
def list_cameras(request: Request, db: Db, who: Watcher, site: str | None = None) -> CameraList:
    """Cameras with health, latest snapshot, its age, and the layout to overlay (only the
    sites the caller may see)."""
    now = datetime.now(UTC)
    cams = {k: v for k, v in _wall(request).fold(db).items() if site is None or k[0] == site}
    root = _media_root(request)
    for (s, n, _dev), cam in cams.items():
        cam["tamper"] = sorted(r for r, (_ts, active) in cam["tamper"].items() if active)
        cam["snapshot"] = None
        for snap in reversed(cam.pop("snapshots")):
            files = _media_files(root, s, n, snap["event_id"])
            jpeg = next((m for m in files if m["kind"] == "jpeg"), None)
            if jpeg is not None:
                cam["snapshot"] = {**snap, "url": jpeg["url"]}
                break
    nodes = {
        (r[0], r[1]): (r[2], json.loads(r[3] or "{}"), r[4], json.loads(r[5] or "{}"))
        for r in db.execute(
            "SELECT site, node, state, devices, last_seen, frames FROM nodes"
        ).fetchall()
    }
    layouts = _layouts(db)
    items = []
    for key in sorted(cams):
        if not who.sees(key[0]):
            continue
        cam = cams[key]
        node_state, devices, last_seen, frames = nodes.get((key[0], key[1]), (None, {}, None, {}))
        if cam["tamper"]:
            health = "tampered"
        elif node_state == "offline" or cam["state"] == "offline":
            health = "offline"
        elif cam["state"] == "online" or devices.get(key[2]) == "ok":
            health = "online"
        else:
            health = "unknown"
        snap_at = cam["snapshot"]["at"] if cam["snapshot"] else None
        # the last frame the node analysed (its heartbeat), else the last snapshot's time
        seen = [t for t in (frames.get(key[2]), snap_at) if t]
        frame_at = max(seen) if seen else None
        layout = layouts.get(key, {"zones": [], "lines": []})
        items.append(
            {
                **cam,
                "health": health,
                "node_state": node_state,
                "node_last_seen": last_seen,
                "device_state": devices.get(key[2]),
                "last_frame_at": frame_at,
                "last_frame_age_s": _age_s(frame_at, now),
                "live_url": f"/live/{key[0]}/{key[1]}/{key[2]}.mjpg",
                "zones": layout["zones"],
                "lines": layout["lines"],
            }
        )
    return CameraList.model_validate({"items": items, "now": now.isoformat()})


def _check_ids(*values: str) -> None:
    for v in values:
        if not SLUG.match(v):
            raise HTTPException(404, f"{v!r} is not a valid id")


@router.get("/cameras/{site}/{node}/{camera}/events")
def camera_events(
    request: Request,
    site: str,
    node: str,
    camera: str,
    db: Db,
    _: Watcher,
    limit: int = Query(50, ge=1, le=500),
    before: str | None = Query(None, description="event time (ts) of the last item seen"),
) -> CameraEvents:
    """The camera's events, newest first, with their media."""
    _check_ids(site, node, camera)
    args: list[Any] = [site, node, camera, *CAMERA_KINDS]
    clause = ""
    if before:
        clause = "AND ts < ?"
        args.append(before)
    rows = db.execute(
        f"SELECT id, kind, ts, data FROM events WHERE site=? AND node=? AND device=? "
        f"AND kind IN ({_KINDS_SQL}) {clause} ORDER BY ts DESC LIMIT ?",
        [*args, limit],
    ).fetchall()
    root = _media_root(request)
    items = [
        {
            "id": r[0],
            "kind": r[1],
            "ts": r[2],
            "data": json.loads(r[3]),
            "media": _media_files(root, site, node, r[0]),
        }
        for r in rows
    ]
    nxt = items[-1]["ts"] if len(items) == limit else None
    return CameraEvents.model_validate({"items": items, "next": nxt})


@router.get(
    "/media/{event_id}/{n}",
    response_class=FileResponse,
    responses=binary(
        "the snapshot or clip as stored", "image/jpeg", "video/mp4", "video/x-msvideo"
    ),
)
def get_media(request: Request, event_id: str, n: int, db: Db, who: Watcher) -> FileResponse:
    """One snapshot or clip; the view is audited."""
    if not EVENT_ID.match(event_id):
        raise HTTPException(404, "not a valid event id")
    row = db.execute("SELECT site, node, device FROM events WHERE id=?", (event_id,)).fetchone()
    if row is None:
        raise HTTPException(404, f"no event {event_id}")
    site, node, camera = row
    if not who.sees(site):
        raise HTTPException(403, f"site {site!r} is outside your scope")
    item = next(
        (m for m in _media_files(_media_root(request), site, node, event_id) if m["n"] == n), None
    )
    if item is None:
        raise HTTPException(404, f"no media {event_id}-{n} (never received, or past retention)")
    ext = {"jpeg": "jpg", "avi": "avi", "mp4": "mp4"}[item["kind"]]
    path = _media_root(request) / site / node / f"{event_id}-{n}.{ext}"
    with db.atomic():
        db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)",
            (
                iso(datetime.now(UTC)),
                who.name,
                "media_view",
                f"{site}/{node}/{camera}/{event_id}-{n}",
                json.dumps(
                    {
                        "kind": item["kind"],
                        "size": item["size"],
                        "role": who.role,
                        "address": request.client.host if request.client else None,
                        "download": request.query_params.get("download") == "1",
                    }
                ),
            ),
        )
    disposition = "attachment" if request.query_params.get("download") == "1" else "inline"
    return FileResponse(
        path,
        media_type=item["content_type"],
        filename=f"{site}-{node}-{camera}-{event_id}-{n}.{ext}",
        content_disposition_type=disposition,
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/cameras/{site}/{node}/{camera}/layout")
def get_layout(site: str, node: str, camera: str, db: Db, _: Watcher) -> Layout:
    """The camera's zones and exit lines (both [] when none was entered)."""
    _check_ids(site, node, camera)
    return Layout.model_validate(_layouts(db).get((site, node, camera), {}))


@router.put("/cameras/{site}/{node}/{camera}/layout")
def put_layout(site: str, node: str, camera: str, body: Layout, db: Db, who: Admin) -> Layout:
    """Zones and exit lines of a camera (fractions of width/height), as in the node's TOML."""
    _check_ids(site, node, camera)
    layout = body.model_dump(mode="json")
    with db.atomic():
        db.execute(
            "INSERT INTO camera_layouts (site, node, camera, layout, updated_at, updated_by) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(site, node, camera) DO UPDATE SET "
            "layout=excluded.layout, updated_at=excluded.updated_at, "
            "updated_by=excluded.updated_by",
            (site, node, camera, json.dumps(layout), iso(datetime.now(UTC)), who.name),
        )
    return body
