"""Senders: one attempt each, never raising; the result says what the far end replied.

Webhook: POST JSON with an HMAC-SHA256 signature of the raw body, a timestamp and an
idempotency key (the outbox row id, the same on every retry). E-mail: SMTP with STARTTLS (or
implicit TLS) and AUTH; the DATA reply ("250 ... queued as ...") is the proof kept. MQTT: QoS 1
through the gateway's own client; proof is the broker's PUBACK when the publish callable
returns something awaitable (paho's MQTTMessageInfo), else only "handed to the client".
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit, urlunsplit

import httpx

from gateway.notify.config import MqttConfig, SmtpConfig, WebhookConfig

SIGNATURE_HEADER = "X-StationKit-Signature"
TIMESTAMP_HEADER = "X-StationKit-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-StationKit-Attempt"


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    status: str | None = None  # HTTP status, SMTP code, "puback"/"queued"
    reply: str | None = None
    error: str | None = None


def sign(key: bytes, body: bytes) -> str:
    """The signature header value: `sha256=<hex HMAC-SHA256(key, raw body)>`."""
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(key: bytes, body: bytes, header: str) -> bool:
    """What a receiver does (constant-time compare of the raw body's HMAC)."""
    return hmac.compare_digest(sign(key, body), header)


def _short(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class WebhookSender:
    def __init__(self, cfg: WebhookConfig) -> None:
        self.cfg = cfg
        self._key = cfg.key()
        parts = urlsplit(cfg.url)
        netloc = parts.netloc.rpartition("@")[2]  # no credentials either
        self._public = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        verify_tls: bool | str = (
            str(cfg.verify_tls) if not isinstance(cfg.verify_tls, bool) else cfg.verify_tls
        )
        self._client = httpx.Client(
            timeout=cfg.timeout_s, verify=verify_tls, follow_redirects=False
        )

    def send(self, body: bytes, *, delivery_id: str, attempt: int, timestamp: int) -> Result:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self._key, body),
            TIMESTAMP_HEADER: str(timestamp),
            IDEMPOTENCY_HEADER: delivery_id,
            ATTEMPT_HEADER: str(attempt),
            "User-Agent": "StationKit-Notifier/1",
        }
        try:
            resp = self._client.post(self.cfg.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            text = str(exc).replace(self.cfg.url, self._public)  # no token from the query
            return Result(False, error=f"{type(exc).__name__}: {_short(text, 300)}")
        ok = 200 <= resp.status_code < 300
        return Result(
            ok,
            status=str(resp.status_code),
            reply=_short(resp.text),
            error=None if ok else f"HTTP {resp.status_code}",
        )

    def close(self) -> None:
        self._client.close()


class EmailSender:
    def __init__(self, cfg: SmtpConfig) -> None:
        self.cfg = cfg

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def message(self, to: str, subject: str, body: str, delivery_id: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.cfg.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now().astimezone())
        domain = self.cfg.sender.rpartition("@")[2] or "stationkit.local"
        msg["Message-ID"] = make_msgid(idstring=delivery_id, domain=domain)
        msg["X-StationKit-Delivery"] = delivery_id
        # base64: safe through relays without 8BITMIME; the text stays UTF-8 Chinese + English
        msg.set_content(body, charset="utf-8", cte="base64")
        return msg

    def send(self, to: str, subject: str, body: str, *, delivery_id: str) -> Result:
        cfg = self.cfg
        msg = self.message(to, subject, body, delivery_id)
        smtp: smtplib.SMTP | None = None
        try:
            if cfg.ssl:
                smtp = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout_s, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password() or "")
            code, resp = smtp.mail(cfg.sender, ["SMTPUTF8"] if not to.isascii() else [])
            if code != 250:
                return Result(False, str(code), _short(resp.decode(errors="replace")), "MAIL")
            code, resp = smtp.rcpt(to)
            if code not in (250, 251):
                return Result(False, str(code), _short(resp.decode(errors="replace")), "RCPT")
            # smtplib.data() does not fix line ends of bytes: generate CRLF ourselves
            code, resp = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
            reply = _short(resp.decode(errors="replace"))
            if code != 250:
                return Result(False, str(code), reply, "DATA refused")
            return Result(True, str(code), reply)
        except (smtplib.SMTPException, OSError) as exc:
            code_attr = getattr(exc, "smtp_code", None)
            return Result(
                False,
                str(code_attr) if code_attr is not None else None,
                error=f"{type(exc).__name__}: {_short(str(exc), 300)}",
            )
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()


class MqttSender:
    def __init__(self, cfg: MqttConfig, publish: Callable[[str, bytes], object] | None) -> None:
        self.cfg = cfg
        self.publish = publish

    def send(self, topic: str, payload: bytes) -> Result:
        if self.publish is None:
            return Result(False, error="no MQTT publish callable given to the Notifier")
        try:
            info = self.publish(topic, payload)
        except Exception as exc:  # the callable is the gateway's; any failure is one attempt
            return Result(False, error=f"{type(exc).__name__}: {_short(str(exc), 300)}")
        wait = getattr(info, "wait_for_publish", None)
        if wait is None:
            return Result(True, status="queued", reply="handed to the MQTT client")
        try:
            wait(self.cfg.publish_timeout_s)
        except (RuntimeError, ValueError) as exc:  # paho: not connected / queue full
            return Result(False, error=f"{type(exc).__name__}: {_short(str(exc), 300)}")
        if getattr(info, "is_published", lambda: False)():
            return Result(True, status="puback", reply=f"mid {getattr(info, 'mid', '?')}")
        return Result(False, error=f"no PUBACK within {self.cfg.publish_timeout_s}s")
