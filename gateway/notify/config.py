"""`[notify]` in gateway.toml: where notifications go, per escalation level, and what happens
when a channel keeps failing.

Channels have names: each webhook's own `name`, plus `email` (the SMTP section) and `mqtt`.
`levels` maps an escalation level ("desk", "station_duty", "bureau_duty", ...) to the channel
names that serve it. A channel's `fallback` names the channel that is ALSO tried once a
notification has failed `retry.attempts_before_fallback` times on it (delivery escalation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
EMAIL = "email"
MQTT = "mqtt"
RESERVED = (EMAIL, MQTT)


class RetryPolicy(BaseModel):
    """Exponential backoff: the n-th failure waits min(max_s, base_s * 2**(n-1))."""

    model_config = ConfigDict(extra="forbid")

    base_s: float = Field(2.0, gt=0, description="wait after the first failure (seconds)")
    max_s: float = Field(300.0, gt=0, description="longest wait between attempts (seconds)")
    attempts_before_fallback: int = Field(
        3, ge=1, description="failed attempts on a channel before its fallback is also tried"
    )
    max_attempts: int = Field(
        200,
        ge=1,
        description="give up (state 'failed', still listed) after this many attempts; "
        "200 at max_s=300 is about 16 hours",
    )

    def delay_s(self, failures: int) -> float:
        return float(min(self.max_s, self.base_s * 2 ** max(0, failures - 1)))


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ChannelName = Field(description="channel name used in `levels` and `fallback`")
    url: str = Field(pattern=r"^https?://", description="POST target (https outside the LAN)")
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 key (prefer secret_file)")
    secret_file: Path | None = Field(None, description="file holding the HMAC key")
    timeout_s: float = Field(5.0, gt=0, le=60, description="connect+read timeout per attempt")
    verify_tls: bool | Path = Field(
        True, description="verify the server certificate (or a CA bundle file)"
    )
    fallback: ChannelName | None = Field(None, description="channel also tried after failures")

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookConfig:
        if (self.secret is None) == (self.secret_file is None):
            raise ValueError(f"webhook {self.name!r}: set exactly one of secret, secret_file")
        if self.name in RESERVED:
            raise ValueError(f"webhook name {self.name!r} is reserved")
        return self

    def key(self) -> bytes:
        if self.secret is not None:
            return self.secret.get_secret_value().encode()
        assert self.secret_file is not None
        return self.secret_file.read_text().strip().encode()


class SmtpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = Field(True, description="upgrade with STARTTLS (port 587)")
    ssl: bool = Field(False, description="implicit TLS (port 465); excludes starttls")
    ca_file: Path | None = Field(None, description="CA bundle for a private mail server")
    username: str | None = None
    password_file: Path | None = Field(None, description="file holding the SMTP password")
    sender: str = Field(alias="from", description="From: address")
    to: dict[str, list[str]] = Field(
        description="recipients per escalation level; key 'default' for levels not listed"
    )
    timeout_s: float = Field(10.0, gt=0, le=120)
    fallback: ChannelName | None = None

    @model_validator(mode="after")
    def _tls(self) -> SmtpConfig:
        if self.ssl and self.starttls:
            raise ValueError("smtp: ssl (implicit TLS) and starttls exclude each other")
        if self.username and not self.password_file:
            raise ValueError("smtp: username needs password_file")
        return self

    def recipients(self, level: str) -> list[str]:
        """`to[level]`, else `to["default"]`, else everyone listed (over-notify, never drop)."""
        found = self.to.get(level) or self.to.get("default")
        if found:
            return list(found)
        return sorted({addr for addrs in self.to.values() for addr in addrs})

    def password(self) -> str | None:
        return self.password_file.read_text().strip() if self.password_file else None


class MqttConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="publish to stationkit/v1/{site}/gateway/alert")
    publish_timeout_s: float = Field(
        5.0, gt=0, description="wait this long for the broker's PUBACK when it can be awaited"
    )
    fallback: ChannelName | None = None


class NotifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    smtp: SmtpConfig | None = None
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    levels: dict[str, list[ChannelName]] = Field(
        default_factory=dict,
        description="escalation level -> channel names; a level not listed gets every channel",
    )
    retry: RetryPolicy = Field(default_factory=RetryPolicy)

    def channel_names(self) -> list[str]:
        names = [w.name for w in self.webhooks]
        if self.smtp is not None:
            names.append(EMAIL)
        if self.mqtt.enabled:
            names.append(MQTT)
        return names

    def webhook(self, name: str) -> WebhookConfig | None:
        return next((w for w in self.webhooks if w.name == name), None)

    def fallback_of(self, channel: str) -> str | None:
        if channel == EMAIL:
            return self.smtp.fallback if self.smtp else None
        if channel == MQTT:
            return self.mqtt.fallback
        hook = self.webhook(channel)
        return hook.fallback if hook else None

    def channels_for(self, level: str) -> list[str]:
        """Channels serving `level`; an unknown level gets every channel (over-notifying
        beats silence when the escalation config names a level this section forgot)."""
        if level in self.levels:
            return list(self.levels[level])
        return self.channel_names()

    @model_validator(mode="after")
    def _consistent(self) -> NotifyConfig:
        names = self.channel_names()
        if len(set(names)) != len(names):
            raise ValueError("notify: channel names must be unique")
        for level, chans in self.levels.items():
            for chan in chans:
                if chan not in names:
                    raise ValueError(f"notify.levels.{level}: unknown channel {chan!r}")
        for chan in names:
            seen = [chan]
            nxt = self.fallback_of(chan)
            while nxt is not None:
                if nxt not in names:
                    raise ValueError(f"notify: fallback of {seen[-1]!r} is unknown: {nxt!r}")
                if nxt in seen:
                    raise ValueError(f"notify: fallback loop {' -> '.join([*seen, nxt])}")
                seen.append(nxt)
                nxt = self.fallback_of(nxt)
        if self.smtp is not None:
            for level in self.levels:
                reach = self._reachable(self.channels_for(level))
                if EMAIL in reach and not (self.smtp.to.get(level) or self.smtp.to.get("default")):
                    raise ValueError(f"notify.smtp.to: no recipients for level {level!r}")
        return self

    def _reachable(self, chans: list[str]) -> set[str]:
        out: set[str] = set()
        for chan in chans:
            nxt: str | None = chan
            while nxt is not None and nxt not in out:
                out.add(nxt)
                nxt = self.fallback_of(nxt)
        return out
