"""Login and session settings. The API reads them from its context's `auth`
(gateway/api/context.py `GatewayContext(auth=AuthSettings(...))`); without it the defaults
apply."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_idle_minutes: float = Field(30, gt=0, description="session ends after this idle time")
    session_absolute_hours: float = Field(
        12, gt=0, description="session ends this long after login"
    )
    max_failures_user: int = Field(
        5,
        ge=1,
        description="failed logins of a username from one address before that address is "
        "locked out for it (others, e.g. the supervisor's own desk, still get in)",
    )
    max_failures_user_all: int = Field(
        50,
        ge=1,
        description="failed logins of a username from all addresses together before the "
        "username itself is locked (a guessing campaign spread over many hosts)",
    )
    max_failures_ip: int = Field(
        20, ge=1, description="failed logins per client address before a lock"
    )
    failure_window_minutes: float = Field(
        15, gt=0, description="failures older than this are forgotten"
    )
    lockout_minutes: float = Field(15, gt=0, description="how long a lock lasts")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto", description="Secure cookie flag: auto = when the request came over https"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses of reverse proxies whose X-Forwarded-For/-Proto are believed",
    )
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65536, ge=8)
    argon2_parallelism: int = Field(4, ge=1)
