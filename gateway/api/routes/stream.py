"""GET /api/v1/stream: live updates for the dashboard as Server-Sent Events.

Each update is one SSE message, `id:` the update's sequence number, `event:` its topic ("event",
"node", "alert", "incident", "resync") and `data:` the JSON dict. A comment line is sent every
`stream_keepalive_s` seconds (gateway/api/context.py, 15 s) so proxies and the page can tell a
quiet stream from a dead one. The caller's access is checked again at each keep-alive and, while
updates flow, before sending any update once `RECHECK_S` has passed since the last check: an
"ended" message closes the stream within about a second of a logout, an expired session, a
disabled user or token or a changed role, however busy the stream is (before, only a 15 s
silence re-checked it, so 60 of 60 events still arrived in the minute after logout). Each role
only gets what it may read through the API: intake events only for the desk, no raw events but
device faults for the bureau, incidents only for supervisors, the bureau and admins. When the
subscriber fell behind and lost updates, a "resync" message tells the page to reload."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from gateway.api.caller import authenticate
from gateway.api.context import context_of
from gateway.api.deps import Caller
from gateway.api.responses import text
from gateway.auth.policy import DESK_EVENT_KINDS
from gateway.auth.tokens import Principal
from gateway.store.db import connect
from gateway.updates import Updates

router = APIRouter(prefix="/api/v1", tags=["live updates"])

RECHECK_S = 1.0
"""Longest time an update may be sent on the strength of an access check."""


def visible(role: str, topic: str, data: dict[str, Any]) -> bool:
    """May a caller with `role` see this update? (mirrors the read rights of the API)"""
    if role == "admin":
        return True
    if topic == "event":
        if role == "supervisor":
            return True
        if role == "desk":  # intake only: no camera events, no manual (incident) reports
            return data.get("kind") in DESK_EVENT_KINDS
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
    return who.sees(site)


def _still_allowed(request: Request, who: Principal) -> bool:
    """Checked at each keep-alive: logout, a disabled user or token, an expired session or a
    changed role end the stream (it must not outlive the access it was opened with)."""
    db = connect(context_of(request).db_path, check_same_thread=False)
    try:
        now = authenticate(request, db, "GET")
    except HTTPException:
        return False
    finally:
        db.conn.close()
    return now.role == who.role and now.sites == who.sites


def _message(topic: str, data: Any, seq: int | None = None) -> bytes:
    head = f"id: {seq}\n" if seq is not None else ""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {topic}\ndata: {body}\n\n".encode()


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "an SSE message per update: id (sequence), event (topic), data (JSON)",
            "content": text(
                "text/event-stream",
                'id: 42\nevent: alert\ndata: {"id": "01J…", "rule": "fever_referral"}\n\n',
            ),
        }
    },
)
async def stream(request: Request, who: Caller) -> StreamingResponse:
    """Live updates (text/event-stream) filtered by the caller's role."""
    ctx = context_of(request)
    updates, keepalive = ctx.updates, ctx.stream_keepalive_s
    sub = updates.listen()
    loop = asyncio.get_running_loop()
    ended = _message("ended", {"reason": "logged out or access changed"})

    async def gen() -> AsyncIterator[bytes]:
        checked_at = loop.time()
        try:
            yield b"retry: 3000\n\n"
            yield _message("hello", {"name": who.name, "role": who.role})
            while True:
                item = await sub.get(timeout=keepalive)
                if item is not None and item["topic"] == Updates.CLOSE:
                    return
                if item is None or loop.time() - checked_at >= RECHECK_S:
                    if not await asyncio.to_thread(_still_allowed, request, who):
                        yield ended
                        return
                    checked_at = loop.time()
                if sub.take_dropped():
                    yield _message("resync", {"reason": "updates lost: reload"})
                if item is None:
                    yield b": keep-alive\n\n"
                    continue
                if visible(who.role, item["topic"], item["data"]) and in_scope(who, item["data"]):
                    yield _message(item["topic"], item["data"], item["seq"])
        finally:
            updates.unlisten(sub)

    return StreamingResponse(
        gen(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
