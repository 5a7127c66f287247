"""Reading a live camera stream (multipart/x-mixed-replace of JPEG parts) as a browser would."""

from __future__ import annotations

from collections.abc import Iterator

import httpx


def mjpeg_parts(resp: httpx.Response) -> Iterator[bytes]:
    """Each JPEG of the streamed response, as soon as the whole part has arrived."""
    buf = b""
    for chunk in resp.iter_bytes():
        buf += chunk
        while (head_end := buf.find(b"\r\n\r\n")) >= 0:
            head = buf[:head_end].decode()
            length = int(
                next(h for h in head.split("\r\n") if h.startswith("Content-Length")).split(":")[1]
            )
            if len(buf) < head_end + 4 + length + 2:
                break
            yield buf[head_end + 4 : head_end + 4 + length]
            buf = buf[head_end + 4 + length + 2 :]
