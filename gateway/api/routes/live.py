"""HTTP routes of live view: `GET /live/{site}/{node}/{camera}.mjpg` (MJPEG) and the list
of current viewers.

The gateway's context (gateway/api/context.py) provides two things:
- `live_relay`: the `LiveRelay` (None: live view answers 503);
- `live_authorise(request, site, node, camera) -> Viewer | None`: who is asking and whether
  they may watch this camera (None → 403; raise HTTPException(401) for no credentials); None:
  gateway/api/live.py's, the same credentials as the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from devices.contract.topics import SLUG
from gateway.api.context import Relay, context_of
from gateway.api.deps import Caller, require
from gateway.api.live import authorise_live_viewer
from gateway.api.responses import binary
from gateway.live.relay import BOUNDARY, Viewer

router = APIRouter(prefix="/live", tags=["live"])

RECHECK_S = 1.0
"""A view is re-authorised before a frame once this long has passed since the last check: a
logout, a disabled user or token, or a lost role ends the video within about a second (before,
it ran on until `max_view_s`)."""


def _authorise(request: Request, site: str, node: str, camera: str) -> Viewer | None:
    return (context_of(request).live_authorise or authorise_live_viewer)(
        request, site, node, camera
    )


def get_viewer(request: Request, site: str, node: str, camera: str) -> Viewer:
    for what, value in (("site", site), ("node", node), ("camera", camera)):
        if not SLUG.match(value):
            raise HTTPException(404, f"{what} {value!r} is not a valid id")
    viewer = _authorise(request, site, node, camera)
    if viewer is None:
        raise HTTPException(403, f"you may not watch {site}/{node}/{camera}")
    return viewer


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


@router.get(
    "/{site}/{node}/{camera}.mjpg",
    responses=binary("JPEG frames as they arrive (MJPEG)", "multipart/x-mixed-replace"),
)
async def live_mjpeg(
    request: Request,
    site: str,
    node: str,
    camera: str,
    relay: Relay,
    viewer: ViewerDep,
    reason: Annotated[str | None, Query(max_length=200, description="why you watch")] = None,
) -> StreamingResponse:
    """Live MJPEG of one camera; starts the node's stream if nobody was watching."""
    return StreamingResponse(
        _while_allowed(
            request,
            site,
            node,
            camera,
            viewer,
            relay.mjpeg(site, node, camera, viewer, reason=reason),
        ),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _while_allowed(
    request: Request,
    site: str,
    node: str,
    camera: str,
    viewer: Viewer,
    parts: AsyncIterator[bytes],
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    checked = loop.time()
    try:
        async for part in parts:
            if loop.time() - checked >= RECHECK_S:
                if not await asyncio.to_thread(_still_allowed, request, site, node, camera, viewer):
                    return
                checked = loop.time()
            yield part
    finally:
        await parts.aclose()  # type: ignore[attr-defined]  # the relay ends and audits the view


def _still_allowed(request: Request, site: str, node: str, camera: str, viewer: Viewer) -> bool:
    try:
        now = _authorise(request, site, node, camera)
    except HTTPException:
        return False
    return now is not None and now.user == viewer.user


class LiveSession(BaseModel):
    """One live view going on now."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(description="view number (audit trail)")
    user: str = Field(description="who is watching")
    site: str = Field(description="site slug")
    node: str = Field(description="camera node")
    camera: str = Field(description="camera id on the node")
    started_at: str = Field(description="UTC ISO time the view began")
    frames: int = Field(description="frames sent so far")
    reason: str | None = Field(description="why they watch, as given")


@router.get("/sessions", dependencies=[require("supervisor")], response_model=list[LiveSession])
def live_sessions(relay: Relay, who: Caller) -> list[LiveSession]:
    """Who is watching what right now (supervisors and admins), within the caller's sites: a
    supervisor of one home does not learn who watches another home's cameras."""
    return [
        LiveSession(
            id=r.id,
            user=r.user,
            site=r.site,
            node=r.node,
            camera=r.camera,
            started_at=r.started_at.isoformat(),
            frames=r.frames,
            reason=r.reason,
        )
        for r in relay.watching()
        if who.sees(r.site)
    ]
