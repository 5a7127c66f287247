"""GET /api/v1/stream: live updates for the dashboard as Server-Sent Events.

Each update is one SSE message, `id:` the update's sequence number, `event:` its topic
("event", "node", "alert", "incident", "resync") and `data:` the JSON dict. A comment line is
sent every `KEEPALIVE_S` seconds so proxies and the page can tell a quiet stream from a dead
one. Each role only gets what it may read through the API: no camera events for the desk, no
raw events but device faults for the bureau, incidents only for supervisors, the bureau and
admins. When the subscriber fell behind and lost updates, a "resync" message tells the page to
reload.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from gateway.api.deps import Caller
from gateway.auth.tokens import Principal
from gateway.updates import Updates

router = APIRouter(prefix="/api/v1", tags=["live updates"])

KEEPALIVE_S = 15.0
CAMERA_KINDS = frozenset({"motion", "people", "line_cross", "tamper", "camera"})


def visible(role: str, topic: str, data: dict[str, Any]) -> bool:
    """May a caller with `role` see this update? (mirrors the read rights of the API)"""
    if role == "admin":
        return True
    if topic == "event":
        if role == "supervisor":
            return True
        if role == "desk":
            return data.get("kind") not in CAMERA_KINDS
        # bureau: statistics and alerts, not raw events; device faults (no personal data) for
        # the nodes page
        return data.get("kind") == "fault"
    if topic in ("node", "alert"):
        return role in ("desk", "supervisor", "bureau")
    if topic == "incident":
        return role in ("supervisor", "bureau")
    return role == "supervisor"


def in_scope(who: Principal, data: dict[str, Any]) -> bool:
    """A site-scoped user gets only updates about their sites (and site-less ones)."""
    site = data.get("site") if isinstance(data, dict) else None
    return who.sites is None or site is None or site in who.sites


def _message(topic: str, data: Any, seq: int | None = None) -> bytes:
    head = f"id: {seq}\n" if seq is not None else ""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {topic}\ndata: {body}\n\n".encode()


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(request: Request, who: Caller) -> StreamingResponse:
    """Live updates (text/event-stream) filtered by the caller's role."""
    updates: Updates = request.app.state.updates
    keepalive = float(getattr(request.app.state, "stream_keepalive_s", KEEPALIVE_S))
    sub = updates.listen()

    async def gen() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 3000\n\n"
            yield _message("hello", {"name": who.name, "role": who.role})
            while True:
                item = await sub.get(timeout=keepalive)
                if sub.take_dropped():
                    yield _message("resync", {"reason": "updates lost: reload"})
                if item is None:
                    yield b": keep-alive\n\n"
                    continue
                if item["topic"] == Updates.CLOSE:
                    return
                if visible(who.role, item["topic"], item["data"]) and in_scope(who, item["data"]):
                    yield _message(item["topic"], item["data"], item["seq"])
        finally:
            updates.unlisten(sub)

    return StreamingResponse(
        gen(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
