"""Hub settings: `hub.toml` (--config), then STATIONKIT_HUB_* environment, then flags."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from gateway.hub import HubError
from gateway.listen import ListensOnHttp

ENV_PREFIX = "STATIONKIT_HUB_"


class HubSettings(ListensOnHttp):
    model_config = ConfigDict(extra="forbid")

    nats: list[str] = Field(
        default_factory=lambda: ["nats://127.0.0.1:4222"],
        description="NATS servers (every node of the cluster; the client fails over)",
    )
    nats_user: str | None = Field(None, description="NATS username of the hub")
    nats_password: str | None = Field(None, description="its password")
    stream: str = Field("STATIONKIT_UPLINK", description="JetStream stream of the uplink")
    consumer: str = Field("hub", description="the one durable consumer all workers share")
    replicas: int = Field(1, ge=1, le=5, description="stream replicas (3 on a 3-node cluster)")
    max_age_days: float = Field(30, gt=0, description="how long the stream keeps messages")
    ack_wait_s: float = Field(
        10,
        ge=1,
        description=(
            "redelivered when not acked in this time: bounds the delay after a worker dies or a "
            "pull request expires (a batch commits in milliseconds)"
        ),
    )
    batch: int = Field(100, ge=1, le=1000, description="messages fetched and committed at once")
    mqtt: str = Field(
        "mqtt://127.0.0.1:1883",
        description="the NATS MQTT listener, for the downlink (mqtt://[user:pass@]host:port)",
    )
    postgres: str = Field(
        "postgresql:///stationkit_hub", description="libpq connection string of the hub store"
    )
    http: str = Field("127.0.0.1:8090", description="HOST:PORT of the bureau dashboard and API")
    serve_http: bool = Field(True, description="serve the dashboard from this worker")
    worker_name: str = Field("", description="shown in logs and metrics (default: host:pid)")
    session_hours: float = Field(12, gt=0, le=720, description="dashboard session lifetime")
    secure_cookies: bool = Field(False, description="send the session cookie over HTTPS only")
    portrait_key_file: Path | None = Field(
        None,
        description="AES key file for missing people's portraits (the same file on every hub "
        "machine; created 0600 on first use); unset: the hub keeps no portraits",
    )

    @field_validator("nats", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        return [s.strip() for s in v.split(",") if s.strip()] if isinstance(v, str) else v


def load_hub_settings(config: Path | None = None, **flags: Any) -> HubSettings:
    """Precedence: flags (not None) > STATIONKIT_HUB_* environment > config file > defaults."""
    raw: dict[str, Any] = {}
    if config is not None:
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise HubError(f"{config}: cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise HubError(f"{config}: not valid TOML: {exc}") from None
    for name in HubSettings.model_fields:
        env = os.environ.get(f"{ENV_PREFIX}{name.upper()}")
        if env is not None:
            raw[name] = env
    raw.update({k: v for k, v in flags.items() if v is not None})
    try:
        return HubSettings.model_validate(raw)
    except ValidationError as exc:
        where = f"{config}: " if config else ""
        lines = [f"{where}{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise HubError("; ".join(lines)) from None
