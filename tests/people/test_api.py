"""The person file API on a real app and SQLite file: a file opened from a check, belongings
holding back a departure, search with keyset pagination, site scope, audited reads, images
encrypted at rest, timeline, subject-access export and erasure."""

from __future__ import annotations

import json
from typing import Any

from gateway.alerts.config import AlertsConfig, SiteConfig
from gateway.people.roster import apply_rosters
from tests.people.conftest import PeopleSite, add_check

JPEG = b"\xff\xd8\xff\xe0" + b"portrait-bytes-" * 40 + b"\xff\xd9"


def _open(ps: PeopleSite, role: str = "desk", **body: object) -> dict[str, object]:
    r = ps.call("POST", "/api/v1/people", role, json={"site": "s1", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _set_status(
    ps: PeopleSite, pid: object, status: str, role: str = "supervisor", **body: str
) -> Any:
    return ps.call("POST", f"/api/v1/people/{pid}/status", role, json={"status": status, **body})


def _release(ps: PeopleSite, pid: object, item_id: object) -> Any:
    path = f"/api/v1/people/{pid}/belongings/{item_id}/release"
    return ps.call("POST", path, "desk", json={"released_to": "本人"})


def _place(ps: PeopleSite, pid: object, role: str = "supervisor") -> Any:
    """At foster home fh1 from 2026-12-01."""
    body = {"site": "fh1", "from_date": "2026-12-01"}
    return ps.call("POST", f"/api/v1/people/{pid}/placements", role, json=body)


def test_a_fever_check_opens_a_file_in_isolation_with_its_items(people_site: PeopleSite) -> None:
    add_check(
        people_site.db, "c-fever", outcome="fever_referral", items=["打火机", "小刀"], celsius=38.4
    )
    unlinked = people_site.call("GET", "/api/v1/people/unlinked-checks", "desk").json()
    assert [c["check_id"] for c in unlinked["items"]] == ["c-fever"] and unlinked["total"] == 1
    person = _open(people_site, check_id="c-fever", names=["老张"], came_by="police")
    assert person["status"] == "isolation" and person["items_held"] == 2
    started = people_site.db.execute(
        "SELECT started_at FROM checks WHERE check_id='c-fever'"
    ).fetchone()[0]
    assert person["came_at"] == started
    pid = person["id"]
    history = people_site.call(
        "GET", f"/api/v1/people/{pid}/status", params={"reason": "test"}
    ).json()
    assert [(h["status"], h["check_id"]) for h in history] == [("isolation", "c-fever")]
    items = people_site.call(
        "GET", f"/api/v1/people/{pid}/belongings", params={"reason": "test"}
    ).json()
    assert sorted(i["item"] for i in items) == ["小刀", "打火机"]
    assert all(i["received_by"] == "wang" for i in items)  # the desk operator of the check
    assert people_site.call("GET", "/api/v1/people/unlinked-checks", "desk").json()["total"] == 0
    by_check = people_site.call("GET", "/api/v1/people/by-check/c-fever", "desk").json()
    assert by_check["person_id"] == pid
    # a check can be on one file only
    r = people_site.call(
        "POST", "/api/v1/people", "desk", json={"site": "s1", "check_id": "c-fever"}
    )
    assert r.status_code == 409
    assert ("desk-tok", "person.create", pid) in [
        r[:3] for r in people_site.site.audit_rows("person.create")
    ]


def test_departure_refused_while_items_are_held(people_site: PeopleSite) -> None:
    add_check(people_site.db, "c-items", outcome="items_held", items=["剪刀"])
    pid = _open(people_site, check_id="c-items")["id"]
    r = _set_status(people_site, pid, "left", "desk")
    assert r.status_code == 409
    assert r.json()["detail"]["code"] == "items_held" and "release" in r.json()["detail"]["message"]
    (item,) = people_site.call(
        "GET", f"/api/v1/people/{pid}/belongings", params={"reason": "test"}
    ).json()
    r = _release(people_site, pid, item["id"])
    assert r.status_code == 200 and r.json()["released_by"] == "desk-tok"
    r = _release(people_site, pid, item["id"])
    assert r.status_code == 409  # already released
    r = _set_status(people_site, pid, "returned_home", "desk", reason="family came")
    assert r.status_code == 200 and r.json()["status"] == "returned_home"


def test_override_departs_with_items_held_and_is_audited(people_site: PeopleSite) -> None:
    add_check(people_site.db, "c-o", outcome="items_held", items=["拐杖"])
    pid = _open(people_site, check_id="c-o")["id"]
    r = _set_status(people_site, pid, "transferred", override="sent on with the escort")
    assert r.status_code == 200
    (row,) = [r for r in people_site.site.audit_rows("person.status") if r[2] == pid]
    assert json.loads(row[3])["override"] == "sent on with the escort"
    held = people_site.call("GET", "/api/v1/people/held-belongings").json()
    assert [(h["person_id"], h["item"]) for h in held] == [(pid, "拐杖")]


def test_search_by_name_and_description_with_keyset_pages(people_site: PeopleSite) -> None:
    ids = [
        _open(
            people_site,
            names=[f"王{i}"],
            accent="四川口音" if i % 2 else "东北",
            marks=[{"kind": "scar", "location": "left hand"}] if i == 3 else [],
        )["id"]
        for i in range(7)
    ]
    got = people_site.call("GET", "/api/v1/people", params={"q": "四川"}).json()
    assert sorted(p["id"] for p in got["items"]) == sorted(ids[1::2])
    assert [
        p["id"]
        for p in people_site.call("GET", "/api/v1/people", params={"q": "王3 left"}).json()["items"]
    ] == [ids[3]]
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        page = people_site.call("GET", "/api/v1/people", params=params).json()
        seen += [p["id"] for p in page["items"]]
        after = page["next"]
        if not after:
            break
    assert seen == sorted(ids, reverse=True)  # newest first, each once
    assert (
        people_site.call("GET", "/api/v1/people", params={"status": "isolation"}).json()["items"]
        == []
    )


def test_reads_need_a_reason_and_are_audited(people_site: PeopleSite) -> None:
    pid = _open(people_site, names=["李"])["id"]
    assert people_site.call("GET", f"/api/v1/people/{pid}", "bureau").status_code == 422
    r = people_site.call("GET", f"/api/v1/people/{pid}", "bureau", params={"reason": "月报核对"})
    assert r.status_code == 200 and r.json()["names"] == ["李"]
    views = [r for r in people_site.site.audit_rows("person.view") if r[2] == pid]
    assert views == [
        ("bureau-tok", "person.view", pid, json.dumps({"reason": "月报核对"}, ensure_ascii=False))
    ]
    # the bureau reads, never writes
    assert (
        people_site.call("POST", "/api/v1/people", "bureau", json={"site": "s1"}).status_code == 403
    )
    r = people_site.call("PATCH", f"/api/v1/people/{pid}", "bureau", json={"accent": "x"})
    assert r.status_code == 403
    r = people_site.call("PATCH", f"/api/v1/people/{pid}", "desk", json={"accent": "湖南口音"})
    assert r.status_code == 200
    r = people_site.call("PATCH", f"/api/v1/people/{pid}", "desk", json={"came_by": None})
    assert r.status_code == 422 and "came_by" in r.text  # a clear refusal, not a server error
    (change,) = [r for r in people_site.site.audit_rows("person.update") if r[2] == pid]
    assert json.loads(change[3]) == {"field": "accent", "old": None, "new": "湖南口音"}


def test_site_scope(people_site: PeopleSite) -> None:
    mine = _open(people_site, names=["甲"])["id"]
    r = people_site.call("POST", "/api/v1/people", "desk", json={"site": "s2", "names": ["乙"]})
    other = r.json()["id"]
    client, csrf = people_site.scoped("desk-s1", "desk", ["s1"])
    listed = [p["id"] for p in client.get("/api/v1/people").json()["items"]]
    assert listed == [mine]
    assert client.get(f"/api/v1/people/{other}", params={"reason": "x y"}).status_code == 404
    assert client.post("/api/v1/people", json={"site": "s2"}, headers=csrf).status_code == 403
    assert client.get("/api/v1/people", params={"site": "s2"}).status_code == 403
    # a person placed at a foster home is seen by that home's staff
    r = _place(people_site, other)
    assert r.status_code == 201, r.text
    home, _ = people_site.scoped("sup-fh1", "supervisor", ["fh1"])
    assert [p["id"] for p in home.get("/api/v1/people").json()["items"]] == [other]
    assert home.get(f"/api/v1/people/{other}", params={"reason": "round"}).status_code == 200


def test_placements_give_the_roster(people_site: PeopleSite) -> None:
    pids = [_open(people_site, names=[n])["id"] for n in ("a", "b")]
    for pid in pids:
        r = _place(people_site, pid)
        assert r.status_code == 201
    (fh1,) = people_site.call("GET", "/api/v1/people/rosters", "supervisor").json()
    assert fh1["site"] == "fh1" and fh1["placed"] == 2 and len(fh1["people"]) == 2
    # in hospital: not expected in the head count
    _set_status(people_site, pids[0], "hospital")
    (fh1,) = people_site.call("GET", "/api/v1/people/rosters").json()
    assert fh1["placed"] == 1
    # the desk may not place
    r = _place(people_site, pids[0], "desk")
    assert r.status_code == 403


def test_placed_count_replaces_the_configured_roster() -> None:
    config = AlertsConfig(
        sites={
            "fh1": SiteConfig(roster_total=9, total_cameras=["hall", "room"]),
            "fh2": SiteConfig(roster={"room-1": 4}),
            "fh3": SiteConfig(roster={"room-1": 4, "room-2": 2}),
        }
    )
    got = apply_rosters(config, {"fh1": 3, "fh2": 5, "fh3": 1})
    assert got.sites["fh1"].roster_total == 3
    assert got.sites["fh2"].roster == {"room-1": 5}
    assert got.sites["fh3"].roster == {"room-1": 4, "room-2": 2}  # not comparable: as configured
    assert apply_rosters(config, {}) is config  # no placements: the config's rosters


def test_portrait_needs_a_legal_basis_and_is_encrypted(people_site: PeopleSite) -> None:
    pid = _open(people_site, names=["丙"])["id"]
    post = {"headers": {"Content-Type": "image/jpeg"}, "content": JPEG}
    r = people_site.call("POST", f"/api/v1/people/{pid}/images", "desk", **post)
    assert r.status_code == 422 and "legal basis" in r.text
    people_site.call(
        "PATCH", f"/api/v1/people/{pid}", "desk", json={"legal_basis": "statutory_duty"}
    )
    first = people_site.call("POST", f"/api/v1/people/{pid}/images", "desk", **post).json()
    second = people_site.call("POST", f"/api/v1/people/{pid}/images", "desk", **post).json()
    files = list((people_site.site.db_path.parent / "people-images").glob("*.bin"))
    assert len(files) == 2 and all(b"portrait-bytes" not in f.read_bytes() for f in files)
    got = people_site.call(
        "GET", f"/api/v1/people/{pid}/images/{second['id']}", params={"reason": "identify"}
    )
    assert got.content == JPEG and got.headers["content-type"] == "image/jpeg"
    history = people_site.call(
        "GET", f"/api/v1/people/{pid}/images", params={"reason": "test"}
    ).json()
    assert [h["id"] for h in history] == [first["id"], second["id"]]
    assert history[0]["replaced_at"] and not history[1]["replaced_at"]
    assert (
        people_site.call("GET", f"/api/v1/people/{pid}", params={"reason": "r1"}).json()[
            "portrait_id"
        ]
        == second["id"]
    )
    bad = people_site.call(
        "POST",
        f"/api/v1/people/{pid}/images",
        "desk",
        headers={"Content-Type": "image/jpeg"},
        content=b"not an image",
    )
    assert bad.status_code == 422


def test_timeline_export_and_erase(people_site: PeopleSite) -> None:
    add_check(people_site.db, "c-t", outcome="items_held", items=["手机"])
    pid = _open(people_site, check_id="c-t", names=["丁"])["id"]
    people_site.call(
        "POST", f"/api/v1/people/{pid}/placements", json={"site": "fh1", "from_date": "2026-12-01"}
    )
    assert people_site.call("GET", f"/api/v1/people/{pid}/timeline").status_code == 422
    tl = people_site.call("GET", f"/api/v1/people/{pid}/timeline", params={"reason": "review"})
    kinds = [e["kind"] for e in tl.json()["entries"]]
    assert {"check", "status", "belonging_received", "placement"} <= set(kinds)
    assert (
        people_site.call(
            "GET", f"/api/v1/people/{pid}/export", "desk", params={"reason": "x y"}
        ).status_code
        == 403
    )
    export = people_site.call(
        "GET", f"/api/v1/people/{pid}/export", params={"reason": "subject access request"}
    ).json()
    assert export["file"]["names"] == ["丁"] and export["checks"][0]["check_id"] == "c-t"
    assert export["belongings"][0]["item"] == "手机"
    assert [r[2] for r in people_site.site.audit_rows("person.export")] == [pid]
    # under a legal hold: no erasure
    people_site.call("POST", f"/api/v1/people/{pid}/holds", json={"reason": "police inquiry"})
    r = people_site.call("POST", f"/api/v1/people/{pid}/erase", json={"reason": "request"})
    assert r.status_code == 409
    people_site.db.execute("UPDATE legal_holds SET released_at='x' WHERE target=?", [pid])
    r = people_site.call("POST", f"/api/v1/people/{pid}/erase", json={"reason": "opened in error"})
    assert r.status_code == 200 and r.json()["detail"]["people"] == 1
    assert (
        people_site.call("GET", f"/api/v1/people/{pid}", params={"reason": "x y"}).status_code
        == 404
    )
    (logged,) = people_site.db.execute(
        "SELECT reason, ids FROM deletion_log WHERE table_name='people'"
    ).fetchall()
    assert logged[0] == "erasure: opened in error" and pid in logged[1]
    # the check itself stays, unlinked again
    assert (
        people_site.db.execute("SELECT count(*) FROM checks WHERE check_id='c-t'").fetchone()[0]
        == 1
    )
    assert people_site.call("GET", "/api/v1/people/unlinked-checks", "desk").json()["total"] == 1


def test_photos_of_a_mark_and_a_belonging(people_site: PeopleSite) -> None:
    add_check(people_site.db, "c-ph", outcome="items_held", items=["手表"])
    pid = _open(
        people_site,
        check_id="c-ph",
        legal_basis="vital_interest",
        marks=[{"kind": "tattoo", "location": "右臂", "description": "龙"}],
    )["id"]
    post = {"headers": {"Content-Type": "image/jpeg"}, "content": JPEG}
    images = people_site.site.db_path.parent / "people-images"
    r = people_site.call(
        "POST", f"/api/v1/people/{pid}/images", params={"purpose": "mark", "ref": 3}, **post
    )
    assert r.status_code == 404 and not list(images.glob("*.bin"))  # nothing written
    r = people_site.call(
        "POST", f"/api/v1/people/{pid}/images", params={"purpose": "mark", "ref": 0}, **post
    )
    assert r.status_code == 201
    person = people_site.call(
        "GET", f"/api/v1/people/{pid}", params={"reason": "photo check"}
    ).json()
    assert person["marks"][0]["image_id"] == r.json()["id"] and person["portrait_id"] is None
    (item,) = people_site.call(
        "GET", f"/api/v1/people/{pid}/belongings", params={"reason": "test"}
    ).json()
    r = people_site.call(
        "POST",
        f"/api/v1/people/{pid}/images",
        params={"purpose": "belonging", "ref": item["id"]},
        **post,
    )
    assert r.status_code == 201
    (item,) = people_site.call(
        "GET", f"/api/v1/people/{pid}/belongings", params={"reason": "test"}
    ).json()
    assert item["image_id"] == r.json()["id"]
    assert len(list(images.glob("*.bin"))) == 2


def test_the_typed_export_sends_what_export_person_builds(people_site: PeopleSite) -> None:
    """The answer model (gateway/people/export_models.py) neither adds nor drops a key: an
    erased image keeps no `data_base64`, a missing image file a null one."""
    from gateway.people.images import ImageVault, delete_image
    from gateway.people.privacy import export_person

    add_check(people_site.db, "c-x", outcome="items_held", items=["钱包"])
    pid = _open(people_site, check_id="c-x", names=["戊"], legal_basis="statutory_duty")["id"]
    _place(people_site, pid)
    post = {"headers": {"Content-Type": "image/jpeg"}, "content": JPEG}
    ids = [
        people_site.call("POST", f"/api/v1/people/{pid}/images", "desk", **post).json()["id"]
        for _ in range(3)
    ]
    vault = ImageVault.beside(people_site.site.db_path)
    delete_image(people_site.db, vault, str(pid), ids[0], "blurred", "admin")
    vault.delete(ids[1])  # its row stays, its file is gone
    got = people_site.call(
        "GET", f"/api/v1/people/{pid}/export", params={"reason": "subject access request"}
    ).json()
    built = json.loads(json.dumps(export_person(people_site.db, vault, str(pid), "x", "r")))
    for out in (got, built):
        out.pop("exported_at"), out.pop("exported_by")
    assert got == built
    assert [("data_base64" in i, bool(i.get("data_base64"))) for i in got["images"]] == [
        (False, False),
        (True, False),
        (True, True),
    ]
