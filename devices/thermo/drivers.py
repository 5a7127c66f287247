"""Serial thermometer drivers: GY-MCU90614 stream and Optris CT (polled); Modbus in `modbus`.

Each runs one thread: read or poll with a timeout, parse with the pure protocol module,
feed the `MeasurementDetector`, report. Ports are opened by URL (`serial_for_url`) and
survive unplugging: the state goes to "fault" with a message saying what to check, and
back to "ok" when the adapter returns.

A present adapter is not a working thermometer: every driver runs a `DataWatchdog`, and no
valid frame (GY) or reply (Optris, Modbus) for `data_timeout_s` is a fault too — "sends
nothing" (power, wiring) or "sends only unreadable data" (baud rate, scale). The device is
"ok" only once a valid frame came in, and again as soon as one does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Literal

from devices.base import DeviceState, OnState, ReportsState
from devices.serialio.errors import FrameError
from devices.serialio.port import PortState, ReconnectingPort
from devices.serialio.watchdog import DataWatchdog, Silence
from devices.thermo import gy90614, optris
from devices.thermo.base import Measurement, MeasurementDetector, OnMeasurement

log = logging.getLogger(__name__)

FaultCause = Literal["port", "data"] | None
"""Why a thermometer is faulty: its adapter (port) or what comes through it (data)."""

GY_DATA_TIMEOUT_S = 3.0
"""The GY module streams ~14 frames/s: 3 s of nothing is ~40 frames lost, not a hiccup."""
OPTRIS_DATA_TIMEOUT_S = 2.0
"""Polled every 100 ms: 2 s is ~20 unanswered requests."""


class _Threaded(ReportsState):
    """Shared plumbing: state with callbacks and log, the data watchdog, the thread, stop."""

    family = "thermometer"
    _log = log

    def __init__(
        self, id: str, *, data_timeout_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.id = id
        self.errors: Counter[str] = Counter()
        self.measurements = 0
        self.watchdog = DataWatchdog(data_timeout_s, clock)
        self._cause: FaultCause = None
        self._on_m: OnMeasurement | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _set(self, state: DeviceState, error: str | None, cause: FaultCause = None) -> None:
        # A fault whose cause changes (adapter unplugged → plugged back in but the module
        # is silent) is reported again: the desk must stop checking the cable and check
        # the module. The same cause repeating (every retry) is not.
        new_cause = state == "fault" and cause != self._cause
        if state != self.state or new_cause:
            self._cause = cause
            self._announce(state, error)
        elif error != self.error:
            self.error = error  # same cause, fresher detail (byte counts): status only

    def _port_state(self, state: PortState, error: str | None) -> None:
        if state == "fault":
            self._set("fault", error, "port")
        elif state == "ok":
            # an open port proves nothing: "ok" waits for the first valid frame
            self.watchdog.restart()

    def _valid(self) -> None:
        self.watchdog.valid()
        self._set("ok", None)

    def _watch(self, port_open: bool) -> None:
        """After each read or poll: a silent line past the timeout is a fault."""
        if not port_open:
            return
        why = self.watchdog.check()
        if why is not None:
            self._set("fault", self._silence_message(why), "data")

    def _silence_message(self, why: Silence) -> str:
        raise NotImplementedError

    def _report(self, m: Measurement | None) -> None:
        if m is not None:
            self.measurements += 1
            if self._on_m:
                self._on_m(m)

    def start(self, on_measurement: OnMeasurement, on_state: OnState) -> None:
        self._on_m, self._on_state = on_measurement, on_state
        self.watchdog.restart()
        self._thread = threading.Thread(target=self._loop, name=f"thermo-{self.id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # never let one bad sample kill the device thread
                self.errors["internal"] += 1
                log.exception("thermometer %s: unexpected error", self.id)
                time.sleep(0.1)

    def step(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._close()

    def _close(self) -> None:
        pass


class Gy90614Thermometer(_Threaded):
    """The GY-MCU90614 / GY-MCU90615 UART stream (same frames; 9600 or 115200 baud)."""

    def __init__(
        self,
        id: str,
        *,
        url: str,
        baudrate: int = 9600,
        detector: MeasurementDetector | None = None,
        data_timeout_s: float = GY_DATA_TIMEOUT_S,
        backoff_max_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(id, data_timeout_s=data_timeout_s, clock=clock)
        self.parser = gy90614.GyParser()
        self.detector = detector or MeasurementDetector()
        self.baudrate = baudrate
        self.port = ReconnectingPort(
            url,
            name=f"thermometer {id}",
            baudrate=baudrate,
            backoff_max_s=backoff_max_s,
            clock=clock,
            on_state=self._port_state,
        )

    def _port_state(self, state: PortState, error: str | None) -> None:
        if state == "ok":
            self.parser.reset()
            # modules may be configured for query mode: ask for continuous output
            self.port.write(gy90614.CMD_CONTINUOUS)
        super()._port_state(state, error)

    def _silence_message(self, why: Silence) -> str:
        where = f"thermometer {self.id} on {self.port.url}"
        t = self.watchdog.timeout_s
        if why == "nothing":
            return (
                f"{where} sends nothing for {t:g} s: check the module's power, its TX wire "
                f"to the adapter's RX, and that it runs at {self.baudrate} baud"
            )
        other = 115200 if self.baudrate == 9600 else 9600
        return (
            f"{where} sends data but no valid frame for {t:g} s "
            f"({self.watchdog.bytes_since_valid} bytes): check the baud rate — set to "
            f"{self.baudrate}, the module may be running at {other}"
        )

    def step(self) -> None:
        data = self.port.read()
        if not data:
            self.parser.timeout()
        else:
            self.watchdog.received(len(data))
            for f in self.parser.feed(data):
                self._valid()
                self._report(self.detector.feed(f.object_celsius, f.ambient_celsius))
            self.errors.update(self.parser.errors)
            self.parser.errors.clear()
        self._watch(self.port.is_open)

    def _close(self) -> None:
        self.port.close()


class OptrisThermometer(_Threaded):
    """Polls object (``01``) and head (``02``) temperature every `poll_s`."""

    def __init__(
        self,
        id: str,
        *,
        url: str,
        baudrate: int = 115200,
        address: int | None = None,
        scale: optris.Scale = "standard",
        poll_s: float = 0.1,
        reply_timeout_s: float = 0.1,
        detector: MeasurementDetector | None = None,
        data_timeout_s: float = OPTRIS_DATA_TIMEOUT_S,
        backoff_max_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(id, data_timeout_s=data_timeout_s, clock=clock)
        self.address = address
        self.scale: optris.Scale = scale
        self.baudrate = baudrate
        self.poll_s = poll_s
        self.reply_timeout_s = reply_timeout_s
        self.detector = detector or MeasurementDetector()
        self.clock = clock
        self.head_celsius: float | None = None
        self.last_rejected: bytes | None = None
        """The last object reply that was out of range (for the scale hint)."""
        self._polls = 0
        self.port = ReconnectingPort(
            url,
            name=f"thermometer {id}",
            baudrate=baudrate,
            read_timeout_s=0.02,
            backoff_max_s=backoff_max_s,
            clock=clock,
            on_state=self._port_state,
        )

    def _silence_message(self, why: Silence) -> str:
        where = f"thermometer {self.id} on {self.port.url}"
        t = self.watchdog.timeout_s
        addr = f", RS-485 address {self.address}" if self.address is not None else ""
        if why == "nothing":
            return (
                f"{where} does not answer for {t:g} s: check the sensor's power and its "
                f"settings (baud {self.baudrate}{addr})"
            )
        hint = (
            optris.other_scale_reading(self.last_rejected, self.scale)
            if self.last_rejected is not None
            else None
        )
        if hint is not None:
            other, celsius = hint
            shown = optris.raw_celsius(self.last_rejected or b"", self.scale)
            return (
                f"{where} answers in another scale: {shown:g} °C in the configured "
                f'"{self.scale}" scale would be {celsius:g} °C in the "{other}" one; '
                f'set scale = "{other}" for this head'
            )
        return (
            f"{where} answers, but no reply is valid for {t:g} s "
            f"({self.watchdog.bytes_since_valid} bytes): check the baud rate "
            f"({self.baudrate}){addr}"
        )

    def _ask(self, cmd: int) -> float | None:
        self.port.reset_input()
        if not self.port.write(optris.request(cmd, self.address)):
            return None
        window = b""
        deadline = self.clock() + self.reply_timeout_s
        while self.clock() < deadline and self.port.is_open:
            chunk = self.port.read(64)
            window += chunk
            if len(window) >= 2 and not chunk:
                break  # reply complete and the line went quiet
        if not self.port.is_open:
            # the adapter went away during the reply (its last read failed): the port's fault
            # is the newer news, and a reply taken now would report the unplugged head "ok"
            return None
        self.watchdog.received(len(window))
        try:
            reply = optris.parse_reply(window, cmd, self.scale)
        except FrameError as exc:
            self.errors[exc.reason] += 1
            if cmd == optris.CMD_OBJECT:
                # only a clean two-byte answer can be a head in another scale; a longer
                # window is line garbage (a wrong baud), whatever its last two bytes say
                clean = exc.reason == "out_of_range" and len(window) == optris.REPLY_BYTES
                self.last_rejected = window if clean else None
            return None
        if reply.garbage_bytes:
            self.errors["garbage"] += 1
        if cmd == optris.CMD_OBJECT:
            self.last_rejected = None
        return reply.celsius

    def step(self) -> None:
        t0 = self.clock()
        if not self.port.ensure_open():
            self.port.read()  # waits for the backoff
            return
        self._polls += 1
        if self._polls % 10 == 1:
            self.head_celsius = self._ask(optris.CMD_HEAD) or self.head_celsius
        value = self._ask(optris.CMD_OBJECT)
        if value is not None:
            self._valid()
            self._report(self.detector.feed(value, self.head_celsius))
        self._watch(self.port.is_open)
        rest = self.poll_s - (self.clock() - t0)
        if rest > 0:
            self._stop.wait(rest)

    def _close(self) -> None:
        self.port.close()
