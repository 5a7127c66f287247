"""`VirtualNullModem`: two pseudo-terminals joined like a null-modem cable.

Each end gets a stable path (a symlink, like the names the udev rules give real adapters),
so a driver opens one end and a device simulator opens the other, both with
`serial.serial_for_url`, exactly as they would open real ports. `unplug()` makes the host
end vanish as a USB adapter does (reads fail with EIO, the path disappears) and `replug()`
brings a new pseudo-terminal back under the same path. Used by the simulate mode of the
intake node and by the tests; Linux/macOS only (pty).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import tty
from pathlib import Path


class _End:
    def __init__(self, link: Path) -> None:
        self.link = link
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self.slave))

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class VirtualNullModem:
    def __init__(self, host_link: str | Path, device_link: str | Path) -> None:
        self.host_link = Path(host_link)
        self.device_link = Path(device_link)
        self.dropped_bytes = 0
        self._lock = threading.Lock()
        self._host: _End | None = _End(self.host_link)
        self._device: _End | None = _End(self.device_link)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="null-modem", daemon=True)
        self._thread.start()

    @property
    def host_path(self) -> str:
        """Path the driver opens (stays the same across unplug/replug)."""
        return str(self.host_link)

    @property
    def device_path(self) -> str:
        """Path the device simulator opens."""
        return str(self.device_link)

    @property
    def plugged(self) -> bool:
        return self._host is not None

    def unplug(self) -> None:
        with self._lock:
            if self._host is not None:
                self._host.close()
                self._host = None

    def replug(self) -> None:
        with self._lock:
            if self._host is None:
                self._host = _End(self.host_link)

    def inject(self, data: bytes) -> None:
        """Line noise: bytes that reach the host end as if the device had sent them."""
        with self._lock:
            if self._host is not None:
                with contextlib.suppress(OSError):
                    os.write(self._host.master, data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with self._lock:
            for end in (self._host, self._device):
                if end is not None:
                    end.close()
            self._host = self._device = None

    def __enter__(self) -> VirtualNullModem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _copy(self, src: int, dst: int | None) -> None:
        try:
            data = os.read(src, 4096)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        if dst is None:
            self.dropped_bytes += len(data)
            return
        try:
            os.write(dst, data)
        except OSError:  # receiver's buffer is full, as a UART overflows
            self.dropped_bytes += len(data)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                host, dev = self._host, self._device
            fds = [e.master for e in (host, dev) if e is not None]
            try:
                ready, _, _ = select.select(fds, [], [], 0.02)
            except (OSError, ValueError):  # an end was closed under us
                continue
            with self._lock:
                host, dev = self._host, self._device
                if host is not None and host.master in ready:
                    self._copy(host.master, dev.master if dev else None)
                if dev is not None and dev.master in ready:
                    self._copy(dev.master, host.master if host else None)
