"""Open checks kept in the outbox's SQLite file with the events of the same step, and what a
restarted intake node does with them (real Outbox files, the real NodeAgent, simulators)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices.contract import codec
from devices.contract.models import CheckProgress
from firmware_py.agent import NodeAgent
from firmware_py.intake.app import STATE_SCOPE, IntakeApp
from firmware_py.intake.config import IntakeConfig
from firmware_py.outbox import Outbox
from tests.support.net import wait_for
from tests.support.stack import unconnected_agent


def _build(n: int):
    def build(seq: int) -> tuple[str, str, bytes]:
        return f"id-{n}-{seq}", "t/x", b"{}"

    return build


def test_events_and_state_commit_together(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    seqs = box.append_with_state(
        [_build(1), _build(2)], scope="intake", state={"open/a": b"A", "open/b": b"B"}
    )
    assert seqs == ([1, 2], True)
    assert box.append(_build(3)) == 3  # the seq counter moved with them
    box.append_with_state([], scope="intake", state={"open/a": None, "open/b": b"B2"})
    box.close()
    again = Outbox(tmp_path / "outbox.db")
    assert again.load_state("intake") == {"open/b": b"B2"}
    assert again.load_state("other") == {}
    assert [p.seq for p in again.pending()] == [1, 2, 3]


def test_a_failing_state_write_leaves_no_event_behind(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.load_state("intake")  # creates the table
    box._db.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON app_state WHEN NEW.key = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        box.append_with_state([_build(1)], scope="intake", state={"boom": b"x"})
    assert box.pending() == [] and box.load_state("intake") == {}
    assert box.append(_build(2)) == 1  # no seq was used up either


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _node(tmp_path: Path, clock: Clock, **cfg: object) -> tuple[IntakeApp, NodeAgent]:
    config = IntakeConfig.model_validate(
        {"operator": "desk-a", "tick_s": 0.02, "alarm_window_s": 0.05, **cfg}
    )
    app = IntakeApp(config, wall=clock)
    agent = unconnected_agent(tmp_path / "o.db", app)
    agent.start()
    return app, agent


def _checks(agent: NodeAgent) -> list[dict]:
    out = []
    for p in agent.outbox.pending(limit=1000):
        env = codec.decode_event(p.payload)
        if env.kind == "check":
            out.append(env.data)
    return out


def test_an_open_check_is_on_disk_with_its_passage_and_resumes_after_a_restart(tmp_path):
    clock = Clock()
    app, agent = _node(tmp_path, clock, temperature_timeout_s=60)
    app.gate.walk("in")
    [snap] = app.open_checks()
    rows = agent.outbox.load_state(STATE_SCOPE)
    assert list(rows) == [f"open/{snap['check_id']}"]
    assert codec.decode(CheckProgress, rows[f"open/{snap['check_id']}"]).waiting_for == [
        "temperature"
    ]
    agent.stop()
    agent.outbox.close()

    app, agent = _node(tmp_path, clock, temperature_timeout_s=60)
    assert app.restored == 1 and app.current_check()["check_id"] == snap["check_id"]
    app.thermometer.person(36.6)
    wait_for(lambda: _checks(agent), 5, "the resumed check finished")
    [c] = _checks(agent)
    assert c.check_id == snap["check_id"] and c.outcome == "cleared"
    assert "restart" in [s.name for s in c.steps]
    assert list(agent.outbox.load_state(STATE_SCOPE)) == [f"closed/{c.check_id}"]
    agent.stop()


def test_a_check_whose_window_ran_out_while_the_node_was_down_closes_as_node_restarted(tmp_path):
    clock = Clock()
    app, agent = _node(tmp_path, clock, temperature_timeout_s=30)
    app.gate.walk("in")
    app.thermometer.person(34.6)  # waits for a core temperature
    assert app.current_check()["waiting_for"] == ["core_temperature"]
    app.gate.walk("in")
    agent.stop()
    agent.outbox.close()

    clock.offset = timedelta(seconds=45)  # down for 45 s
    app, agent = _node(tmp_path, clock, temperature_timeout_s=30)
    assert app.restored == 2
    [walked] = _checks(agent)  # the second person's reading window (30 s) is over
    assert walked.outcome == "incomplete"
    assert walked.incomplete_reason.startswith("node restarted; no temperature result")
    [cold] = app.open_checks()  # the cold one still waits for its core temperature
    assert cold["waiting_for"] == ["core_temperature"]
    agent.stop()


def test_an_unreadable_state_row_is_dropped_not_fatal(tmp_path):
    box = Outbox(tmp_path / "o.db")
    box.append_with_state([], scope=STATE_SCOPE, state={"open/x": b"not json"})
    box.close()
    app, agent = _node(tmp_path, Clock())
    assert app.restored == 0 and app.open_checks() == []
    assert agent.outbox.load_state(STATE_SCOPE) == {}
    agent.stop()


def test_on_a_full_disk_the_events_are_kept_and_the_state_is_written_later(tmp_path):
    box = Outbox(tmp_path / "outbox.db")
    box.load_state("intake")
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count={pages}")  # SQLITE_FULL on any growth
    big = b"x" * 200_000
    seqs, saved = box.append_with_state([_build(1)], scope="intake", state={"open/a": big})
    assert (seqs, saved) == ([1], False) and box.state_failures == 1
    assert [p.seq for p in box.pending()] == [1]  # the event took append's path
    assert box.load_state("intake") == {}
    box._db.execute("PRAGMA max_page_count=1073741823")  # room again
    seqs, saved = box.append_with_state([_build(2)], scope="intake", state={"open/a": big})
    assert (seqs, saved) == ([2], True)
    assert box.load_state("intake") == {"open/a": big}
    assert [p.seq for p in box.pending()] == [1, 2]


def test_the_app_writes_its_open_checks_again_after_a_full_disk(tmp_path):
    app, agent = _node(tmp_path, Clock(), temperature_timeout_s=60)
    box = agent.outbox
    box.load_state(STATE_SCOPE)
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count={pages}")
    for size in (2000, 500, 100, 20):  # use up the slack in the last pages: really full now
        for i in range(1000):
            if not box.append_with_state([], scope="filler", state={f"{size}/{i}": b"x" * size})[1]:
                break
    failures = box.state_failures
    app.gate.walk("in")  # the passage event is kept; the open check could not be written
    assert box.state_failures == failures + 1
    [snap] = app.open_checks()
    assert box.load_state(STATE_SCOPE) == {} and app.emit_errors == 0
    with box._lock:  # space comes back
        box._db.execute("PRAGMA max_page_count=1073741823")
    # the next tick writes the open check (the change was not marked as saved)
    wait_for(lambda: f"open/{snap['check_id']}" in box.load_state(STATE_SCOPE), 5, "state")
    agent.stop()
