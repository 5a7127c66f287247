"""`IntakeApp`: the intake desk node application (implements `firmware_py.app.NodeApp`).

A thin loop around `machine.CheckMachine`: device callbacks and dashboard commands become
machine inputs (under one lock), a tick thread drives the timeouts, and the machine's
effects go out — events into the agent's durable outbox (so nothing is lost while the
network is down), lamp/buzzer/turnstile through the desk signals, which work without the
gateway. Device faults and recoveries are `fault` events.

The open checks (and the checks closed within the correction window) are kept in the
outbox's database too, written in the same transaction as the events of the step that
changed them (`StatefulContext.emit_with_state`): a node killed mid-check restarts with the
checks it had, and resumes or closes each one (`machine.Restore`). Signals act only after
that commit, so the turnstile never opens for a check that is not on disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from devices.contract import codec
from devices.contract.errors import ContractError
from devices.contract.models import (
    CheckData,
    CheckProgress,
    Command,
    DeviceState,
    FaultData,
    IntakeProgress,
)
from devices.contract.models.intake import MAX_PROGRESS_CHECKS
from devices.gate.base import Gate, GateAlarm, GateEvent, GatePassage
from devices.gate.signals import DeskSignals, RecordingDeskSignals
from devices.thermo.base import Measurement, Thermometer
from devices.wand.keys import Holster, WandEvent, WandKey, WandKeys
from firmware_py.app import NodeContext, StatefulContext
from firmware_py.intake import machine as m
from firmware_py.intake.config import IntakeConfig
from firmware_py.intake.devices import build_devices

log = logging.getLogger(__name__)

STATE_SCOPE = "intake"
"""The outbox state rows of the intake app: ``open/<check_id>`` (a `CheckProgress`) and
``closed/<check_id>`` (the last `CheckData` of a check still open to correction)."""


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WandArgs(_Args):
    result: Literal["clear", "metal_found"] = Field(description="the wand result")
    items: list[str] = Field(default_factory=list, max_length=50, description="items held")
    operator: str | None = Field(None, max_length=200, description="who entered it")
    check_id: str | None = Field(None, description="target check (default: oldest waiting)")


class OutcomeArgs(_Args):
    outcome: Literal["refused"] | None = Field(None, description="an operator-decided outcome")
    result: Literal["clear", "metal_found"] | None = Field(None, description="wand result")
    items: list[str] = Field(default_factory=list, max_length=50, description="items held")
    operator: str | None = Field(None, max_length=200, description="who entered it")
    note: str | None = Field(None, max_length=2000, description="operator's note")
    check_id: str | None = Field(None, description="target check (default: the current one)")


class CoreArgs(_Args):
    celsius: float = Field(ge=25, le=45, description="confirmed core temperature, °C")
    operator: str | None = Field(None, max_length=200, description="who measured it")
    check_id: str | None = Field(
        None,
        description="target check, open or closed within the correction window (default: "
        "the oldest check waiting for a core temperature, else the person at the thermometer)",
    )


class SelectArgs(_Args):
    check_id: str = Field(description="the check the next thermometer reading belongs to")


class IntakeApp:
    def __init__(
        self,
        config: IntakeConfig,
        *,
        pin_factory: Any = None,
        gate: Gate | None = None,
        thermometer: Thermometer | None = None,
        wand: WandKeys | None = None,
        signals: DeskSignals | None = None,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.wall = wall
        self._pin_factory = pin_factory
        self._given = (gate, thermometer, wand, signals)
        self.policy = m.Policy(
            fever_threshold_celsius=config.fever_threshold_celsius,
            remeasure_below_celsius=config.remeasure_below_celsius,
            hypothermia_screening_below_celsius=config.hypothermia_screening_below_celsius,
            hypothermia_below_celsius=config.hypothermia_below_celsius,
            temperature_timeout_s=config.temperature_timeout_s,
            core_timeout_s=config.core_timeout_s,
            wand_timeout_s=config.wand_timeout_s,
            correction_window_s=config.correction_window_s,
            alarm_window_s=config.alarm_window_s,
            lamp_hold_s=config.lamp_hold_s,
            release_on_clear=config.release_on_clear,
            operator=config.operator,
        )
        kw = {"new_id": new_id} if new_id else {}
        self.machine = m.CheckMachine(self.policy, **kw)
        self.gate: Gate | None = None
        self.thermometer: Thermometer | None = None
        self.wand: WandKeys | None = None
        self.signals: DeskSignals = RecordingDeskSignals()
        self.ctx: NodeContext | None = None
        self.holster_lifted = False
        self.emit_errors = 0
        self.restored = 0
        """Checks brought back from the outbox database at start."""
        # the state rows as last committed (see _state_change)
        self._saved_open: dict[str, bytes] = {}
        self._saved_closed: dict[str, CheckData | None] = {}
        self._unsaved = False  # a state change the outbox could not write yet
        self._published: list[bytes] | None = None  # the open checks the gateway was told
        self._states: dict[str, DeviceState] = {}
        self._errors: dict[str, int] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._beat = time.monotonic()
        self.stuck_after_s = 10.0  # the tick loop silent this long: stuck (watchdog)

    # -- NodeApp ---------------------------------------------------------------------------------
    def start(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        gate, thermo, wand, signals = self._given
        if None in (gate, thermo, wand, signals):
            built = build_devices(self.config, pin_factory=self._pin_factory)
            gate = gate or built.gate
            thermo = thermo or built.thermometer
            wand = wand or built.wand
            signals = signals or built.signals
        assert gate and thermo and wand and signals
        self.gate, self.thermometer, self.wand, self.signals = gate, thermo, wand, signals
        for dev in (gate, thermo, wand):
            self._states[dev.id] = "unknown"
        self.signals.lamp("off")
        self._restore()
        with self._lock:  # the gateway learns the restored state (or that none is open)
            self._publish_progress(self.progress(), list(self._saved_open.values()), always=True)
        gate.start(self._on_gate, self._state_cb(gate.id))
        thermo.start(self._on_measurement, self._state_cb(thermo.id))
        wand.start(self._on_wand, self._state_cb(wand.id))
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="intake-tick", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        if self._stop.is_set():
            return  # already stopped (the agent and its owner may both call stop)
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        for dev in (self.gate, self.thermometer, self.wand):
            if dev is not None:
                try:
                    dev.stop()
                except Exception:
                    log.exception("stopping %s failed", dev.id)
        self.signals.lamp("off")
        self.signals.close()

    def devices(self) -> dict[str, DeviceState]:
        with self._lock:
            return dict(self._states)

    def handle_command(self, cmd: Command) -> tuple[bool, str | None] | None:
        """Dashboard commands. Each applies only in the state it is meant for; otherwise it
        is refused (ack ok=false with a sentence for the desk) and nothing is recorded."""
        try:
            if cmd.action == "release_gate":
                self.signals.release(self.config.release_pulse_s)
                return True, None
            if cmd.action == "wand_result":
                a = WandArgs.model_validate(cmd.args)
                return self._operator(
                    m.WandEntry(
                        self.wall(),
                        a.result,
                        "dashboard",
                        tuple(a.items),
                        a.operator,
                        None,
                        a.check_id,
                    )
                )
            if cmd.action == "outcome":
                o = OutcomeArgs.model_validate(cmd.args)
                if o.outcome == "refused":
                    return self._operator(m.Refusal(self.wall(), o.operator, o.note, o.check_id))
                if o.result is not None:
                    # "Admit" / "Items held": a decision, valid only when the wand result is
                    # the one step the check still misses (never stands in for a reading)
                    return self._operator(
                        m.WandEntry(
                            self.wall(),
                            o.result,
                            "dashboard",
                            tuple(o.items),
                            o.operator,
                            None,
                            o.check_id,
                            decides=True,
                        )
                    )
                return False, "outcome needs {'outcome': 'refused'} or {'result': 'clear'|…}"
            if cmd.action == "core_temperature":
                c = CoreArgs.model_validate(cmd.args)
                return self._operator(
                    m.CoreTemperature(self.wall(), c.celsius, c.operator, c.check_id)
                )
            if cmd.action == "select_check":
                sel = SelectArgs.model_validate(cmd.args)
                return self._operator(m.Select(self.wall(), sel.check_id))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "args"
            return False, f"{cmd.action}: {where}: {first['msg']}"
        return None

    # -- desk page ---------------------------------------------------------------------------------
    def current_check(self) -> dict[str, Any] | None:
        """The check at the desk (oldest open), for the desk page; None when idle."""
        with self._lock:
            c = self.machine.current()
            return None if c is None else _snapshot(c, len(self.machine.open))

    def open_checks(self) -> list[dict[str, Any]]:
        with self._lock:
            n = len(self.machine.open)
            return [_snapshot(c, n) for c in self.machine.open]

    def progress(self) -> list[CheckProgress]:
        """Where each open check stands, as the node persists it (oldest first)."""
        with self._lock:
            return [c.progress() for c in self.machine.open]

    # -- inputs ------------------------------------------------------------------------------------
    def feed(self, inp: m.Input) -> list[m.Effect]:
        """Apply one input and carry out its effects (also used by the scenario runner):
        first its events and the changed check state in one commit, then the signals."""
        with self._lock:
            effects = self.machine.handle(inp)
            self._commit([e for e in effects if isinstance(e, m.Emit)])
            for e in effects:
                if not isinstance(e, m.Emit):
                    self._apply(e)
        return effects

    # -- persistence -------------------------------------------------------------------------------
    def _state_change(
        self,
    ) -> tuple[dict[str, bytes | None], dict[str, bytes], list[CheckProgress]]:
        """State rows to write (bytes) or delete (None) since the last commit, the open rows
        now, and the open checks they encode. Closed checks are immutable records: compared by
        identity, encoded once."""
        checks = [c.progress() for c in self.machine.open]
        opened = {f"open/{p.check_id}": codec.encode(p) for p in checks}
        change: dict[str, bytes | None] = {
            k: v for k, v in opened.items() if self._saved_open.get(k) != v
        }
        change.update({k: None for k in self._saved_open if k not in opened})
        closed = self.machine.closed
        for cid, d in closed.items():
            if self._saved_closed.get(cid) is not d:
                change[f"closed/{cid}"] = codec.encode(d)
        change.update({f"closed/{cid}": None for cid in self._saved_closed if cid not in closed})
        return change, opened, checks

    def _commit(self, emits: list[m.Emit]) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        if not isinstance(ctx, StatefulContext):  # a context without state: events only
            for e in emits:
                self._emit(e.kind, e.data, e.device)
            return
        if not (emits or self.machine.dirty or self._unsaved):
            return  # an idle tick: nothing to compare, nothing to write
        self.machine.dirty = False
        change, opened, checks = self._state_change()
        if not emits and not change:
            self._unsaved = False
            return
        self._unsaved = True  # until the outbox says it is written
        try:
            _events, saved = ctx.emit_with_state(
                [(e.kind, e.data, e.device) for e in emits], scope=STATE_SCOPE, state=change
            )
            if saved:  # else (disk full) the same change is computed and written next tick
                self._saved_open = opened
                self._saved_closed = dict(self.machine.closed)
                self._unsaved = False
                self._publish_progress(checks, list(opened.values()))
        except Exception:  # the outbox refusing must not stop the desk: count, log, go on
            self.emit_errors += 1
            log.exception("storing %d intake events and the check state failed", len(emits))

    def _publish_progress(
        self, checks: list[CheckProgress], rows: list[bytes], always: bool = False
    ) -> None:
        """Tell the gateway where the open checks stand (`rows`: the same, as stored), once
        that state is stored and only when it changed: the desk page shows what the node says
        (docs/intake.md)."""
        ctx = self.ctx
        if not isinstance(ctx, StatefulContext) or (rows == self._published and not always):
            return
        progress = IntakeProgress(
            at=self.wall(),
            open=checks[:MAX_PROGRESS_CHECKS],
            more_open=max(0, len(checks) - MAX_PROGRESS_CHECKS),
        )
        try:
            ctx.publish_progress(progress)
            self._published = rows
        except Exception:  # the desk goes on; the next change (or reconnect) tells it again
            log.exception("telling the gateway where the checks stand failed")

    def _restore(self) -> None:
        """Bring back the checks that were open when the node last stopped (or died)."""
        ctx = self.ctx
        if not isinstance(ctx, StatefulContext):
            return
        opened: list[CheckProgress] = []
        closed: list[CheckData] = []
        for key, value in ctx.load_state(STATE_SCOPE).items():
            kind, _, cid = key.partition("/")
            try:
                if kind == "open":
                    self._saved_open[key] = value
                    opened.append(codec.decode(CheckProgress, value))
                elif kind == "closed":
                    self._saved_closed[cid] = None
                    closed.append(codec.decode(CheckData, value))
                    self._saved_closed[cid] = closed[-1]
            except ContractError as exc:  # never crash on a bad row: log it, drop it
                log.error("intake state row %s unreadable (%s); dropped", key, exc)
        self.restored = len(opened)
        if opened:
            log.warning("node restarted with %d open checks: resuming or closing them", len(opened))
        self.feed(m.Restore(self.wall(), tuple(opened), tuple(closed)))

    def _operator(self, inp: m.Input) -> tuple[bool, str | None]:
        rejected = [e for e in self.feed(inp) if isinstance(e, m.Rejected)]
        return (False, rejected[0].reason) if rejected else (True, None)

    def _on_gate(self, ev: GateEvent) -> None:
        gate_id = self.gate.id if self.gate else None
        if isinstance(ev, GatePassage):
            self.feed(
                m.Passage(self.wall(), ev.direction, gate_id, ev.alarm, ev.zone_mask, ev.level)
            )
        elif isinstance(ev, GateAlarm):
            self.feed(m.GateAlarm(self.wall(), gate_id, ev.zone_mask, ev.level))

    def _on_measurement(self, ms: Measurement) -> None:
        self.feed(
            m.Reading(
                self.wall(),
                ms.celsius,
                ms.mode,
                self.thermometer.id if self.thermometer else None,
                ms.object_celsius,
                ms.ambient_celsius,
            )
        )

    def _on_wand(self, ev: WandEvent) -> None:
        if isinstance(ev, WandKey):
            wand_id = self.wand.id if self.wand else None
            self.feed(m.WandEntry(self.wall(), ev.result, "keypad", (), None, wand_id))
        elif isinstance(ev, Holster):
            self.holster_lifted = ev.lifted

    def _state_cb(self, device: str) -> Callable[[DeviceState, str | None], None]:
        def cb(state: DeviceState, error: str | None) -> None:
            with self._lock:
                before = self._states.get(device, "unknown")
                self._states[device] = state
                if state == "fault":
                    self._errors[device] = self._errors.get(device, 0) + 1
                    self._emit(
                        "fault",
                        FaultData(
                            state="fault",
                            error=(error or "")[:500] or None,
                            errors=self._errors[device],
                        ),
                        device,
                    )
                    self.signals.buzz("alert")
                elif state == "ok" and before == "fault":
                    self._emit(
                        "fault", FaultData(state="ok", errors=self._errors.get(device, 0)), device
                    )

        return cb

    def healthy(self) -> str | None:
        """For the node's watchdog: None while the tick loop (timeouts, releases) is turning."""
        if self._ticker is None:
            return None
        stale = time.monotonic() - self._beat > max(self.stuck_after_s, 50 * self.config.tick_s)
        if not self._ticker.is_alive() or stale:
            return "intake tick loop stuck"
        return None

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.config.tick_s):
            self._beat = time.monotonic()
            try:
                self.feed(m.Tick(self.wall()))
            except Exception:
                log.exception("intake tick failed")

    # -- effects -----------------------------------------------------------------------------------
    def _emit(self, kind: str, data: Any, device: str | None) -> None:
        if self.ctx is None:
            return
        try:
            self.ctx.emit(kind, data, device=device)
        except Exception:  # the outbox refusing must not stop the desk: count, log, go on
            self.emit_errors += 1
            log.exception("emitting a %s event failed", kind)

    def _apply(self, e: m.Effect) -> None:
        match e:
            case m.Emit(kind, data, device):
                self._emit(kind, data, device)
            case m.Lamp(color):
                self.signals.lamp(color)
            case m.Buzz(pattern):
                self.signals.buzz(pattern)
            case m.Release():
                self.signals.release(self.config.release_pulse_s)
            case m.Rejected(reason):
                log.info("intake input rejected: %s", reason)


def _snapshot(c: m.OpenCheck, n_open: int) -> dict[str, Any]:
    return {
        "check_id": c.check_id,
        "started_at": c.started_at.isoformat(),
        "waiting_for": c.waiting_for(),
        "gate_alarm": c.gate_alarm,
        "wand": c.wand,
        "celsius": c.core_celsius if c.core_celsius is not None else c.result_celsius,
        "readings": [r.celsius for r in c.readings],
        "remeasure": bool(c.readings) and c.readings[-1].remeasure,
        "core_needed": c.needs_core,
        "queue": n_open,
    }
