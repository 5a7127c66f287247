"""`ReconnectingPort`: a serial port that survives its USB adapter being unplugged.

Opened with `serial.serial_for_url`, so ``/dev/ttyUSB0``, a udev symlink such as
``/dev/stationkit-thermo``, a pseudo-terminal, ``socket://host:port`` and ``loop://`` all
work. `read()` and `write()` never raise: a failure closes the port, records a fault
(`state`, `error`) and the next call reopens it once the backoff delay has passed
(doubling from `backoff_min_s` to `backoff_max_s`). `on_state(state, error)` is called on
every change between "ok" and "fault", so a driver can publish a fault/recovery event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import serial

from devices.backoff import Backoff

log = logging.getLogger(__name__)

PortState = Literal["unknown", "ok", "fault"]
Opener = Callable[..., Any]


def port_fault(where: str, problem: str, backoff: Backoff) -> str:
    """The fault of a port that failed (also the Modbus client's). The wait doubles after
    each failed attempt: say so rather than quote the first delay, only true for the first."""
    return f"{where}: {problem}; check the cable and USB adapter; {backoff.describe()}"


class ReconnectingPort:
    def __init__(
        self,
        url: str,
        *,
        name: str = "serial device",
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        read_timeout_s: float = 0.05,
        backoff_min_s: float = 0.2,
        backoff_max_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        opener: Opener = serial.serial_for_url,
        on_state: Callable[[PortState, str | None], None] | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self.settings: dict[str, Any] = {
            "baudrate": baudrate,
            "bytesize": bytesize,
            "parity": parity,
            "stopbits": stopbits,
        }
        self.read_timeout_s = read_timeout_s
        self.backoff = Backoff(backoff_min_s, backoff_max_s)
        self.clock = clock
        self.sleep = sleep
        self.opener = opener
        self.on_state = on_state
        self.state: PortState = "unknown"
        self.error: str | None = None
        self.errors = 0
        """Open and IO failures since this object was made."""
        self.opens = 0
        self._ser: Any = None
        self._retry_at = 0.0
        self._lock = threading.RLock()
        self._closed = False

    # -- state -----------------------------------------------------------------------------
    def _set(self, state: PortState, error: str | None) -> None:
        changed = state != self.state
        self.state, self.error = state, error
        if changed and self.on_state is not None:
            try:
                self.on_state(state, error)
            except Exception:  # a broken callback must not kill the reader
                log.exception("on_state callback of %s failed", self.name)

    def _fail(self, what: str, exc: BaseException) -> None:
        self.errors += 1
        self._drop()
        msg = port_fault(f"{self.name} on {self.url}", f"{what} ({exc})", self.backoff)
        if self.state != "fault":
            # debug only: the device driver owning the port logs the transition once
            # (`log_transition`), with whatever else it knows about the device
            log.debug("%s", msg)
        self._retry_at = self.clock() + self.backoff.next_delay()
        self._set("fault", msg)

    def _io_failed(self, ser: Any, what: str, exc: BaseException) -> None:
        with self._lock:
            if self._ser is ser:  # not already dropped (and maybe reopened) by another call
                self._fail(what, exc)

    def _drop(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # already gone with the adapter
                log.debug("close of %s failed", self.url, exc_info=True)

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def ensure_open(self) -> bool:
        """Open the port if it is closed and the backoff delay has passed; True if open."""
        with self._lock:
            if self._ser is not None:
                return True
            if self._closed or self.clock() < self._retry_at:
                return False
            try:
                self._ser = self.opener(
                    self.url, timeout=self.read_timeout_s, write_timeout=1.0, **self.settings
                )
            except Exception as exc:  # SerialException, OSError, ValueError from bad URLs
                self._fail("cannot open", exc)
                return False
            self.opens += 1
            self.backoff.reset()
            self._set("ok", None)
            # the callback may have used the port already (a driver's first command) and
            # found it gone again: then it is not open
            return self._ser is not None

    # -- IO ----------------------------------------------------------------------------------
    def read(self, max_bytes: int = 4096) -> bytes:
        """Bytes that arrive within `read_timeout_s` (maybe none). Never raises."""
        if not self.ensure_open():
            self.sleep(max(0.0, min(self.read_timeout_s, self._retry_at - self.clock())))
            return b""
        ser = self._ser
        try:
            first = ser.read(1)
            if not first:
                return b""
            waiting = ser.in_waiting
            rest = ser.read(min(waiting, max_bytes - 1)) if waiting else b""
            return bytes(first + rest)
        except Exception as exc:  # SerialException/OSError when the adapter goes away
            self._io_failed(ser, "read failed", exc)
            return b""

    def write(self, data: bytes) -> bool:
        """Send `data`; False (and a fault) if the port is not usable. Never raises."""
        if not self.ensure_open():
            return False
        ser = self._ser
        try:
            ser.write(data)
            return True
        except Exception as exc:
            self._io_failed(ser, "write failed", exc)
            return False

    def reset_input(self) -> None:
        """Discard whatever is waiting in the receive buffer (before a request/response)."""
        ser = self._ser
        if ser is None:
            return
        try:
            ser.reset_input_buffer()
        except Exception as exc:
            self._io_failed(ser, "flush failed", exc)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()
