"""`[uplink]` in gateway.toml: what the station sends the bureau's hub, and how often."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class UplinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="publish for the bureau bridge; apply its actions")
    username: str = Field(
        "gateway-uplink",
        description="its own broker account (`stationkit provision --uplink`): the broker binds "
        "client ids to usernames, so it cannot share the gateway's",
    )
    password_file: Path | None = Field(
        None, description="file holding that account's password (/etc/stationkit/uplink-password)"
    )
    password: str | None = Field(None, description="the password itself (tests; prefer the file)")
    client_id: str = Field(
        "stationkit-gateway-uplink",
        description="MQTT client id on the station broker (persistent session: keep it stable)",
    )
    poll_s: float = Field(1.0, gt=0, le=60, description="how often new history rows are read")
    resend_after_s: float = Field(
        300.0,
        ge=0,
        le=86400,
        description=(
            "every change is published again this long after it was first sent (0: never), "
            "covering a broker that acknowledged and then died before storing it"
        ),
    )
    health_every_s: float = Field(60.0, ge=1, description="node/camera health summary period")
    returns_every_s: float = Field(
        3600.0, ge=1, description="statistics return (yesterday and today so far) period"
    )
    batch: int = Field(200, ge=1, le=5000, description="records published per pass")
    publish_timeout_s: float = Field(10.0, gt=0, description="wait for the broker's PUBACK")
