"""MediaStore's per-node limits on real files: parked media (arrived before its event), the
per-node budget, the total budget taken from the largest node, the same payload stored once."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.media import MediaLimits, MediaRejected, MediaStore

MIB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        self.t += 1  # every save is later than the one before
        return self.t


def _jpeg(tag: int, size: int = 1000) -> bytes:
    return b"\xff\xd8\xff\xe0" + (f"{tag:08d}".encode() * (size // 8 + 1))[:size] + b"\xff\xd9"


def _id(k: int) -> str:
    return f"01JD3K{k:020d}"


def test_parked_media_is_filed_when_its_event_comes_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    store = MediaStore(tmp_path)
    store.park("s1", "cam-1", _id(1), _jpeg(1))
    store.park("s1", "cam-1", _id(1), _jpeg(1))  # a retained copy again: parked once
    again = MediaStore(tmp_path)  # a gateway restart in between
    assert again.adopt("s1", "cam-2", _id(1)) == []  # another node's event: not its media
    (item,) = again.adopt("s1", "cam-1", _id(1))
    assert item.path.read_bytes() == _jpeg(1)
    assert again.pending.node_bytes("s1", "cam-1") == 0


def test_parked_media_waits_bounded_in_bytes_and_time(tmp_path: Path) -> None:
    clock, deleted = Clock(), []
    limits = MediaLimits(pending_max_node_bytes=MIB, pending_max_age_s=3600)
    store = MediaStore(tmp_path, limits, clock=clock, on_delete=lambda i, r: deleted.append(r))
    for k in range(2):
        store.park("s1", "cam-1", _id(k), _jpeg(k, 400_000))
    with pytest.raises(MediaRejected) as err:
        store.park("s1", "cam-1", _id(9), _jpeg(9, 400_000))
    assert err.value.reason == "pending_budget"
    store.park("s1", "cam-2", _id(9), _jpeg(9, 400_000))  # another node has its own budget
    clock.t += 3601
    store.purge()
    assert len(deleted) == 3 and all("no event" in r for r in deleted)
    assert store.pending.node_bytes("s1", "cam-1") == 0


def test_a_node_past_its_budget_loses_its_own_oldest_not_anothers(tmp_path: Path) -> None:
    limits = MediaLimits(max_total_bytes=4 * MIB, max_node_bytes=MIB, max_item_bytes=MIB)
    store = MediaStore(tmp_path, limits, clock=Clock())
    victim = [store.save("s1", "quiet", _id(k), _jpeg(k, 300_000)).event_id for k in range(3)]
    for k in range(10, 30):
        store.save("s1", "loud", _id(k), _jpeg(k, 300_000))
    assert all(store.items(e) for e in victim)
    assert store.node_bytes("s1", "loud") <= MIB
    assert store.items(_id(29)) and not store.items(_id(10))  # its newest kept, oldest gone


def test_past_the_total_the_largest_node_pays_first(tmp_path: Path) -> None:
    limits = MediaLimits(max_total_bytes=2 * MIB, max_node_bytes=2 * MIB, max_item_bytes=MIB)
    store = MediaStore(tmp_path, limits, clock=Clock())
    small = store.save("s1", "small", _id(1), _jpeg(1, 300_000))
    for k in range(10, 17):
        store.save("s1", "big", _id(k), _jpeg(k, 300_000))
    assert store.items(small.event_id), "the small node's older item went first"
    assert store.total_bytes <= 2 * MIB


def test_the_same_payload_for_the_same_event_is_stored_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, MediaLimits(max_items_per_event=2))
    for _ in range(5):  # a retained snapshot re-delivered at each reconnect
        store.save("s1", "cam-1", _id(1), _jpeg(1))
    assert len(store.items(_id(1))) == 1 and store.rejected == {"duplicate": 4}
    store.save("s1", "cam-1", _id(1), _jpeg(2))  # a different item of the event is kept
    assert len(store.items(_id(1))) == 2
