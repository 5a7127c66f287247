"""bench/node: an intake node's RSS and CPU over a few minutes of arrivals, lazy CLI vs before.

    python -m bench.node [--minutes 5] [--interval-s 15] [--core-venv /tmp/stationkit-node-venv]

A real Mosquitto (project config) and, side by side in the same run (same minutes, same
machine load), six processes, each its own node of the site `bench`:

* with the gateway extras installed (this venv, every extra; this worktree on PYTHONPATH):
  1. `stationkit node` (the lazy CLI: this code),
  2. the baseline: the same node through the CLI as it was before (bench/node/eager_cli.py:
     every subcommand module imported to build the parser),
  3. the floor: a bare paho client publishing every `--interval-s` (bench/node/bare_client.py);
* without them (a fresh venv under /tmp with `pip install <this worktree>` only: the node's
  core dependencies; built if missing, stationkit reinstalled into it on every run):
  4.-6. the same three.

Each node runs the intake desk with simulated devices (gate, thermometer, wand) playing the
scripted arrivals (`[intake.simulate]`): an arrival, then a pause. The scenario pauses after
each arrival has finished, and an arrival takes ARRIVAL_S on average (walk-past and
alarm-without-wand arrivals wait for their timeouts, set to 8 s here), so the pause is
`--interval-s` - ARRIVAL_S; the report gives the rate measured.
psutil samples each process every second: RSS at the end and its peak, CPU time in the first
`--warmup-s` (start-up) and the average CPU over the rest (percent of one core). A subscriber
counts the check events each node published.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import psutil

from devices.contract import topics
from tests.support.mosquitto import Broker

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SITE = "bench"
MIB = 1024 * 1024
ARRIVAL_S = 2.6
"""Mean time the scripted arrivals take, measured: 3.4 checks/min with a 15 s pause (5 min)."""


@dataclass
class Variant:
    name: str
    node: str
    python: Path
    kind: str  # lazy | eager | bare
    core: bool  # the node-only install
    proc: subprocess.Popen[bytes] | None = None
    rss: list[float] = field(default_factory=list)  # MiB, one sample a second
    cpu_warm: float = 0.0  # CPU seconds at the end of the warm-up
    cpu_end: float = 0.0
    checks: int = 0
    checks_warm: int = 0  # events counted by the end of the warm-up
    stderr: str = ""
    exit_code: int | None = None


def machine() -> str:
    model = platform.processor() or "?"
    lscpu = shutil.which("lscpu")
    if lscpu:
        for line in subprocess.run([lscpu], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def core_venv(path: Path) -> Path:
    """The node-only install: a venv with `pip install <worktree>` (no extras). Built if
    missing; stationkit itself is reinstalled every run so that it is this code."""
    python = path / "bin" / "python"
    if not python.exists():
        print(f"building the node-only venv {path} (pip install {ROOT}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(ROOT)],
        check=True,
        cwd=tempfile.gettempdir(),
    )
    probe = "import importlib.util as u; print([m for m in ('fastapi','sqlite_utils','cv2') "
    probe += "if u.find_spec(m)])"
    extras = subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout
    if extras.strip() != "[]":
        raise SystemExit(f"{path} is not a node-only install: it has {extras.strip()}")
    return python


def node_config(tmp: Path, broker: Broker, node: str, interval_s: float) -> Path:
    password = tmp / f"{node}.password"
    password.write_text(broker.users[f"{SITE}.{node}"])
    config = tmp / f"{node}.toml"
    config.write_text(
        f'site = "{SITE}"\nnode = "{node}"\n'
        f'[broker]\nurl = "mqtt://127.0.0.1:{broker.port}"\npassword_file = "{password}"\n'
        f'[outbox]\npath = "{tmp / (node + "-outbox.db")}"\n'
        "[intake]\ntemperature_timeout_s = 8\nwand_timeout_s = 8\n"
        f"[intake.simulate]\nenabled = true\npause_s = {max(0.0, interval_s - ARRIVAL_S)}\n"
    )
    return config


def command(v: Variant, tmp: Path, broker: Broker, interval_s: float) -> list[str]:
    if v.kind == "bare":
        topic = topics.event(SITE, v.node, "door")
        user = f"{SITE}.{v.node}"
        script = str(HERE / "bare_client.py")
        port, password = str(broker.port), broker.users[user]
        return [str(v.python), script, port, user, password, topic, str(interval_s)]
    config = str(node_config(tmp, broker, v.node, interval_s))
    if v.kind == "eager":
        return [str(v.python), str(HERE / "eager_cli.py"), "node", "--config", config]
    return [str(v.python), "-m", "firmware_py.cli", "node", "--config", config]


def env_for(v: Variant) -> dict[str, str]:
    env = {k: val for k, val in os.environ.items() if k != "PYTHONPATH"}
    if not v.core:
        env["PYTHONPATH"] = str(ROOT)  # this worktree's code, the full venv's extras
    return env


def watch(broker: Broker, variants: list[Variant]) -> mqtt.Client:
    """Counts every event each node published (checks; the bare client's messages)."""
    by_node = {v.node: v for v in variants}
    lock = threading.Lock()

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        t = topics.parse(msg.topic)
        with lock:
            if t.node in by_node and t.arg in ("check", "door"):
                by_node[t.node].checks += 1

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-watch")
    c.username_pw_set("gateway", broker.users["gateway"])
    c.on_message = on_message
    c.connect("127.0.0.1", broker.port)
    c.subscribe(f"stationkit/v1/{SITE}/+/event/+", qos=1)
    c.loop_start()
    return c


def run(args: argparse.Namespace) -> list[Variant]:
    full = Path(sys.executable)
    core = core_venv(Path(args.core_venv))
    variants = [
        Variant("node, lazy CLI", "desk-lazy", full, "lazy", False),
        Variant("node, eager CLI (before)", "desk-eager", full, "eager", False),
        Variant("bare paho client", "bare-full", full, "bare", False),
        Variant("node, lazy CLI", "desk-lazy-core", core, "lazy", True),
        Variant("node, eager CLI (before)", "desk-eager-core", core, "eager", True),
        Variant("bare paho client", "bare-core", core, "bare", True),
    ]
    with tempfile.TemporaryDirectory(prefix="bench-node-") as name:
        tmp = Path(name)
        broker = Broker(tmp / "mosquitto")
        broker.workdir.mkdir()
        broker.add_user("gateway")
        for v in variants:
            broker.add_node(SITE, v.node)
        broker.start()
        watcher = watch(broker, variants)
        stderr_files = {}
        try:
            for v in variants:
                err = (tmp / f"{v.node}.stderr").open("wb")
                stderr_files[v.node] = err
                v.proc = subprocess.Popen(
                    command(v, tmp, broker, args.interval_s),
                    env=env_for(v),
                    cwd=tmp,  # never the worktree: the node-only venv must import its own copy
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
            procs = {v.node: psutil.Process(v.proc.pid) for v in variants if v.proc}
            t0 = time.monotonic()
            end = t0 + args.warmup_s + args.minutes * 60
            warm_done = False
            while (now := time.monotonic()) < end:
                for v in variants:
                    p = procs[v.node]
                    if v.proc and v.proc.poll() is None:
                        v.rss.append(p.memory_info().rss / MIB)
                        if not warm_done and now - t0 >= args.warmup_s:
                            t = p.cpu_times()
                            v.cpu_warm = t.user + t.system
                            v.checks_warm = v.checks
                warm_done = warm_done or now - t0 >= args.warmup_s
                time.sleep(1.0)
            for v in variants:
                if v.proc and v.proc.poll() is None:
                    t = procs[v.node].cpu_times()
                    v.cpu_end = t.user + t.system
                    v.proc.send_signal(signal.SIGTERM)
            for v in variants:
                if v.proc:
                    try:
                        v.exit_code = v.proc.wait(20)
                    except subprocess.TimeoutExpired:
                        v.proc.kill()
                        v.exit_code = v.proc.wait()
        finally:
            for v in variants:
                if v.proc and v.proc.poll() is None:
                    v.proc.kill()
            watcher.loop_stop()
            watcher.disconnect()
            broker.stop()
            for node, err in stderr_files.items():
                err.close()
                text = (tmp / f"{node}.stderr").read_text(errors="replace")
                next(v for v in variants if v.node == node).stderr = text
    return variants


def report(variants: list[Variant], args: argparse.Namespace) -> dict[str, object]:
    window_s = args.minutes * 60
    rows = []
    for v in variants:
        steady = v.rss[int(args.warmup_s) :] or v.rss
        rows.append(
            {
                "install": "node-only (pip install .)" if v.core else "all extras",
                "process": v.name,
                "rss_end_mib": round(v.rss[-1], 1) if v.rss else None,
                "rss_peak_mib": round(max(v.rss), 1) if v.rss else None,
                "rss_median_mib": round(statistics.median(steady), 1) if steady else None,
                "startup_cpu_s": round(v.cpu_warm, 2),
                "cpu_pct": round(100 * (v.cpu_end - v.cpu_warm) / window_s, 2),
                "events": v.checks,
                "events_per_min": round((v.checks - v.checks_warm) / args.minutes, 2),
                "unavailable_lines": v.stderr.count("unavailable:"),
                "exit_code": v.exit_code,
            }
        )
    print(f"\nmachine: {machine()}")
    print(
        f"run: {args.minutes} min after {args.warmup_s:g} s warm-up, an arrival every "
        f"{args.interval_s:g} s (pause {max(0.0, args.interval_s - ARRIVAL_S):g} s after each), "
        "all six processes side by side\n"
    )
    head = (
        f"{'install':<26} {'process':<26} {'RSS end':>8} {'peak':>6} {'median':>7} "
        f"{'start CPU s':>11} {'CPU %':>6} {'checks/min':>10} {'unavail.':>8} {'exit':>4}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['install']:<26} {r['process']:<26} {r['rss_end_mib']!s:>8} "
            f"{r['rss_peak_mib']!s:>6} {r['rss_median_mib']!s:>7} {r['startup_cpu_s']:>11} "
            f"{r['cpu_pct']:>6} {r['events_per_min']:>10} {r['unavailable_lines']:>8} "
            f"{r['exit_code']!s:>4}"
        )
    for core in (False, True):
        lazy, eager, bare = (r for r, v in zip(rows, variants, strict=True) if v.core is core)
        if lazy["rss_end_mib"] and eager["rss_end_mib"] and bare["rss_end_mib"]:
            print(
                f"{'node-only' if core else 'all extras'}: lazy/eager RSS "
                f"{lazy['rss_end_mib'] / eager['rss_end_mib']:.2f}, lazy - bare client "
                f"{lazy['rss_end_mib'] - bare['rss_end_mib']:+.1f} MiB"
            )
    for v in variants:
        if v.exit_code not in (0, -signal.SIGTERM) or (v.kind != "bare" and not v.checks):
            print(f"\n{v.node} ({v.name}) stderr tail:\n{v.stderr[-1500:]}")
    return {"machine": machine(), "args": vars(args), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5, help="measured window (after warm-up)")
    ap.add_argument("--interval-s", type=float, default=15, help="one arrival every N s")
    ap.add_argument("--warmup-s", type=float, default=15, help="start-up, not in the CPU %%")
    ap.add_argument(
        "--core-venv",
        default=str(Path(tempfile.gettempdir()) / "stationkit-node-venv"),
        help="node-only venv (built if missing)",
    )
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    result = report(run(args), args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
