"""Who is missing, at the hub, against a real PostgreSQL: the open missing-person incident's
people are stored apart from the incident (the portrait AES-GCM-encrypted with the hub's key
file), shown on the incident's page to users in scope with every view audited, never taken
back by an older snapshot, and deleted when the closing snapshot arrives. Without a key file
the hub keeps the description and no portrait."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devices.contract.models.uplink import MissingPerson
from gateway.hub import store
from gateway.hub.api import create_hub_app
from gateway.hub.config import HubSettings
from gateway.hub.portraits import PortraitKey
from gateway.hub.users import add_user
from gateway.hub.worker import WorkerStats, apply_batch
from tests.hub.test_hub_store_api import NOW, batch, incident
from tests.people_wf.test_missing_person_browser import png
from tests.support.postgres import Postgres

pytestmark = pytest.mark.slow  # a PostgreSQL cluster of its own

PORTRAIT = png(40, 50)


def person(pid: str = "p-1", portrait: bytes | None = PORTRAIT) -> MissingPerson:
    return MissingPerson(
        person_id=pid,
        role="named",
        names=["李建国", "老李"],
        sex="male",
        age="80-85",
        height_cm=165,
        clothing="灰色夹克",
        conditions="阿尔茨海默病; 多奈哌齐",
        last_seen_where="后门",
        portrait_type="image/png" if portrait else None,
        portrait_b64=base64.b64encode(portrait).decode() if portrait else None,
    )


@pytest.fixture
def conn(pg: Postgres) -> Any:
    with store.connect(pg.dsn) as c:
        store.migrate(c)
        yield c


def _login(settings: HubSettings, conn: Any, name: str, **scope: Any) -> TestClient:
    add_user(conn, name, "officer", "correct horse battery", **scope)
    client = TestClient(create_hub_app(settings))
    r = client.post("/api/hub/login", json={"username": name, "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    return client


def test_people_shown_encrypted_audited_and_gone_when_the_incident_closes(
    pg: Postgres, conn: Any, tmp_path: Path
) -> None:
    key = PortraitKey(tmp_path / "portrait.key")
    settings = HubSettings(postgres=pg.dsn, portrait_key_file=key.path)
    stats = WorkerStats("t")
    open_v3 = incident("north-1", "i1", 3, NOW, people=[person()])
    apply_batch(conn, batch(open_v3), stats, key)
    apply_batch(conn, batch(incident("north-1", "i1", 2, NOW)), stats, key)  # older: ignored

    blob, doc = conn.execute(
        "SELECT portrait, doc FROM incident_people WHERE incident_id='i1'"
    ).fetchone()
    assert PORTRAIT not in bytes(blob)  # ciphertext at rest
    assert key.open("north-1", "i1", "p-1", bytes(blob)) == PORTRAIT
    assert "portrait_b64" not in doc and doc["clothing"] == "灰色夹克"
    [[inc_doc]] = conn.execute("SELECT doc FROM incidents WHERE id='i1'").fetchall()
    assert "people" not in inc_doc  # the incident's own document never holds them

    officer = _login(settings, conn, "officer-north", stations=["north-1"])
    [row] = officer.get("/api/hub/incidents").json()["items"]
    assert row["people"] == 1
    d = officer.get("/api/hub/incidents/north-1/i1").json()
    [shown] = d["people"]
    assert shown["names"] == ["李建国", "老李"] and shown["portrait"] is True
    img = officer.get("/api/hub/incidents/north-1/i1/people/p-1/portrait")
    assert img.status_code == 200 and img.content == PORTRAIT
    assert img.headers["content-type"] == "image/png"
    assert img.headers["cache-control"] == "no-store"
    audit = conn.execute(
        "SELECT action, target, detail FROM audit WHERE actor='officer-north' "
        "AND action LIKE 'view_%' ORDER BY id"
    ).fetchall()
    assert audit == [
        ("view_incident", "north-1/i1", "p-1"),
        ("view_portrait", "north-1/i1/p-1", ""),
    ]

    outsider = _login(settings, conn, "officer-south", stations=["south-1"])
    assert outsider.get("/api/hub/incidents/north-1/i1").status_code == 404
    assert outsider.get("/api/hub/incidents/north-1/i1/people/p-1/portrait").status_code == 404

    closed = incident("north-1", "i1", 9, NOW, closed_at=NOW, people=[])
    apply_batch(conn, batch(closed), stats, key)
    assert conn.execute("SELECT count(*) FROM incident_people").fetchone() == (0,)
    apply_batch(conn, batch(open_v3), stats, key)  # a late redelivery of the open snapshot
    assert conn.execute("SELECT count(*) FROM incident_people").fetchone() == (0,)
    assert officer.get("/api/hub/incidents/north-1/i1").json()["people"] == []
    assert officer.get("/api/hub/incidents/north-1/i1/people/p-1/portrait").status_code == 404


def test_without_a_key_file_the_hub_keeps_no_portrait(pg: Postgres, conn: Any) -> None:
    apply_batch(conn, batch(incident("north-1", "i2", 1, NOW, people=[person()])), WorkerStats("t"))
    blob, doc = conn.execute("SELECT portrait, doc FROM incident_people").fetchone()
    assert blob is None and "no portrait_key_file" in doc["portrait_omitted"]
    officer = _login(HubSettings(postgres=pg.dsn), conn, "officer-any")
    [shown] = officer.get("/api/hub/incidents/north-1/i2").json()["people"]
    assert shown["portrait"] is False and shown["height_cm"] == 165
