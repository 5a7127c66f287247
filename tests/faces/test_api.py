"""Face matching through the real app on a real SQLite file: the desk takes a portrait (bad
photos refused with the reason), a family's report with a dated photo finds the person as a
ranked candidate, every search is audited, a probable match raises an alert, confirming needs a
second reviewer and other evidence and closes the family-search case; no answer carries a
template; templates are ciphertext, unreadable without the key file, deleted by retention and
erasure; without the extra the face routes say so and the rest of the gateway works."""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient

from gateway.alerts.service import AlertService
from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.faces import engine as face_engine
from gateway.faces import store as faces
from gateway.maintenance.retention import RetentionPolicy, apply_retention
from gateway.notify.config import NotifyConfig
from gateway.notify.notifier import Notifier
from gateway.people.family_search import FamilySearch
from gateway.people.models import PersonCreate
from gateway.people.store import create_person
from gateway.store.db import open_store
from tests.faces.conftest import photo


def b64(name: str) -> str:
    return base64.b64encode(photo(name)).decode()


class Station:
    def __init__(self, tmp: Path) -> None:
        self.path = tmp / "gw.db"
        self.db = open_store(self.path)
        notifier = Notifier(NotifyConfig(mqtt={"enabled": False}), self.path)
        self.alerts = AlertService(self.path, notifier=notifier)
        self.client = TestClient(create_app(GatewayContext(self.path, alerts=self.alerts)))
        self.h = {
            name: {"Authorization": f"Bearer {create_token(self.db, name, role)}"}
            for name, role in (
                ("desk-1", "desk"),
                ("sup-1", "supervisor"),
                ("sup-2", "supervisor"),
                ("bureau-1", "bureau"),
            )
        }

    def call(self, method: str, path: str, who: str, **kw: Any) -> Any:
        return self.client.request(method, path, headers=self.h[who], **kw)


@pytest.fixture
def st(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Station:
    monkeypatch.delenv("STATIONKIT_FACES_KEY", raising=False)
    monkeypatch.delenv("STATIONKIT_PEOPLE_KEY", raising=False)
    return Station(tmp_path)


def _person(st: Station, names: list[str]) -> str:
    p = create_person(
        st.db,
        PersonCreate(  # type: ignore[arg-type]
            site="s1",
            came_by="police",
            names=names,
            sex="male",
            legal_basis="statutory_duty",
        ),
        "desk-1",
    )
    return str(p.id)


def _portrait(st: Station, pid: str, name: str = "obama.jpg") -> Any:
    return st.call("POST", f"/api/v1/faces/portraits/{pid}", "desk-1",
                   json={"image_b64": b64(name)})  # fmt: skip


def _walk(value: Any) -> list[str]:
    """Every key of a JSON document, nested."""
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in [k, *_walk(v)]]
    if isinstance(value, list):
        return [k for v in value for k in _walk(v)]
    return []


def test_a_familys_photo_finds_the_person_and_two_reviewers_close_the_case(st: Station) -> None:
    found = _person(st, ["unknown man"])
    other = _person(st, ["another man"])
    case = FamilySearch().open_case(st.db, found, "desk-1", datetime.now(UTC))

    r = st.call(
        "POST", f"/api/v1/faces/portraits/{found}", "desk-1", json={"image_b64": b64("obama.jpg")}
    )
    assert r.status_code == 201, r.text
    assert r.json()["template"] is True and r.json()["face_px"] >= 80
    r = st.call(
        "POST", f"/api/v1/faces/portraits/{other}", "desk-1", json={"image_b64": b64("biden.jpg")}
    )
    assert r.status_code == 201, r.text
    r = st.call(
        "POST",
        f"/api/v1/faces/portraits/{other}",
        "desk-1",
        json={"image_b64": base64.b64encode(b"garbage").decode()},
    )
    assert r.status_code == 422
    assert r.json()["detail"]["message"]["zh-CN"] == "不是可读的 JPEG/PNG 图片"

    report = st.call(
        "POST",
        "/api/v1/faces/family-reports",
        "sup-1",
        json={
            "site": "s1",
            "reporter_name": "王女士",
            "reporter_relation": "妻子",
            "reporter_contact": "138 0000 0000",
            "id_checked_by": "sup-1",
            "names": ["张三"],
            "sex": "male",
            "last_seen_where": "火车站",
            "consent_photos": True,
            "consent_contact": True,
        },
    )
    assert report.status_code == 201, report.text
    rid = report.json()["id"]
    r = st.call(
        "POST",
        f"/api/v1/faces/family-reports/{rid}/photos",
        "sup-1",
        json={"image_b64": b64("obama2.jpg"), "year_taken": 2009},
    )
    assert r.status_code == 201, r.text
    # the family's photo was compared at once with the person files: one candidate to review
    auto = r.json()["compared"]
    assert auto["candidates"] == 1
    queue = st.call("GET", "/api/v1/faces/pending", "sup-2").json()
    assert queue["items"] == []
    [waiting] = queue["to_review"]
    assert waiting["search_id"] == auto["search_id"] and waiting["actor"] == "auto"
    assert waiting["unreviewed"] == [f"person:{found}"]

    # the desk may take portraits, not search
    assert (
        st.call(
            "POST", "/api/v1/faces/search", "desk-1", json={"report_id": rid, "reason": "x case"}
        ).status_code
        == 403
    )
    r = st.call(
        "POST",
        "/api/v1/faces/search",
        "sup-1",
        json={"report_id": rid, "reason": f"family search {case.id}"},
    )
    assert r.status_code == 200, r.text
    res = r.json()
    [cand] = res["candidates"]  # Biden's portrait is far beyond the threshold
    assert cand["kind"] == "person" and cand["id"] == found and cand["rank"] == 1
    assert cand["distance"] < faces.DEFAULT_THRESHOLD and cand["photo_year"] is None
    assert cand["age_gap_years"] is not None and cand["method"] == "dlib-resnet-v1/5pt"
    assert "never an identification" in res["note"]
    sid = res["search_id"]
    [row] = st.db.execute(
        "SELECT actor, reason, query, candidates FROM face_searches WHERE actor != 'auto'"
    ).fetchall()
    assert row[0] == "sup-1" and row[1] == f"family search {case.id}"
    assert json.loads(row[2]) == {"kind": "report", "id": rid}
    assert [c["id"] for c in json.loads(row[3])] == [found]
    assert (
        st.db.execute(
            "SELECT count(*) FROM audit WHERE action='faces.search' AND actor='sup-1'"
        ).fetchone()[0]
        == 1
    )

    person = f"person:{found}"

    def confirm(who: str, **body: Any) -> Any:
        return st.call(
            "POST",
            f"/api/v1/faces/searches/{sid}/confirm",
            who,
            json={"candidate": person, **body},
        )

    r = confirm("sup-1", evidence="dna")
    assert r.status_code == 409 and r.json()["detail"]["code"] == "not_probable"
    r = st.call(
        "POST",
        f"/api/v1/faces/searches/{sid}/reviews",
        "sup-1",
        json={"candidate": person, "decision": "probable", "note": "ears"},
    )
    assert r.status_code == 201, r.text
    [alert] = st.db.execute(
        "SELECT rule, severity, state FROM alerts WHERE rule='face_match_probable'"
    ).fetchall()
    assert alert == ("face_match_probable", "major", "active")
    r = confirm("sup-1", evidence="dna")
    assert r.status_code == 409 and r.json()["detail"]["code"] == "second_reviewer"
    r = confirm(
        "sup-2",
        evidence="police_id_check",
        note="hukou checked",
        handover={
            "found_by": "other",
            "handed_to": "王女士",
            "handed_relation": "妻子",
            "id_checked": True,
            "belongings_returned": True,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["decision"] == "confirmed" and r.json()["evidence"] == "police_id_check"
    closed = st.db.execute(
        "SELECT closed_by, found_by FROM family_search_cases WHERE id=?", [case.id]
    ).fetchone()
    assert closed == ("sup-2", "face_match")
    assert (
        st.db.execute("SELECT state FROM alerts WHERE rule='face_match_probable'").fetchone()[0]
        != "active"
    )

    stats = st.call("GET", "/api/v1/faces/stats", "sup-1").json()
    assert stats["people_with_templates"] == 2 and stats["report_templates"] == 1
    for doc in (res, stats, report.json()):
        assert not {"blob", "vector", "template_blob"} & set(_walk(doc))

    # the family's search ends: their photo and its template go
    r = st.call(
        "POST", f"/api/v1/faces/family-reports/{rid}/close", "sup-1", json={"reason": "found"}
    )
    assert r.status_code == 200 and r.json()["photos"] == 0
    assert faces.stats(st.db).report_templates == 0


def test_templates_are_ciphertext_unreadable_without_the_key_and_deleted_on_schedule(
    st: Station,
) -> None:
    pid = _person(st, ["甲"])
    st.call(
        "POST", f"/api/v1/faces/portraits/{pid}", "desk-1", json={"image_b64": b64("obama.jpg")}
    )
    face = face_engine.embedder().embed(photo("obama.jpg"))
    [(tid, blob)] = st.db.execute("SELECT id, blob FROM face_templates").fetchall()
    assert face.vector not in blob and face.vector[:16] not in blob
    key = faces.TemplateKey.beside(st.path)
    assert key.open(tid, blob) == face.vector

    # rotation: the old key no longer opens it, the new one does
    new = st.path.parent / "faces-2.key"
    assert faces.rotate_key(st.db, key, new) == 1
    [(_, blob2)] = st.db.execute("SELECT id, blob FROM face_templates").fetchall()
    assert faces.TemplateKey(new).open(tid, blob2) == face.vector
    with pytest.raises(InvalidTag):
        key.open(tid, blob2)

    # without the key file the matcher cannot read them, and says so
    new.rename(st.path.parent / "elsewhere.key")
    gallery = faces.Gallery(faces.TemplateKey(new), face_engine.matrix)
    with pytest.raises(faces.FacesError) as err:
        gallery.load(st.db, "dlib-resnet-v1/5pt")
    assert err.value.code == "no_key"

    # retention: the case closed long enough ago → the template goes
    case = FamilySearch().open_case(st.db, pid, "desk-1", datetime.now(UTC))
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    st.db.execute("UPDATE family_search_cases SET closed_at=? WHERE id=?", [long_ago, case.id])
    assert faces.purge(st.db, template_days=60, now=datetime.now(UTC)) == 0
    # the station's retention run (stationkit retention) applies the default 30 days
    report = apply_retention(st.db, RetentionPolicy())
    assert report.people["face_templates_deleted"] == 1
    assert faces.stats(st.db).people_with_templates == 0


def test_erasing_a_file_erases_its_face(st: Station) -> None:
    pid = _person(st, ["乙"])
    st.call(
        "POST", f"/api/v1/faces/portraits/{pid}", "desk-1", json={"image_b64": b64("obama.jpg")}
    )
    assert faces.stats(st.db).people_with_templates == 1
    r = st.call("POST", f"/api/v1/people/{pid}/erase", "sup-1", json={"reason": "in error"})
    assert r.status_code == 200, r.text
    assert faces.stats(st.db).people_with_templates == 0


def test_without_the_faces_extra_the_routes_say_so_and_the_rest_works(
    st: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(face_engine, "_embedder", None)
    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib now fails
    pid = _person(st, ["丙"])
    r = st.call(
        "POST", f"/api/v1/faces/portraits/{pid}", "desk-1", json={"image_b64": b64("obama.jpg")}
    )
    assert r.status_code == 503
    assert "face search is not installed" in r.json()["detail"]["message"]
    r = st.call("POST", "/api/v1/faces/search", "sup-1", json={"person_id": pid, "reason": "ab"})
    assert r.status_code == 503
    assert st.client.get("/healthz").json() == {"status": "ok"}
    assert st.call("GET", f"/api/v1/people/{pid}?reason=check", "sup-1").status_code == 200


def test_the_cli_counts_rotates_and_purges(st: Station, capsys: pytest.CaptureFixture[str]) -> None:
    from firmware_py.cli import main

    _portrait(st, _person(st, ["丁"]))
    db = ["--db", str(st.path)]
    assert main(["faces", "stats", *db]) == 0
    assert json.loads(capsys.readouterr().out)["people_with_templates"] == 1
    new = st.path.parent / "new.key"
    assert main(["faces", "rotate-key", *db, "--new", str(new)]) == 0
    assert "1 templates re-encrypted" in capsys.readouterr().out
    assert main(["faces", "rotate-key", *db, "--new", str(new)]) == 1  # refuses to overwrite
    assert "exists" in capsys.readouterr().err
    assert main(["faces", "purge", *db]) == 0
