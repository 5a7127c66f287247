"""uvicorn's HTTP/1.1 protocol (h11) with two guards uvicorn does not have.

1. **Request-receipt deadline.** uvicorn times out only the idle time *between* requests, and
   any byte received resets that timer (`data_received` unsets it first thing), so a client
   that opens a connection and trickles a header byte every few seconds holds it forever
   (slowloris; uvicorn issue #157 lists `--timeout-request-start` as never done). Here each
   connection must complete its request head within `header_timeout_s` of opening (or of the
   previous response), and the body within `body_timeout_s` of the head; otherwise it is
   closed. A request that has arrived whole is never timed: a live stream may run for hours.
2. **A cap on open connections that keeps the door open.** `limit_concurrency` answers 503
   only after a request arrived and still accepts every socket, so 1,100 silent connections
   used up 1,024 file descriptors and health, login and the API all stopped. Here a new
   connection past `max_connections` closes the oldest connection with no request in progress
   (silent, half-sent or idle keep-alive: nothing is lost, a browser reconnects); only when
   every connection is busy with a request is the new one closed instead. An attacker's silent
   sockets therefore make room for the next health check or login rather than blocking it.

ASGI middleware cannot do either: it runs only once a request head has been parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

from gateway.api.hardening.settings import HttpLimits


class _GuardedH11(H11Protocol):
    limits: ClassVar[HttpLimits] = HttpLimits()
    on_event: ClassVar[Callable[[str], None] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened_at = 0.0
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_body = False

    # connection life --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened_at = self.loop.time()
        self._arm(self.limits.header_timeout_s)
        self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._reading_body = False
        if not self.transport.is_closing():
            self._follow_request()

    def handle_websocket_upgrade(self, event: Any) -> None:
        self._disarm()  # the websocket protocol takes the socket over with its own pings
        super().handle_websocket_upgrade(event)

    # the deadline -----------------------------------------------------------------------
    def _idle(self) -> bool:
        """No request in progress: waiting for (the rest of) a request head."""
        return self.cycle is None or self.cycle.response_complete

    def _follow_request(self) -> None:
        if self._idle():
            if self._deadline is None:
                self._arm(self.limits.header_timeout_s)
            return
        if self.cycle.more_body:
            if not self._reading_body:  # the head just arrived: now the body's deadline
                self._reading_body = True
                self._arm(self.limits.body_timeout_s)
        else:
            self._disarm()  # the whole request is here; the app may take its time

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._idle():
            self._count("header_timeout")
            self.transport.close()
        elif self.cycle.more_body:
            self._count("body_timeout")
            self.transport.close()  # the app's receive() gets http.disconnect

    # the cap ----------------------------------------------------------------------------
    def _make_room(self) -> None:
        if len(self.connections) <= self.limits.max_connections:
            return
        idle = [
            c
            for c in self.connections
            if isinstance(c, _GuardedH11) and c is not self and c._idle()
        ]
        if idle:
            victim = min(idle, key=lambda c: c._opened_at)
            self._count("evicted_idle")
            victim.transport.close()
            victim.connections.discard(victim)  # counted out now, not at connection_lost
        else:
            self._count("refused_busy")
            self.connections.discard(self)
            self.transport.close()

    def _count(self, what: str) -> None:
        if type(self).on_event is not None:
            type(self).on_event(what)  # type: ignore[misc]


def guarded_protocol(
    limits: HttpLimits, on_event: Callable[[str], None] | None = None
) -> type[H11Protocol]:
    """An h11 protocol class bound to `limits`, for `uvicorn.Config(http=...)`; `on_event`
    is told each header_timeout, body_timeout, evicted_idle and refused_busy."""
    return type(
        "GuardedH11Protocol",
        (_GuardedH11,),
        {"limits": limits, "on_event": staticmethod(on_event) if on_event else None},
    )
