"""What the bureau's hub learns of a missing person, at the station end of the link: the open
missing-person incident's snapshot carries who is missing (description, last seen, portrait) as
the file says now; an erased file leaves the next snapshot (with a higher version), and the
snapshot of the closed incident carries nobody. Real SQLite file, real app, no broker."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from devices.contract import codec
from devices.contract.link_codec import decode_uplink
from devices.contract.models.uplink import IncidentSnapshot
from gateway.alerts.service import AlertService
from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.notify.config import NotifyConfig
from gateway.notify.notifier import Notifier
from gateway.people.images import ImageVault, store_image
from gateway.people.models import PersonCreate
from gateway.people.store import create_person
from gateway.people.wander import MissingPersonFiles
from gateway.store.db import open_store
from gateway.store.times import iso
from gateway.uplink.snapshots import incident_snapshot
from tests.people_wf.test_missing_person_browser import png


def _station(tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]], object]:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    notifier = Notifier(NotifyConfig(mqtt={"enabled": False}), db_path)
    alerts = AlertService(db_path, notifier=notifier, extensions=[MissingPersonFiles()])
    client = TestClient(create_app(GatewayContext(db_path, alerts=alerts)))
    heads = {
        role: {"Authorization": f"Bearer {create_token(db, f'{role}-1', role)}"}
        for role in ("desk", "supervisor")
    }
    return client, heads, db


def _report(client: TestClient, heads: dict[str, dict[str, str]], person: str) -> str:
    r = client.post("/api/v1/manual-reports", headers=heads["desk"], json={
        "site": "s1", "category": "missing_person", "person": person, "location": "3号房",
        "description": "02:00 查房时不在床上",
        "happened_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
    })  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["incident"]["id"])


def _snap(db: object, incident_id: str) -> IncidentSnapshot:
    snap = incident_snapshot(db, "s1", incident_id, datetime.now(UTC))  # type: ignore[arg-type]
    assert snap is not None
    # what the hub decodes is what the station encoded
    again = decode_uplink(codec.encode(snap))
    assert isinstance(again, IncidentSnapshot) and again == snap
    return again


def test_an_open_missing_person_incident_carries_the_person_until_it_closes(
    tmp_path: Path,
) -> None:
    client, heads, db = _station(tmp_path)
    person = create_person(db, PersonCreate(  # type: ignore[arg-type]
        site="s1", came_by="outreach", names=["李建国", "老李"], sex="male", age_min=80,
        age_max=85, height_cm=165, clothing="灰色夹克", accent="河南口音",
        cond_mental="阿尔茨海默病", medication="多奈哌齐", legal_basis="statutory_duty",
    ), "desk-a")  # fmt: skip
    portrait = png(60, 80)
    store_image(db, ImageVault.beside(tmp_path / "gw.db"), person.id, "portrait", portrait, "d")  # type: ignore[arg-type]
    incident_id = _report(client, heads, "李建国")
    r = client.put(f"/api/v1/incidents/{incident_id}/missing", headers=heads["supervisor"], json={
        "narrative": "02:00 查房不在", "last_seen_where": "后门",
        "last_seen_at": iso(datetime.now(UTC) - timedelta(minutes=18)),
    })  # fmt: skip
    assert r.status_code == 200, r.text

    open_snap = _snap(db, incident_id)
    [who] = open_snap.people
    assert who.person_id == person.id and who.role == "named"
    assert who.names == ["李建国", "老李"] and who.height_cm == 165 and who.accent == "河南口音"
    assert who.conditions is not None and "多奈哌齐" in who.conditions
    assert who.last_seen_where == "后门" and who.last_seen_at is not None
    assert who.portrait_b64 is not None and base64.b64decode(who.portrait_b64) == portrait
    assert who.portrait_type == "image/png"

    for kind in ("phone-report", "written-report"):
        r = client.post(f"/api/v1/incidents/{incident_id}/{kind}", headers=heads["supervisor"],
                        json={"reported_to": "区民政局 王科长"})  # fmt: skip
        assert r.status_code == 200, r.text
    closed = _snap(db, incident_id)
    assert closed.closed_at is not None and closed.people == []
    assert closed.version > open_snap.version  # the hub takes it over the open one


def test_an_erased_file_leaves_the_next_snapshot_at_a_higher_version(tmp_path: Path) -> None:
    client, heads, db = _station(tmp_path)
    person = create_person(db, PersonCreate(  # type: ignore[arg-type]
        site="s1", came_by="police", names=["王某"], sex="female", legal_basis="statutory_duty",
    ), "desk-a")  # fmt: skip
    incident_id = _report(client, heads, "王某")
    before = _snap(db, incident_id)
    assert [p.person_id for p in before.people] == [person.id]
    assert before.people[0].portrait_b64 is None
    assert before.people[0].portrait_omitted == "no portrait on file"

    r = client.post(f"/api/v1/people/{person.id}/erase", headers=heads["supervisor"],
                    json={"reason": "opened in error"})  # fmt: skip
    assert r.status_code == 200, r.text
    after = _snap(db, incident_id)
    assert after.closed_at is None and after.people == []
    assert after.version > before.version
    assert after.history[-1].action == "person_erased"


def test_other_incidents_carry_no_people(tmp_path: Path) -> None:
    client, heads, db = _station(tmp_path)
    r = client.post("/api/v1/manual-reports", headers=heads["desk"], json={
        "site": "s1", "category": "injury", "location": "食堂", "description": "滑倒",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    snap = _snap(db, r.json()["incident"]["id"])
    assert snap.category == "injury" and snap.people == []
