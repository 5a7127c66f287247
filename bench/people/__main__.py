"""bench/people: a year of a station's data, and the people queries through the API.

    python -m bench.people [--people 5000] [--checks 60000] [--events 2000000] [--requests 200]

Builds a station database (all migrations) with `--people` person files (names, description,
status history, belongings, placements for one in five), `--checks` intake checks over 365
days (each linked to a file; today's ~160 too) and `--events` events over the same year from 24
nodes (check steps, camera and door events; the last 10 minutes busy like a desk at work),
written with executemany. Then times, through the real app (FastAPI TestClient, bearer token,
audit rows written as in production), side by side with the same queries on an empty database
(one file, one check):
- people search by a name, by a description word, and the first page of the list;
- a person's file and timeline;
- the desk's today view (GET /api/v1/desk/checks) and its live card (GET /api/v1/desk/active).
Target: p95 <= 100 ms on the full database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from ulid import ULID

from devices.contract.models.intake import CheckProgress, CheckStep
from gateway.api.app import create_app
from gateway.auth.tokens import create_token
from gateway.store.db import open_store
from gateway.store.times import iso

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志德"
ACCENTS = [
    "四川口音",
    "东北口音",
    "河南口音",
    "湖南口音",
    "广东口音",
    "山东口音",
    "不说话",
    "普通话",
]
BUILDS = ["瘦", "中等", "胖"]
CLOTHES = ["蓝色棉衣", "黑色外套", "灰色毛衣", "红色羽绒服", "军绿大衣", "迷彩服"]
MARKS = [("scar", "左手背"), ("tattoo", "右臂"), ("birthmark", "颈部"), ("missing finger", "左手")]
STATUSES = (
    ["in_station"] * 3
    + ["isolation", "foster_home", "hospital", "returned_home", "transferred", "left", "deceased"]
    + ["returned_home"] * 4
)
OUTCOMES = (
    ["cleared"] * 12
    + ["items_held"] * 3
    + ["fever_referral", "hypothermia_referral", "refused", "incomplete"]
)
EVENT_KINDS = ["gate", "temperature", "metal", "check", "people", "motion", "door", "line_cross"]
NODES = (
    [f"desk-{i}" for i in range(4)]
    + [f"cam-{i}" for i in range(16)]
    + [f"door-{i}" for i in range(4)]
)
SITE = "st-main"
HOMES = [f"fh-{i}" for i in range(6)]


def _chunks(rows: list[tuple[Any, ...]], n: int = 50_000) -> Any:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


EVENT_INSERT = (
    "INSERT INTO events (id, site, node, kind, ts, seq, device, data, received_at) "
    "VALUES (?,?,?,?,?,?,?,?,?)"
)


def build(path: Path, people: int, checks: int, events: int, now: datetime) -> dict[str, float]:
    rnd = random.Random(7)
    db = open_store(path)
    db.execute("PRAGMA synchronous=OFF")  # generation only; the gateway runs with FULL
    timings: dict[str, float] = {}
    year = 365 * 86400
    t0 = time.perf_counter()
    # events: 2 M over a year from 24 nodes, the last 10 minutes busy
    seq = dict.fromkeys(NODES, 0)
    batch: list[tuple[Any, ...]] = []
    for i in range(events):
        node = NODES[i % len(NODES)]
        seq[node] += 1
        # in arrival order, as the ingest writes them (the last 600 in the last 10 minutes)
        recent = i >= events - 600
        back = (events - i) if recent else 600 + (events - 600 - i) * year / events
        at = now - timedelta(seconds=back)
        kind = EVENT_KINDS[rnd.randrange(4) if node.startswith("desk") else 4 + rnd.randrange(4)]
        data = {"check_id": f"chk-{rnd.randrange(checks)}"} if node.startswith("desk") else {}
        ts = iso(at)
        batch.append((f"ev{i:09d}", SITE, node, kind, ts, seq[node], None, json.dumps(data), ts))
        if len(batch) == 50_000:
            with db.atomic():
                db.conn.executemany(EVENT_INSERT, batch)
            batch = []
    if batch:
        with db.atomic():
            db.conn.executemany(EVENT_INSERT, batch)
    timings["events"] = time.perf_counter() - t0
    # people, each with a status history, belongings; placements for one in five
    t0 = time.perf_counter()
    person_rows, status_rows, belong_rows, place_rows = [], [], [], []
    ids = []
    for _ in range(people):
        came = now - timedelta(seconds=rnd.uniform(0, year))
        pid = str(ULID.from_datetime(came))
        ids.append((pid, came))
        names = [rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(["", *GIVEN])]
        if rnd.random() < 0.2:
            names = []
        status = rnd.choice(STATUSES)
        mark = rnd.choice(MARKS) if rnd.random() < 0.3 else None
        fields = {
            "accent": rnd.choice(ACCENTS),
            "build": rnd.choice(BUILDS),
            "clothing": rnd.choice(CLOTHES),
        }
        marks = (
            [{"kind": mark[0], "location": mark[1], "description": None, "image_id": None}]
            if mark
            else []
        )
        search = "\n".join([*names, *fields.values(), *(m for m in (mark or ()))]).lower()
        c = iso(came)
        person_rows.append(
            (
                pid,
                SITE,
                rnd.choice(["police", "outreach", "self"]),
                c,
                json.dumps(names, ensure_ascii=False),
                rnd.choice(["male", "female"]),
                rnd.randrange(18, 60),
                fields["accent"],
                fields["build"],
                fields["clothing"],
                json.dumps(marks, ensure_ascii=False),
                "statutory_duty",
                status,
                c,
                search,
                c,
                "desk",
                c,
                "desk",
            )
        )
        status_rows.append((pid, "in_station", None, "file opened", c, "desk"))
        if status != "in_station":
            status_rows.append(
                (pid, status, "in_station", None, iso(came + timedelta(days=3)), "sup")
            )
        for _ in range(rnd.randrange(3)):
            released = (
                iso(came + timedelta(days=3)) if status in ("returned_home", "left") else None
            )
            belong_rows.append(
                (
                    pid,
                    rnd.choice(["打火机", "小刀", "手机", "剪刀"]),
                    1,
                    "柜A",
                    "desk",
                    c,
                    released,
                    "desk" if released else None,
                    "本人" if released else None,
                )
            )
        if status == "foster_home":
            place_rows.append((pid, rnd.choice(HOMES), c[:10], "sup", c))
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO people (id, site, came_by, came_at, names, sex, age_min, accent, build, "
            "clothing, marks, legal_basis, status, status_since, search_text, created_at, "
            "created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            person_rows,
        )
        db.conn.executemany(
            "INSERT INTO person_status (person_id, status, previous, reason, at, by) "
            "VALUES (?,?,?,?,?,?)",
            status_rows,
        )
        db.conn.executemany(
            "INSERT INTO belongings (person_id, item, quantity, storage_place, received_by, "
            "received_at, released_at, released_by, released_to) VALUES (?,?,?,?,?,?,?,?,?)",
            belong_rows,
        )
        db.conn.executemany(
            "INSERT INTO placements (person_id, site, from_date, placed_by, placed_at) "
            "VALUES (?,?,?,?,?)",
            place_rows,
        )
    # checks over the year (today's ~160 among them), each linked to a file
    check_rows, link_rows = [], []
    today = [now - timedelta(seconds=rnd.uniform(0, 8 * 3600)) for _ in range(160)]
    for i in range(checks):
        at = today[i] if i < len(today) else now - timedelta(seconds=rnd.uniform(0, year))
        cid = f"chk-{i}"
        outcome = rnd.choice(OUTCOMES)
        items = ["打火机"] if outcome == "items_held" else []
        check_rows.append(
            (
                cid,
                f"ev-{i}",
                SITE,
                NODES[i % 4],
                outcome,
                iso(at),
                iso(at + timedelta(seconds=40)),
                "wang",
                round(rnd.uniform(35.5, 38.5), 1),
                0,
                "clear",
                json.dumps(items, ensure_ascii=False),
                "{}",
            )
        )
        pid = ids[i % people][0]
        link_rows.append((cid, pid, "linked", iso(at), "desk"))
    with db.atomic():
        db.conn.executemany("INSERT INTO checks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", check_rows)
        db.conn.executemany("INSERT INTO person_checks VALUES (?,?,?,?,?)", link_rows)
        db.conn.executemany(
            "INSERT OR REPLACE INTO nodes (site, node, state, last_seen, devices) "
            "VALUES (?,?,'online',?,?)",
            [
                (SITE, n, iso(now), json.dumps({"gate-1": "ok"} if n.startswith("desk") else {}))
                for n in NODES
            ],
        )
        # What each desk node last said of its open checks (the live card reads this): one
        # or two people between the gate and the desk, as at a busy moment.
        db.conn.executemany(
            "INSERT OR REPLACE INTO node_progress (site, node, at, open, more_open, received_at) "
            "VALUES (?,?,?,?,0,?)",
            [(SITE, n, iso(now), _open_checks(rnd, now), iso(now)) for n in NODES if "desk" in n],
        )
    timings["people_and_checks"] = time.perf_counter() - t0
    db.execute("ANALYZE")
    db.conn.close()
    return timings


def _open_checks(rnd: random.Random, now: datetime) -> str:
    """The `open` column as the ingest writer stores it: a JSON list of `CheckProgress`."""
    checks = []
    for k in range(1 + rnd.randrange(2)):
        started = now - timedelta(seconds=20 + 40 * k)
        progress = CheckProgress(
            check_id=str(ULID()),
            started_at=started,
            waiting_for=["temperature", "wand"][k:],
            gate_alarm=k == 0,
            steps=[CheckStep(name="passage", at=started)],
        )
        checks.append(progress.model_dump(mode="json"))
    return json.dumps(checks)


def empty(path: Path, now: datetime) -> None:
    db = open_store(path)
    with db.atomic():
        db.conn.execute(
            "INSERT INTO checks VALUES ('chk-0','ev-0',?,'desk-0','cleared',?,?,'wang',36.5,0,"
            "'clear','[]','{}')",
            (SITE, iso(now), iso(now)),
        )
    db.conn.close()


def queries(path: Path) -> dict[str, Callable[[], Any]]:
    """The timed requests against the database at `path` (each answers 200)."""
    db = open_store(path)
    token = create_token(db, "bench", "admin")
    pids = [r[0] for r in db.execute("SELECT id FROM people ORDER BY random() LIMIT 200")]
    if not pids:  # the empty database: one file, on its one check
        client = TestClient(create_app(path))
        r = client.post(
            "/api/v1/people",
            json={"site": SITE, "check_id": "chk-0", "names": ["王伟"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        pids = [r.json()["id"]]
    db.conn.close()
    rnd = random.Random(11)
    client = TestClient(create_app(path), headers={"Authorization": f"Bearer {token}"})
    return {
        "search by name": lambda: client.get(
            "/api/v1/people", params={"q": rnd.choice(SURNAMES) + rnd.choice(GIVEN)}
        ),
        "search by description": lambda: client.get(
            "/api/v1/people", params={"q": rnd.choice(ACCENTS)[:2] + " " + rnd.choice(CLOTHES)[:2]}
        ),
        "list, first page": lambda: client.get("/api/v1/people", params={"limit": 50}),
        "a person's file": lambda: client.get(
            f"/api/v1/people/{rnd.choice(pids)}", params={"reason": "bench"}
        ),
        "a person's timeline": lambda: client.get(
            f"/api/v1/people/{rnd.choice(pids)}/timeline", params={"reason": "bench"}
        ),
        "desk today (checks)": lambda: client.get("/api/v1/desk/checks"),
        "desk live card (active)": lambda: client.get("/api/v1/desk/active"),
    }


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "p50": statistics.median(values),
        "p95": values[int(0.95 * (len(values) - 1))],
        "max": values[-1],
    }


def measure(paths: dict[str, Path], requests: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per query and database: wall-clock ms and CPU ms of this process (client and app) per
    request. The databases take turns request by request, so both see the same machine load
    (the host is shared: load shifts within seconds)."""
    calls = {name: queries(path) for name, path in paths.items()}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for query in next(iter(calls.values())):
        wall: dict[str, list[float]] = {name: [] for name in paths}
        cpu: dict[str, list[float]] = {name: [] for name in paths}
        for name in paths:
            for _ in range(5):  # warm-up
                assert calls[name][query]().status_code == 200, (name, query)
        for _ in range(requests):
            for name in paths:
                t0, c0 = time.perf_counter(), time.process_time()
                r = calls[name][query]()
                wall[name].append((time.perf_counter() - t0) * 1000)
                cpu[name].append((time.process_time() - c0) * 1000)
                assert r.status_code == 200, (name, query, r.status_code, r.text[:200])
        out[query] = {
            **{f"{name} wall": _summary(wall[name]) for name in paths},
            **{f"{name} cpu": _summary(cpu[name]) for name in paths},
        }
    return out


def index_cost(tmp: Path, prefill: int = 300_000, batches: int = 200) -> dict[str, float]:
    """What m0701's `events (kind, received_at)` index costs the ingest writer: two databases
    with `prefill` events, one without that index, take turns committing batches of 500 events
    (in arrival order, `synchronous=FULL`, as the writer does). Returns ms per batch (median)."""
    dbs = {}
    for name in ("with index", "without index"):
        db = open_store(tmp / f"{name.replace(' ', '-')}.db")
        if name == "without index":
            db.execute("DROP INDEX idx_events_kind_received_at")
        dbs[name] = db
    now = datetime.now(UTC)
    rnd = random.Random(3)

    def rows(start: int, n: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(start, start + n):
            ts = iso(now - timedelta(seconds=(prefill + batches * 500 - i) * 10))
            kind = EVENT_KINDS[rnd.randrange(len(EVENT_KINDS))]
            out.append((f"ev{i:09d}", SITE, NODES[i % len(NODES)], kind, ts, i, None, "{}", ts))
        return out

    for db in dbs.values():
        db.execute("PRAGMA synchronous=OFF")
        for chunk in _chunks(rows(0, prefill)):
            with db.atomic():
                db.conn.executemany(EVENT_INSERT, chunk)
        db.execute("PRAGMA synchronous=FULL")
    times: dict[str, list[float]] = {name: [] for name in dbs}
    for b in range(batches):
        batch = rows(prefill + b * 500, 500)
        for name, db in dbs.items():
            t0 = time.perf_counter()
            with db.atomic():
                db.conn.executemany(EVENT_INSERT, batch)
            times[name].append((time.perf_counter() - t0) * 1000)
    for db in dbs.values():
        db.conn.close()
    return {name: statistics.median(v) for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--checks", type=int, default=60_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build the full database here and keep it")
    parser.add_argument(
        "--index-cost", action="store_true", help="only measure what m0701's events index costs"
    )
    args = parser.parse_args()
    if args.index_cost:
        with tempfile.TemporaryDirectory() as tmp:
            cost = index_cost(Path(tmp))
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"batch of 500 events, median ms: {cost} (load average {load})")
        return
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        full = args.keep or Path(tmp) / "full.db"
        if not full.exists():
            t0 = time.perf_counter()
            parts = build(full, args.people, args.checks, args.events, now)
            print(
                f"built {full} in {time.perf_counter() - t0:.1f} s "
                f"({', '.join(f'{k} {v:.1f} s' for k, v in parts.items())}), "
                f"{full.stat().st_size / 2**20:.0f} MiB"
            )
        bare = Path(tmp) / "empty.db"
        empty(bare, now)
        got = measure({"empty": bare, "full": full}, args.requests)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}, load average after the run {load}"
    )
    print(
        f"{'query':25} {'empty p50/p95':>14} {'full p50/p95/max':>22} {'cpu empty/full p95':>20}"
        "  (ms; target: full p95 <= 100)"
    )
    ok = True
    for query, m in got.items():
        e, f = m["empty wall"], m["full wall"]
        ok &= f["p95"] <= 100
        print(
            f"{query:25} {e['p50']:6.1f} /{e['p95']:6.1f} {f['p50']:6.1f} /{f['p95']:6.1f} /"
            f"{f['max']:6.1f} {m['empty cpu']['p95']:9.1f} /{m['full cpu']['p95']:6.1f}"
            f"  {'ok' if f['p95'] <= 100 else 'OVER'}"
        )
    print("all p95 within 100 ms" if ok else "some p95 over 100 ms")


if __name__ == "__main__":
    main()
