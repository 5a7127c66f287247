"""sd_notify(3) for `Type=notify` units: readiness, watchdog keep-alives, status text.

Every function is a no-op returning False when the process was not started by systemd
(NOTIFY_SOCKET unset), so the node and gateway loops call them unconditionally. The watchdog
must be fed from the loop whose health it vouches for, at least every `watchdog_interval_s()`
(half of WatchdogSec=): a hung loop then stops feeding and systemd restarts the service.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send one notification (e.g. "READY=1"); True if it was delivered to systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError:
        return False  # systemd went away or the socket is not ours: never crash the loop


def ready() -> bool:
    return notify("READY=1")


def watchdog() -> bool:
    return notify("WATCHDOG=1")


def status(text: str) -> bool:
    """One-line status shown by `systemctl status` (newlines would end the message)."""
    return notify("STATUS=" + " ".join(text.split()))


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval_s() -> float | None:
    """How often to call `watchdog()` (half the unit's WatchdogSec), or None if not enabled."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6


def run_until_signal(
    start: Callable[[], None],
    stop: Callable[[], None],
    healthy: Callable[[], str | None],
    *,
    name: str,
    check_s: float = 5.0,
) -> int:
    """Start, tell systemd we are ready, then until SIGTERM/SIGINT: check `healthy()` and feed
    the watchdog only while it returns None (a stuck loop stops the feeding, so systemd
    restarts the service). Says STOPPING before `stop()`. Returns the exit code."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    start()
    ready()
    status(f"{name} running")
    interval = min(check_s, watchdog_interval_s() or check_s)
    stuck_logged = False
    while not done.wait(interval):
        problem = healthy()
        if problem is None:
            watchdog()
            if stuck_logged:
                status(f"{name} running")
                stuck_logged = False
        elif not stuck_logged:  # stop feeding: systemd restarts us after WatchdogSec
            log.error("%s: %s; no longer feeding the watchdog", name, problem)
            status(f"{name}: {problem}")
            stuck_logged = True
    stopping()
    stop()
    return 0
