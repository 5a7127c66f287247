"""Gateway settings: `gateway.toml` (--config), then STATIONKIT_* environment, then flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from devices.contract.broker_url import BrokerUrl, parse_broker_url
from devices.runtime.config_file import load_toml
from gateway.alerts.config import AlertsConfig
from gateway.api.hardening.settings import HttpLimits
from gateway.auth.settings import AuthSettings
from gateway.ingest.limits import IngestLimits
from gateway.listen import ListensOnHttp
from gateway.media.store import MediaLimits
from gateway.notify.config import NotifyConfig
from gateway.people.family_search_settings import FamilySearchSettings
from gateway.uplink.config import UplinkConfig

ENV_PREFIX = "STATIONKIT_"


class GatewaySettings(ListensOnHttp):
    model_config = ConfigDict(extra="forbid")

    broker: str = Field("mqtt://127.0.0.1:1883", description="mqtt://[user:pass@]host:port")
    broker_username: str | None = Field("gateway", description="MQTT username")
    broker_password: str | None = Field(None, description="MQTT password")
    broker_password_file: Path | None = Field(None, description="file holding the password")
    client_id: str = Field("stationkit-gateway", description="MQTT client id (keep it stable)")
    mqtt_version: Literal["5", "3.1.1"] = "5"
    """MQTT protocol; 3.1.1 only for brokers without v5 (the demo's amqtt)"""
    db: Path = Field(Path("/var/lib/stationkit/gateway.db"), description="SQLite database file")
    media_dir: Path | None = None
    """snapshots and clips (default: a media folder beside the database)"""
    http: str = Field("127.0.0.1:8080", description="HOST:PORT the API listens on")
    http_limits: HttpLimits = Field(default_factory=HttpLimits)
    """[http_limits]: connections, header/body timeouts, body sizes"""
    ingest: IngestLimits = Field(default_factory=IngestLimits)
    """[ingest]: node clock window, seq reset gap, dead-letter budget per node"""
    media: MediaLimits = Field(default_factory=MediaLimits)
    """[media]: total and per-node budgets, age, media waiting for its event"""
    heartbeat_grace: float = Field(3.0, ge=1.5, le=20)
    """node offline after this many silent heartbeat periods"""
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    """[alerts]: rules, sites, escalation, reminders"""
    auth: AuthSettings = Field(default_factory=AuthSettings)
    """[auth]: sessions, login limits, cookies"""
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    """[notify]: webhooks, e-mail, MQTT, retries"""
    family_search: FamilySearchSettings = Field(default_factory=FamilySearchSettings)
    """[family_search]: deadlines, reminders, stations' contacts (docs/people.md)"""
    uplink: UplinkConfig = Field(default_factory=UplinkConfig)
    """[uplink]: records for the bureau's hub"""

    @field_validator("broker")
    @classmethod
    def _url(cls, v: str) -> str:
        parse_broker_url(v)
        return v

    def broker_url(self) -> BrokerUrl:
        url = parse_broker_url(self.broker)
        password = url.password or self.broker_password
        if self.broker_password_file:
            password = self.broker_password_file.read_text().strip()
        return BrokerUrl(
            url.host, url.port, url.tls, url.username or self.broker_username, password
        )


def load_settings(config: Path | None = None, **flags: Any) -> GatewaySettings:
    """Precedence: flags (not None) > STATIONKIT_* environment > config file > defaults."""
    values: dict[str, Any] = {}
    env = {
        name.lower(): os.environ[f"{ENV_PREFIX}{name.upper()}"]
        for name in GatewaySettings.model_fields
        if f"{ENV_PREFIX}{name.upper()}" in os.environ
    }
    values.update(env)
    values.update({k: v for k, v in flags.items() if v is not None})
    if config is not None:
        return load_toml(GatewaySettings, config, overrides=values)
    return GatewaySettings.model_validate(values)
