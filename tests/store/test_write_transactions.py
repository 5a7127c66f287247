"""Two connections writing the gateway's database at once: a block that reads before it writes
waits for the other writer instead of failing with "database is locked"."""

from __future__ import annotations

import threading
from pathlib import Path

from gateway.store.db import connect


def test_a_block_that_reads_first_waits_for_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    setup = connect(path)
    setup.execute("CREATE TABLE t (who TEXT)")
    mine, other = connect(path, check_same_thread=False), connect(path, check_same_thread=False)
    other_error: list[BaseException] = []

    def other_writes() -> None:
        try:
            with other.atomic():
                other.execute("INSERT INTO t VALUES ('other')")
        except BaseException as exc:  # recorded: the assertion below says what happened
            other_error.append(exc)

    with mine.atomic():
        seen = mine.execute("SELECT count(*) FROM t").fetchone()[0]  # a read comes first
        writer = threading.Thread(target=other_writes)
        writer.start()
        # Give the other connection its chance to commit in the middle of this block. Before
        # the fix it did, and the insert below failed at once with "database is locked";
        # now it waits for this block's commit.
        writer.join(timeout=0.5)
        mine.execute("INSERT INTO t VALUES ('mine')", ())
    writer.join(timeout=10)

    assert seen == 0
    assert not writer.is_alive() and other_error == []
    assert sorted(r[0] for r in setup.execute("SELECT who FROM t")) == ["mine", "other"]
