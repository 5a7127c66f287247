"""`DeviceEndSim`: the device end of a serial line, played by a simulator on its own thread.

It opens its port with `serial.serial_for_url` (the device end of a `VirtualNullModem`, or a
real port and a null-modem cable to test a node) and runs the subclass's `_run` loop until
`close()`. The gate and thermometer simulators are built on it.
"""

from __future__ import annotations

import threading
import time

import serial


class DeviceEndSim:
    def __init__(self, url: str, *, baudrate: int, read_timeout_s: float, name: str) -> None:
        self.ser = serial.serial_for_url(url, baudrate=baudrate, timeout=read_timeout_s)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _read(self, max_bytes: int) -> bytes | None:
        """What arrives within the read timeout; None, after a short pause, if the port
        failed (the loop then skips its turn)."""
        try:
            return self.ser.read(max_bytes)
        except serial.SerialException:
            time.sleep(0.05)
            return None

    def _run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.ser.close()
