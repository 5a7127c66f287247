"""`CheckSimulator`: a seeded node app that emits realistic complete `check` events.

It is a load source for demos and benchmarks (a person every few seconds, some fevers,
some metal), not a device simulator: the intake app (firmware_py/intake) drives simulated
gates and thermometers through the real check workflow.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

from devices.contract.codec import new_id
from devices.contract.models import CheckData, Command, DeviceState, TemperatureReading, utc_now
from firmware_py.app import NodeContext

ITEMS = ["knife", "scissors", "lighter", "razor blade", "screwdriver"]


def simulated_check(rng: random.Random) -> CheckData:
    start = utc_now() - timedelta(seconds=rng.uniform(20, 60))
    roll = rng.random()
    celsius = round(rng.gauss(36.6, 0.3), 1)
    outcome, items, wand, alarm = "cleared", [], None, False
    if roll < 0.08:
        celsius, outcome = round(rng.uniform(37.4, 39.2), 1), "fever_referral"
    elif roll < 0.18:
        alarm, wand, items, outcome = True, "metal_found", [rng.choice(ITEMS)], "items_held"
    elif roll < 0.25:
        alarm, wand = True, "clear"
    elif roll < 0.27:
        outcome = "refused"
    reading = TemperatureReading(
        celsius=celsius, at=start + timedelta(seconds=10), device="thermo-1"
    )
    return CheckData(
        check_id=new_id(),
        outcome=outcome,
        started_at=start,
        finished_at=utc_now(),
        operator="desk-operator",
        direction="in",
        gate_alarm=alarm,
        wand=wand,
        items_held=items,
        celsius=celsius,
        temperatures=[reading],
    )


class CheckSimulator:
    def __init__(self, checks_per_minute: float = 12, seed: int = 1) -> None:
        self.interval_s = 60.0 / checks_per_minute
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, ctx: NodeContext) -> None:
        def loop() -> None:
            while not self._stop.wait(self.interval_s):
                ctx.emit("check", simulated_check(self.rng), device="desk")

        self._thread = threading.Thread(target=loop, name="check-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def devices(self) -> dict[str, DeviceState]:
        return {"desk": "ok"}

    def handle_command(self, cmd: Command) -> tuple[bool, str | None] | None:
        return None
