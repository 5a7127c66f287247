"""Media retention in the running gateway and in `stationkit retention --media`: the age limit
and the disk budget never delete evidence (legal holds, incident evidence in the database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from devices.camera.media import encode_jpeg
from gateway.maintenance.holds import place_hold
from gateway.maintenance.media import purge_media, sync_holds
from gateway.media import MediaLimits, MediaStore
from gateway.store.db import open_store

HELD, EVIDENCE, PLAIN = (f"01JD3K00000000000000000{c}0A" for c in "ABC")


def _jpeg() -> bytes:
    pixels = np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    return encode_jpeg(pixels, 80)


class Clock:
    t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_the_purge_spares_held_and_incident_media_and_follows_released_holds(
    tmp_path: Path,
) -> None:
    db = open_store(tmp_path / "gateway.db")
    clock = Clock()
    deleted: list[tuple[str, str]] = []
    store = MediaStore(
        tmp_path / "media",
        MediaLimits(max_age_s=3600),
        clock=clock,
        on_delete=lambda item, why: deleted.append((item.event_id, why)),
    )
    for event_id in (HELD, EVIDENCE, PLAIN):
        store.save("home-7", "cam-1", event_id, _jpeg())
    hold_id = place_hold(db, "event", HELD, reason="bureau case 17", actor="sup-li")
    db.execute(  # the alert that opened an incident points at its evidence
        "INSERT INTO alerts (id, rule, severity, site, node, first_at, last_at, count, state, "
        "event_id) VALUES ('a1','night_exit','critical','home-7','cam-1','t','t',1,'active',?)",
        (EVIDENCE,),
    )
    clock.t += 7200  # everything is past the one-hour age limit
    gone = purge_media(db, store)
    assert [i.event_id for i in gone] == [PLAIN]
    assert deleted == [(PLAIN, "age limit")]
    assert store.held() == {HELD, EVIDENCE}
    # the budget cannot take them either
    store.limits = MediaLimits.model_construct(max_age_s=3600, max_total_bytes=1)
    store.save("home-7", "cam-1", PLAIN, _jpeg())
    assert store.items(HELD) and store.items(EVIDENCE)
    # a released hold is released in the store too, and the next purge takes that media
    db.execute("UPDATE legal_holds SET released_at='now' WHERE id=?", (hold_id,))
    sync_holds(db, store)
    assert store.held() == {EVIDENCE}
    purge_media(db, store)
    assert not store.items(HELD) and store.items(EVIDENCE)
