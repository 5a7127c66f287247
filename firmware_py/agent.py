"""The node agent: owns the bus, the outbox, status, heartbeats and commands; runs node apps.

Threads: paho's network thread, the outbox publisher, and the heartbeat loop (this module).
Apps call `emit()` from their own threads; it returns once the event is on disk.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import (
    Ack,
    Command,
    DeviceState,
    Envelope,
    Heartbeat,
    IntakeProgress,
    Payload,
    Status,
    Stored,
)
from devices.contract.models import utc_now as now
from firmware_py import __version__
from firmware_py.app import NodeApp
from firmware_py.bus import MessageBus
from firmware_py.config import OutboxConfig
from firmware_py.outbox import Outbox, OutboxFull
from firmware_py.publisher import OutboxPublisher

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Payload)


def offline_status() -> bytes:
    return codec.encode(Status(state="offline", ts=now(), version=__version__))


class NodeAgent:
    """Implements `NodeContext` for the apps it runs."""

    def __init__(
        self,
        *,
        site: str,
        node: str,
        bus: MessageBus,
        outbox: Outbox,
        apps: list[NodeApp] | None = None,
        heartbeat_s: float = 15.0,
        delivery: OutboxConfig | None = None,
    ) -> None:
        """`delivery`: the outbox's window, confirmation, re-send and fault settings (the
        node.toml `[outbox]` section; its defaults when None)."""
        delivery = delivery or OutboxConfig()
        self.site = topics.check_slug(site, "site")
        self.node = topics.check_slug(node, "node")
        self.bus = bus
        self.outbox = outbox
        self.apps = list(apps or [])
        self.heartbeat_s = heartbeat_s
        self.publisher = OutboxPublisher(outbox, bus, delivery)
        self.unconfirmed_fault_s = delivery.unconfirmed_fault_s
        self.bad_stored = 0  # stored-acks that did not decode (counted, ignored)
        self.started = time.monotonic()
        self.outbox_fault: str | None = None
        self.bad_commands = 0
        self.progress_every_s = 0.2
        self._progress: bytes | None = None  # the last IntakeProgress sent, again on reconnect
        self._progress_next: tuple[IntakeProgress, int] | None = None  # and the seq it follows
        self._emitted_upto = 0  # the highest seq emitted by this process
        self._progress_cv = threading.Condition()
        self._progress_thread = threading.Thread(
            target=self._progress_loop, name="progress", daemon=True
        )
        self._stop = threading.Event()
        self.beat = time.monotonic()  # last heartbeat-loop turn
        self._hb_thread = threading.Thread(
            target=self._heartbeat_loop, name="heartbeat", daemon=True
        )

    # NodeContext ----------------------------------------------------------------------------

    def emit(
        self, kind: str, data: Payload | dict[str, Any], *, device: str | None = None
    ) -> Envelope:
        made: list[Envelope] = []

        def build(seq: int) -> tuple[str, str, bytes]:
            env = codec.make_event(
                kind, site=self.site, node=self.node, seq=seq, data=data, device=device
            )
            made.append(env)
            return env.id, topics.event(self.site, self.node, kind), codec.encode(env)

        try:
            self.outbox.append(build)
            self.outbox_fault = None
        except OutboxFull as exc:
            # The event is held in memory; the device keeps working; the fault is visible.
            self.outbox_fault = str(exc)
            log.error("%s", exc)
        self._emitted(made[0].seq)
        self.publisher.wake()
        return made[0]

    def emit_with_state(
        self,
        events: Sequence[tuple[str, Payload | dict[str, Any], str | None]],
        *,
        scope: str,
        state: Mapping[str, bytes | None],
    ) -> tuple[list[Envelope], bool]:
        """`emit` for several events (kind, data, device) plus the app's own state rows of
        `scope`, all in one outbox transaction (see `Outbox.append_with_state`). Returns the
        events and whether the state was written (not on a full disk: the events are kept)."""
        made: dict[int, Envelope] = {}

        def builder(kind: str, data: Payload | dict[str, Any], device: str | None) -> Any:
            def build(seq: int) -> tuple[str, str, bytes]:
                env = codec.make_event(
                    kind, site=self.site, node=self.node, seq=seq, data=data, device=device
                )
                made[seq] = env  # a retry on the event-only path rebuilds under the same seq
                return env.id, topics.event(self.site, self.node, kind), codec.encode(env)

            return build

        saved = False
        try:
            seqs, saved = self.outbox.append_with_state(
                [builder(k, d, dev) for k, d, dev in events], scope=scope, state=state
            )
            self.outbox_fault = None
        except OutboxFull as exc:
            self.outbox_fault = str(exc)
            log.error("%s", exc)
            seqs = sorted(made)  # each one is kept (in memory) under the seq it was built for
        if seqs:
            self._emitted(max(seqs))
        if events:
            self.publisher.wake()
        return [made[s] for s in seqs if s in made], saved

    def _emitted(self, seq: int) -> None:
        with self._progress_cv:
            self._emitted_upto = max(self._emitted_upto, seq)

    def load_state(self, scope: str) -> dict[str, bytes]:
        """The app state rows of `scope` last committed with `emit_with_state`."""
        return self.outbox.load_state(scope)

    def publish_progress(self, progress: IntakeProgress) -> None:
        """Hand over where the app's checks stand; the progress thread sends the newest one,
        retained, at most every `progress_every_s` (a burst of steps is one message), and
        again on every reconnect. It is state, not a record: only the last one matters."""
        with self._progress_cv:
            self._progress_next = (progress, self._emitted_upto)
            self._progress_cv.notify()

    def _progress_loop(self) -> None:
        while not self._stop.is_set():
            with self._progress_cv:
                self._progress_cv.wait_for(
                    lambda: self._progress_next is not None or self._stop.is_set()
                )
                item, self._progress_next = self._progress_next, None
            if item is not None:
                progress, after_seq = item
                self._after_events(after_seq)
                try:
                    self._progress = codec.encode(progress)
                    self._send_progress()
                except Exception:  # never stop telling: the next change is sent again
                    log.exception("sending the intake progress failed")
            self._stop.wait(self.progress_every_s)

    def _after_events(self, seq: int, wait_s: float = 2.0) -> None:
        """Let the events a progress follows go first (a check's outcome before the progress
        that no longer lists it: the broker keeps one connection's order), waiting at most
        `wait_s` behind a backlog."""
        end = time.monotonic() + wait_s
        while (
            self.publisher.sent_upto < seq
            and self.bus.connected
            and time.monotonic() < end
            and not self._stop.is_set()
        ):
            time.sleep(0.005)

    def _send_progress(self) -> None:
        payload = self._progress
        if payload is not None and self.bus.connected:
            self.bus.publish(topics.progress(self.site, self.node), payload, qos=1, retain=True)

    def publish_media(self, event_id: str, payload: bytes) -> None:
        self.bus.publish(topics.media(self.site, self.node, event_id), payload, qos=1)

    def publish_live(self, camera: str, jpeg: bytes) -> None:
        if self.bus.connected:
            self.bus.publish(topics.live(self.site, self.node, camera), jpeg, qos=0)

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.bus.on_connect = self._on_connect
        self.bus.subscribe(topics.cmd(self.site, self.node), self._on_command, qos=1)
        if self.publisher.confirm_by == "gateway":
            self.bus.subscribe(topics.stored(self.site, self.node), self._on_stored, qos=1)
        self.publisher.start()
        self.bus.start()
        for app in self.apps:
            app.start(self)
        self._hb_thread.start()
        self._progress_thread.start()

    def stop(self) -> None:
        for app in reversed(self.apps):  # a later app may play on an earlier one (the scenario)
            try:
                app.stop()
            except Exception:
                log.exception("app %r failed to stop", app)
        self._stop.set()
        with self._progress_cv:
            self._progress_cv.notify()
        if self.bus.connected:  # a clean disconnect does not fire the will: say it ourselves
            self.bus.publish(
                topics.status(self.site, self.node), offline_status(), qos=1, retain=True
            )
            time.sleep(0.2)
        self.publisher.stop()
        self.bus.close()

    def healthy(self) -> str | None:
        """None when the agent's loops are turning; otherwise what is stuck (for the watchdog)."""
        now = time.monotonic()
        if not self._hb_thread.is_alive() or now - self.beat > 3 * self.heartbeat_s + 5:
            return "heartbeat loop stuck"
        if now - self.publisher.beat > 30:
            return "outbox publisher stuck"
        for app in self.apps:  # the intake tick loop, the camera analysis loop
            probe = getattr(app, "healthy", None)
            problem = probe() if probe is not None else None
            if problem:
                return str(problem)
        return None

    def frames(self) -> dict[str, datetime]:
        """When each camera's last frame was analysed (apps that have cameras say)."""
        out: dict[str, datetime] = {}
        for app in self.apps:
            frames = getattr(app, "frames", None)
            if frames is not None:
                out.update(frames())
        return out

    def devices(self) -> dict[str, DeviceState]:
        states: dict[str, DeviceState] = {}
        for app in self.apps:
            states.update(app.devices())
        if self.outbox_fault or self.outbox.full:  # dropping or holding events: a fault
            states["outbox"] = "fault"
        elif self.publisher.unconfirmed_for_s() > self.unconfirmed_fault_s:
            # Events wait and the gateway confirms none: it is down, or older than contract
            # v1.1 (then set `confirm = "broker"` until it is upgraded; docs/mqtt.md).
            states["outbox"] = "fault"
        return states

    # bus callbacks --------------------------------------------------------------------------

    def _on_connect(self) -> None:
        status = Status(state="online", ts=now(), version=__version__, devices=self.devices())
        self.bus.publish(
            topics.status(self.site, self.node), codec.encode(status), qos=1, retain=True
        )
        self._send_progress()
        self.publisher.reconnected()

    def _on_stored(self, _topic: str, payload: bytes) -> None:
        stored = _decode_or_warn(Stored, payload, "stored-ack")
        if stored is None:
            self.bad_stored += 1
            return
        self.publisher.on_stored([(first, last) for first, last in stored.seqs])

    def _on_command(self, _topic: str, payload: bytes) -> None:
        cmd = _decode_or_warn(Command, payload, "command")
        if cmd is None:
            self.bad_commands += 1
            return
        ok, error = True, None
        if cmd.action == "ping":
            pass
        else:
            for app in self.apps:
                result = app.handle_command(cmd)
                if result is not None:
                    ok, error = result
                    break
            else:
                ok, error = False, f"unknown action {cmd.action!r}"
        ack = Ack(id=cmd.id, ok=ok, error=error)
        self.bus.publish(topics.ack(self.site, self.node), codec.encode(ack), qos=1)

    # heartbeat ------------------------------------------------------------------------------

    def heartbeat(self) -> Heartbeat:
        disk = (
            shutil.disk_usage(self.outbox.path.parent) if self.outbox.path.parent.exists() else None
        )
        return Heartbeat(
            ts=now(),
            uptime_s=round(time.monotonic() - self.started, 1),
            outbox=self.outbox.depth,
            dropped=self.outbox.dropped,
            interval_s=self.heartbeat_s,
            cpu=_cpu_percent(),
            mem=_mem_percent(),
            disk_free=disk.free if disk else None,
            devices=self.devices(),
            frames=self.frames(),
        )

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            self.beat = time.monotonic()
            try:
                self.outbox.prune_old()
                if self.bus.connected:
                    self.bus.publish(
                        topics.heartbeat(self.site, self.node),
                        codec.encode(self.heartbeat()),
                        qos=0,
                    )
            except Exception:
                log.exception("heartbeat failed; will retry")


def _decode_or_warn(model: type[M], payload: bytes, what: str) -> M | None:
    """A message from the broker, or None (logged) when it does not decode: the agent counts
    and ignores malformed ones."""
    try:
        return codec.decode(model, payload)
    except ContractError as exc:
        log.warning("ignored malformed %s: %s", what, exc)
        return None


def _cpu_percent() -> float | None:
    try:
        return round(min(100.0, os.getloadavg()[0] / (os.cpu_count() or 1) * 100), 1)
    except OSError:
        return None


def _mem_percent() -> float | None:
    try:
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, value = line.split(":", 1)
                info[key] = int(value.split()[0])
        return round(100 * (1 - info["MemAvailable"] / info["MemTotal"]), 1)
    except (OSError, KeyError, ValueError):
        return None
