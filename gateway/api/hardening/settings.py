"""`HttpLimits`: how much the API server accepts from one client before it refuses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HttpLimits(BaseModel):
    """Defaults fit a gateway with the usual 1,024 open files: at most `max_connections`
    sockets, plus about 150 for SQLite connections of the worker threads, the broker, media
    and logs. The shipped unit raises `LimitNOFILE` so a larger value may be configured."""

    model_config = ConfigDict(extra="forbid")

    max_connections: int = Field(512, ge=8, le=60000)
    """open HTTP connections; past it the oldest idle connection (no request in progress) is
    closed to make room, or the new one if none is idle"""
    header_timeout_s: float = Field(10, gt=0, le=300)
    """a connection must complete its request head within this many seconds of opening (or of
    the previous response); otherwise it is closed (slowloris)"""
    body_timeout_s: float = Field(30, gt=0, le=3600)
    """the request body must arrive within this many seconds"""
    keep_alive_s: int = Field(5, ge=1, le=300)
    """an idle keep-alive connection is closed after this"""
    max_header_bytes: int = Field(16 * 1024, ge=4096, le=1024 * 1024)
    """largest request line plus headers"""
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    """largest request body of any API route"""
    max_login_body_bytes: int = Field(4096, ge=256)
    """largest body of POST /auth/login (before any parsing)"""
