"""The node's configuration file (`stationkit node --config node.toml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from devices.contract.broker_url import BrokerUrl, parse_broker_url
from devices.contract.topics import SLUG
from firmware_py.intake.config import IntakeConfig


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrokerConfig(Strict):
    url: str = Field("mqtt://127.0.0.1:1883", description="mqtt://host:port or mqtts://host:port")
    username: str | None = Field(None, description="MQTT username (default: {site}.{node})")
    password: str | None = Field(None, description="MQTT password (prefer password_file)")
    password_file: Path | None = Field(None, description="file holding the MQTT password")
    client_id: str | None = Field(None, description="MQTT client id (default: {site}.{node})")
    keepalive_s: int = Field(30, ge=5, le=600, description="MQTT keepalive")
    ca_file: Path | None = Field(None, description="CA certificate for mqtts://")
    cert_file: Path | None = Field(None, description="client certificate (optional)")
    key_file: Path | None = Field(None, description="client key (optional)")

    @model_validator(mode="after")
    def _check_url(self) -> BrokerConfig:
        parse_broker_url(self.url)
        return self

    def resolved(self) -> BrokerUrl:
        url = parse_broker_url(self.url)
        password = self.password
        if self.password_file is not None:
            password = self.password_file.read_text().strip()
        return BrokerUrl(
            url.host,
            url.port,
            url.tls,
            self.username or url.username,
            password or url.password,
        )


ConfirmBy = Literal["gateway", "broker"]


class OutboxConfig(Strict):
    """The node's outbox: where it is kept, how much, and how its events are delivered (the
    node agent and its publisher read the delivery settings from here)."""

    path: Path = Field(Path("/var/lib/stationkit/outbox.db"), description="SQLite outbox file")
    max_events: int = Field(100_000, ge=100, description="undelivered events kept at most")
    max_age_days: float = Field(30, gt=0, description="undelivered events kept at most this long")
    window: int = Field(100, ge=1, le=1000)
    """events in flight to the broker (PUBACK flow control)"""
    confirm: ConfirmBy = "gateway"
    """who confirms an event before it leaves the outbox: the gateway's stored-ack (contract
    v1.1; needs a gateway that sends it) or, for a gateway older than that, the broker's
    PUBACK (events the broker loses in a crash are lost)"""
    resend_after_s: float = Field(30, ge=1, le=3600)
    """re-send the oldest unconfirmed events after this long without any confirmation (doubles
    while nothing is confirmed, up to resend_max_s)"""
    resend_max_s: float = Field(600, ge=1, le=86400)
    """longest wait between re-send rounds"""
    resend_batch: int = Field(500, ge=1, le=100_000)
    """events re-sent per round until one is confirmed"""
    unconfirmed_fault_s: float = Field(900, ge=10)
    """report an `outbox` fault when events have waited this long and the gateway confirmed
    none of them (gateway down, or too old to confirm)"""


class HeartbeatConfig(Strict):
    interval_s: float = Field(15, ge=1, le=3600, description="heartbeat period")


class SimulatorConfig(Strict):
    """Check-level load simulator (for demos and benchmarks, not a device simulator)."""

    checks_per_minute: float = Field(12, gt=0, le=60_000, description="arrival rate")
    seed: int = Field(1, description="random seed (deterministic runs)")


class NodeConfig(Strict):
    site: str = Field(pattern=SLUG.pattern, description="site slug")
    node: str = Field(pattern=SLUG.pattern, description="node slug")
    broker: BrokerConfig = Field(default_factory=lambda: BrokerConfig())
    outbox: OutboxConfig = Field(default_factory=lambda: OutboxConfig())
    heartbeat: HeartbeatConfig = Field(default_factory=lambda: HeartbeatConfig())
    simulator: SimulatorConfig | None = None
    """emit simulated complete checks (load generator)"""
    intake: IntakeConfig | None = Field(None, description="intake desk: gate, wand, thermometer")
    camera: Any = Field(None, description="camera analytics (needs the [camera] extra)")

    @field_validator("camera")
    @classmethod
    def _camera(cls, value: Any) -> Any:
        if value is None:
            return None
        try:  # OpenCV is imported only on camera nodes
            from firmware_py.camera.config import CameraNodeConfig
        except ImportError as exc:
            raise ValueError(
                f"camera analytics need the camera extra (pip install 'stationkit[camera]'): {exc}"
            ) from None
        try:
            return CameraNodeConfig.model_validate(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
