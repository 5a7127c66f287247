"""Real receivers for the notification tests: an HTTP webhook server that can fail on purpose,
an SMTP server (aiosmtpd) with STARTTLS and AUTH on a certificate of a test CA, a fake clock."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from devices.contract.codec import new_id
from gateway.provision import pki
from tests.support.net import free_port

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SERVER_HOSTS = ["localhost", "127.0.0.1"]


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def alert_dict(site: str = "s1", rule: str = "fever_referral", **extra: Any) -> dict[str, Any]:
    at = T0.isoformat()
    alert: dict[str, Any] = {
        "id": new_id(),
        "rule": rule,
        "severity": "major",
        "site": site,
        "node": "desk-1",
        "device": "thermo-1",
        "subject": None,
        "first_at": at,
        "last_at": at,
        "count": 1,
        "state": "active",
        "changed_at": at,
        "changed_by": None,
        "assignee": None,
        "escalation_level": 0,
        "event_id": new_id(),
        "incident_id": None,
    }
    alert.update(extra)
    return alert


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float  # time.monotonic() when answered


@dataclass
class WebhookReceiver:
    """A real HTTP server: answers `fail_status` to the first `fail_first` requests, then 200."""

    fail_first: int = 0
    fail_status: int = 500
    delay_s: float = 0.0  # think time before answering
    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?token=s3cret"

    def ok(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.status == 200]

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                with receiver._lock:
                    failing = len(receiver.requests) < receiver.fail_first
                    status = receiver.fail_status if failing else 200
                    receiver.requests.append(
                        Received(dict(self.headers.items()), body, status, time.monotonic())
                    )
                reply = b'{"ok":true}' if status == 200 else b'{"error":"down"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def server_certificate(tmp: Path) -> tuple[Path, Path, Path]:
    """A test CA and the server certificate it issued for 127.0.0.1/localhost, made the way
    `stationkit provision` makes the broker's: (ca.pem, cert.pem, key.pem)."""
    ca = pki.create_ca("stationkit-test-smtp-ca")
    leaf = pki.issue(ca.key_pem, ca.cert_pem, "stationkit-test-smtp", server_hosts=SERVER_HOSTS)
    paths = tmp / "smtp-ca.crt", tmp / "smtp.crt", tmp / "smtp.key"
    for path, pem in zip(paths, (ca.cert_pem, leaf.cert_pem, leaf.key_pem), strict=True):
        path.write_bytes(pem)
    return paths


@dataclass
class Mail:
    sender: str
    rcpts: list[str]
    message: EmailMessage
    login: str | None
    tls: bool


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        login = session.auth_data.login.decode() if session.auth_data else None
        with self.box.lock:
            self.box.mails.append(
                Mail(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    msg,
                    login,
                    server.transport.get_extra_info("ssl_object") is not None,
                )
            )
        return f"250 OK queued as {len(self.box.mails)}"


class SmtpServer:
    """aiosmtpd on a free port: STARTTLS (or implicit TLS) and AUTH (LOGIN/PLAIN) required."""

    def __init__(
        self,
        tmp: Path,
        username: str = "station",
        password: str = "pw-123",
        implicit_tls: bool = False,
    ) -> None:
        self.ca, self.cert, self.key = server_certificate(tmp)
        self.username, self.password = username, password
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.port = free_port()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        tls: dict[str, Any] = (
            # implicit TLS (port 465 style): the whole session is encrypted from the start
            {"ssl_context": ctx, "auth_require_tls": False}
            if implicit_tls
            else {"tls_context": ctx, "require_starttls": True, "auth_require_tls": True}
        )
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            auth_required=True,
            authenticator=self._auth,
            **tls,
        )

    def _auth(
        self, _server: Any, _session: Session, _env: Envelope, _mech: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def received(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)
