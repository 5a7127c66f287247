"""When each camera's last frame was analysed, from the camera node's heartbeat (issue 14,
finding 6): `nodes.frames` is JSON {camera: time}, in the gateway's clock (the node's age of
the frame applied to the heartbeat's arrival), so a wrong node clock cannot make a camera look
fresh or stale."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.table("nodes").add_column("frames", str)
