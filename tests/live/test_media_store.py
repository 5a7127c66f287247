"""MediaStore: what is kept, what is refused, and retention."""

from __future__ import annotations

import numpy as np
import pytest

from devices.camera.media import encode_jpeg, write_clip
from gateway.media import MediaLimits, MediaRejected, MediaStore

EVENT = "01JD3K0000000000000000000A"


def _jpeg(seed: int = 0, size: int = 64) -> bytes:
    rng = np.random.default_rng(seed)
    return encode_jpeg(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), 90)


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_snapshot_and_clip_are_stored_and_found_again(tmp_path):
    store = MediaStore(tmp_path)
    jpeg = _jpeg()
    clip = write_clip([(0.0, jpeg), (0.2, _jpeg(1))], 5.0)
    a = store.save("home-7", "cam-node-1", EVENT, jpeg)
    b = store.save("home-7", "cam-node-1", EVENT, clip)
    assert (a.kind, a.n, b.kind, b.n) == ("jpeg", 1, "avi", 2)
    assert a.path.read_bytes() == jpeg and b.content_type == "video/x-msvideo"
    again = MediaStore(tmp_path)  # index rebuilt from disk
    assert [(i.kind, i.size) for i in again.items(EVENT)] == [
        ("jpeg", len(jpeg)),
        ("avi", len(clip)),
    ]
    assert again.total_bytes == len(jpeg) + len(clip)


@pytest.mark.parametrize(
    ("site", "event", "payload", "reason"),
    [
        ("home-7", EVENT, b"GIF89a....", "unknown_type"),
        ("home-7", EVENT, b"\xff\xd8\xff" + b"0" * 5000, "too_large"),
        ("Home 7", EVENT, b"\xff\xd8\xff", "bad_topic"),
        ("home-7", "../../etc/passwd", b"\xff\xd8\xff", "bad_topic"),
    ],
)
def test_refused_media_is_counted(tmp_path, site, event, payload, reason):
    store = MediaStore(tmp_path, MediaLimits(max_item_bytes=4096))
    with pytest.raises(MediaRejected) as err:
        store.save(site, "n1", event, payload)
    assert err.value.reason == reason and store.rejected == {reason: 1}
    assert list(tmp_path.rglob("*.*")) == []


def test_disk_budget_deletes_oldest_first_and_logs_it(tmp_path):
    clock, deleted = Clock(), []
    limits = MediaLimits(max_total_bytes=1024 * 1024, max_item_bytes=2 * 1024 * 1024)
    store = MediaStore(tmp_path, limits, clock=clock, on_delete=lambda i, r: deleted.append((i, r)))
    big = _jpeg(0, 600)  # noise compresses badly: about 0.5 MB
    assert len(big) > 300_000
    ids = [f"01JD3K00000000000000000{k:03d}" for k in range(5)]
    for eid in ids:
        clock.t += 1
        store.save("s1", "n1", eid, big)
    assert store.total_bytes <= limits.max_total_bytes
    gone = [i.event_id for i, _ in deleted]
    assert gone == ids[: len(gone)] and len(gone) >= 2  # oldest first
    assert all(r == "disk budget" for _, r in deleted)
    assert store.items(ids[-1]) and not store.items(ids[0])
    assert not deleted[0][0].path.exists()


def test_age_limit_and_legal_hold(tmp_path):
    clock = Clock()
    store = MediaStore(tmp_path, MediaLimits(max_age_s=3600), clock=clock)
    old, held, new = (f"01JD3K0000000000000000000{c}" for c in "ABC")
    store.save("s1", "n1", old, _jpeg())
    store.save("s1", "n1", held, _jpeg())
    store.hold(held)
    clock.t += 3000
    store.save("s1", "n1", new, _jpeg())
    clock.t += 1000
    purged = store.purge()
    assert [i.event_id for i in purged] == [old]
    assert store.items(held) and store.items(new) and not store.items(old)
    assert held in MediaStore(tmp_path)._holds  # the hold survives a restart


def test_items_per_event_are_bounded(tmp_path):
    store = MediaStore(tmp_path, MediaLimits(max_items_per_event=2))
    store.save("s1", "n1", EVENT, _jpeg())
    store.save("s1", "n1", EVENT, _jpeg(1))
    with pytest.raises(MediaRejected, match="too_many"):
        store.save("s1", "n1", EVENT, _jpeg(2))
