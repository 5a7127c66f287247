"""What a `media/{event_id}` payload may be: the kinds the gateway keeps and how to tell them.

Part of the wire contract (standard library only), so the gateway can check media without
OpenCV; the camera node's encoders live in `devices/camera/media.py`.
"""

from __future__ import annotations

from typing import Literal

MediaType = Literal["jpeg", "avi", "mp4"]
CONTENT_TYPES: dict[MediaType, str] = {
    "jpeg": "image/jpeg",
    "avi": "video/x-msvideo",
    "mp4": "video/mp4",
}


def sniff(payload: bytes) -> MediaType | None:
    """What a media payload is, from its first bytes (None: not a kind we keep)."""
    if payload[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if payload[:4] == b"RIFF" and payload[8:12] == b"AVI ":
        return "avi"
    if payload[4:8] == b"ftyp":
        return "mp4"
    return None
