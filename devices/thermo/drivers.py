"""Serial thermometer drivers: GY-MCU90614 stream, Optris CT (polled), Modbus RTU module.

Each runs one thread: read or poll with a timeout, parse with the pure protocol module,
feed the `MeasurementDetector`, report. Ports are opened by URL (`serial_for_url`) and
survive unplugging: the state goes to "fault" with a message saying what to check, and
back to "ok" when the adapter returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from devices.serialio.errors import FrameError
from devices.serialio.port import PortState, ReconnectingPort
from devices.thermo import bodytemp_map as bm
from devices.thermo import gy90614, optris
from devices.thermo.base import (
    DeviceState,
    Measurement,
    MeasurementDetector,
    OnMeasurement,
    OnState,
)

log = logging.getLogger(__name__)


class _Threaded:
    """Shared plumbing: state with callbacks, the thread, stop."""

    id: str

    def __init__(self, id: str) -> None:
        self.id = id
        self.state: DeviceState = "unknown"
        self.error: str | None = None
        self.errors: Counter[str] = Counter()
        self.measurements = 0
        self._on_m: OnMeasurement | None = None
        self._on_s: OnState | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _set(self, state: DeviceState | PortState, error: str | None) -> None:
        if state != self.state:
            self.state, self.error = state, error
            if self._on_s:
                self._on_s(state, error)

    def _report(self, m: Measurement | None) -> None:
        if m is not None:
            self.measurements += 1
            if self._on_m:
                self._on_m(m)

    def start(self, on_measurement: OnMeasurement, on_state: OnState) -> None:
        self._on_m, self._on_s = on_measurement, on_state
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
    def __init__(
        self,
        id: str,
        *,
        url: str,
        baudrate: int = 9600,
        detector: MeasurementDetector | None = None,
        backoff_max_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(id)
        self.parser = gy90614.GyParser()
        self.detector = detector or MeasurementDetector()
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
        self._set(state, error)

    def step(self) -> None:
        data = self.port.read()
        if not data:
            self.parser.timeout()
            return
        for f in self.parser.feed(data):
            self._report(self.detector.feed(f.object_celsius, f.ambient_celsius))
        self.errors.update(self.parser.errors)
        self.parser.errors.clear()

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
        poll_s: float = 0.1,
        reply_timeout_s: float = 0.1,
        detector: MeasurementDetector | None = None,
        backoff_max_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(id)
        self.address = address
        self.poll_s = poll_s
        self.reply_timeout_s = reply_timeout_s
        self.detector = detector or MeasurementDetector()
        self.clock = clock
        self.head_celsius: float | None = None
        self._misses = 0
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

    def _port_state(self, state: PortState, error: str | None) -> None:
        self._set(state, error)

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
        try:
            reply = optris.parse_reply(window, cmd)
        except FrameError as exc:
            self.errors[exc.reason] += 1
            return None
        if reply.garbage_bytes:
            self.errors["garbage"] += 1
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
        if value is None:
            self._misses += 1
            if self._misses >= 5 and self.port.state == "ok":
                self._set(
                    "fault",
                    f"thermometer {self.id} on {self.port.url}: no valid reply to 5 requests; "
                    "check the sensor's power, baud rate and RS-485 address",
                )
        else:
            self._misses = 0
            self._set("ok", None)
            self._report(self.detector.feed(value, self.head_celsius))
        rest = self.poll_s - (self.clock() - t0)
        if rest > 0:
            self._stop.wait(rest)

    def _close(self) -> None:
        self.port.close()


def quiet_pymodbus() -> None:
    """pymodbus logs every failed connect with a frame dump; we report faults ourselves."""
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


class ModbusThermometer(_Threaded):
    """Polls the BODYTEMP-MB/1 input registers through pymodbus (RTU framer, CRC, retries).

    pymodbus flushes stale input before each request, so line noise costs at most one poll.
    A new measurement is reported when MEAS_SEQ moves and the status says valid + present.
    """

    def __init__(
        self,
        id: str,
        *,
        url: str,
        baudrate: int = 9600,
        parity: str = "N",
        unit: int = 1,
        poll_s: float = 0.2,
        timeout_s: float = 0.3,
        fail_after: int = 3,
        backoff_max_s: float = 5.0,
        client_factory: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(id)
        self.url = url
        self.unit = unit
        self.poll_s = poll_s
        self.fail_after = fail_after
        self.backoff_max_s = backoff_max_s
        self._fails = 0
        self._last_seq: int | None = None
        self._backoff_s = 0.2
        quiet_pymodbus()
        if client_factory is None:
            from pymodbus.client import ModbusSerialClient

            client_factory = ModbusSerialClient
        self.client = client_factory(
            port=url,
            baudrate=baudrate,
            parity=parity,
            timeout=timeout_s,
            retries=0,
            reconnect_delay=0,
        )

    def _poll(self) -> bm.BodyTempRegisters:
        from pymodbus.exceptions import ModbusException

        try:
            if not self.client.connected and not self.client.connect():
                raise ConnectionError("cannot open the port")
            rr = self.client.read_input_registers(
                bm.INPUT_START, count=bm.INPUT_COUNT, device_id=self.unit
            )
        except (ModbusException, OSError) as exc:
            self.client.close()
            raise ConnectionError(str(exc)) from None
        if rr.isError():
            raise FrameError("exception", f"device answered with Modbus exception {rr}")
        return bm.decode_registers(list(rr.registers))

    def step(self) -> None:
        try:
            regs = self._poll()
        except (ConnectionError, FrameError) as exc:
            self._fails += 1
            self.errors[getattr(exc, "reason", "no_reply")] += 1
            if self._fails >= self.fail_after:
                self._set(
                    "fault",
                    f"thermometer {self.id} on {self.url}: {exc}; check the cable, the USB "
                    f"adapter and the module's address ({self.unit}) and baud rate",
                )
                self.client.close()
                self._stop.wait(self._backoff_s)
                self._backoff_s = min(self._backoff_s * 2, self.backoff_max_s)
            return
        self._fails = 0
        self._backoff_s = 0.2
        self._set("ok", None)
        if regs.fault:
            self.errors["sensor_fault"] += 1
        if (
            self._last_seq is not None
            and regs.seq != self._last_seq
            and regs.valid
            and regs.present
        ):
            self._report(
                Measurement(regs.body_celsius, "body", regs.object_celsius, regs.ambient_celsius)
            )
        self._last_seq = regs.seq
        self._stop.wait(self.poll_s)

    def _close(self) -> None:
        self.client.close()
