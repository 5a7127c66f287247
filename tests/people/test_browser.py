"""The person file in a real browser against a real gateway, Mosquitto and an intake node on
simulated devices: a feverish arrival with a knife opens a file from the desk (isolation, the
knife on the ledger); a departure is refused while the knife is held and allowed after its
release; a placement raises the foster home's roster by one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from gateway.store.db import connect
from tests.dashboard.conftest import OpenDash, Stack
from tests.dashboard.test_desk import SITE, Desk
from tests.people.conftest import add_check


@pytest.fixture
def desk(stack: Stack, tmp_path: Path) -> Any:
    with Desk(stack, "desk-p", tmp_path) as d:
        yield d


def test_fever_arrival_opens_a_file_and_items_hold_back_the_departure(
    stack: Stack, desk: Desk, open_dash: OpenDash, shot: Any
) -> None:
    page = open_dash("desk", "desk", name="zhao-desk", storage={"sk_desk_node": f"{SITE}/desk-p"})
    desk.app.gate.walk("in", alarm=True)
    desk.app.thermometer.person(38.6)
    expect(page.get_by_test_id("step-wand")).to_have_attribute("data-status", "active")
    page.get_by_test_id("wand-metal").click()
    page.locator('[data-item="knife"]').click()
    page.get_by_test_id("items-confirm").click()
    expect(page.get_by_test_id("last-result")).to_have_attribute("data-outcome", "fever_referral")
    # the end of the check: on no file yet (the desk's reminder says so); open a file from it,
    # on the 1024x600 desk screen
    expect(page.get_by_test_id("desk-unlinked")).to_contain_text("1")
    bar = page.get_by_test_id("file-bar")
    expect(bar.get_by_test_id("file-open")).to_be_visible()
    bar.get_by_test_id("file-open").click()
    bar.get_by_test_id("file-names").fill("老周，周师傅")
    bar.get_by_test_id("file-came-by").select_option("police")
    shot(page, "people-desk-open-file-1024x600")
    bar.get_by_test_id("file-open-submit").click()
    opened = page.get_by_test_id("file-opened")
    expect(opened).to_have_attribute("data-status", "isolation")
    expect(page.get_by_test_id("desk-unlinked")).to_be_hidden()
    person_id = opened.get_attribute("data-person-id")
    assert person_id
    db = connect(stack.db_path)
    (check_id,) = db.execute(
        "SELECT check_id FROM person_checks WHERE person_id=?", [person_id]
    ).fetchone()
    (outcome, items) = db.execute(
        "SELECT outcome, items_held FROM checks WHERE check_id=?", [check_id]
    ).fetchone()
    assert outcome == "fever_referral" and "刀具" in items
    db.conn.close()
    # the file: isolation, the knife on the ledger
    page.get_by_test_id("file-goto").click()
    page.wait_for_selector('section[data-page="people"][data-ready="1"]')
    expect(page.get_by_test_id("person-status")).to_have_attribute("data-status", "isolation")
    expect(page.get_by_test_id("person-name")).to_contain_text("老周")
    held = page.locator('[data-testid="belonging-row"][data-released="0"]')
    expect(held).to_have_count(1)
    expect(held).to_contain_text("刀具")
    expect(page.locator('[data-testid="timeline-entry"][data-kind="check"]')).to_have_count(1)
    shot(page, "people-file-1024x600")
    # departure refused while the knife is held
    page.get_by_test_id("status-select").select_option("left")
    page.get_by_test_id("status-submit").click()
    expect(page.get_by_test_id("status-error")).to_have_attribute("data-code", "items_held")
    expect(page.get_by_test_id("person-status")).to_have_attribute("data-status", "isolation")
    shot(page, "people-departure-refused-1024x600")
    # released to the person, then the departure goes through
    held.get_by_test_id("belonging-release").click()
    page.get_by_test_id("release-confirm").click()
    expect(page.locator('[data-testid="belonging-row"][data-released="1"]')).to_have_count(1)
    page.get_by_test_id("status-select").select_option("left")
    page.get_by_test_id("status-submit").click()
    expect(page.get_by_test_id("person-status")).to_have_attribute("data-status", "left")
    history = stack.api.get(f"/api/v1/people/{person_id}/status", reason="check the test")
    assert [h["status"] for h in history] == ["isolation", "left"]
    assert history[1]["by"] == "zhao-desk"
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_placement_raises_the_foster_homes_roster(
    stack: Stack, open_dash: OpenDash, shot: Any
) -> None:
    def new_person(name: str) -> str:
        r = stack.api.client.post("/api/v1/people", json={"site": "st-main", "names": [name]})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    first = new_person("甲")
    r = stack.api.client.post(
        f"/api/v1/people/{first}/placements", json={"site": "fh-east", "from_date": "2026-12-01"}
    )
    assert r.status_code == 201, r.text
    second = new_person("乙")
    page = open_dash("supervisor", "people", name="sun-sup")
    page.get_by_test_id("tab-rosters").click()
    row = page.locator('[data-testid="roster-row"][data-site="fh-east"]')
    expect(row).to_have_attribute("data-placed", "1")
    page.goto(f"{stack.base}/#/people/{second}")
    expect(page.get_by_test_id("person-name")).to_contain_text("乙")
    page.get_by_test_id("place-site").fill("fh-east")
    page.get_by_test_id("place-submit").click()
    expect(page.get_by_test_id("placement-current")).to_have_attribute("data-site", "fh-east")
    expect(page.get_by_test_id("person-status")).to_have_attribute("data-status", "foster_home")
    page.get_by_test_id("person-home").wait_for()
    page.goto(f"{stack.base}/#/people?view=rosters")
    expect(row).to_have_attribute("data-placed", "2")
    shot(page, "people-rosters-1024x600")
    # the camera page shows the home's expected head count too
    page.goto(f"{stack.base}/#/cameras")
    page.wait_for_selector('section[data-page="cameras"][data-ready="1"]')
    home = page.locator('[data-testid="camera-roster"][data-site="fh-east"]')
    expect(home).to_have_attribute("data-expected", "2")
    rosters = stack.api.get("/api/v1/people/rosters")
    assert next(x for x in rosters if x["site"] == "fh-east")["placed"] == 2
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_check_on_no_file_is_linked_from_the_people_page(
    stack: Stack, open_dash: OpenDash
) -> None:
    db = connect(stack.db_path)
    add_check(db, "old-check-1", site="st-old", outcome="hypothermia_referral", celsius=34.1)
    db.conn.close()
    r = stack.api.client.post("/api/v1/people", json={"site": "st-old", "names": ["钱老伯"]})
    person_id = r.json()["id"]
    page = open_dash("desk", "people", name="wu-desk")
    page.get_by_test_id("tab-unlinked").click()
    row = page.locator('[data-testid="unlinked-row"][data-check="old-check-1"]')
    expect(row).to_contain_text("34.1")
    row.get_by_test_id("file-link").click()
    row.get_by_test_id("file-link-q").fill("钱")
    row.locator(f'[data-testid="file-link-pick"][data-person="{person_id}"]').click()
    expect(row.get_by_test_id("file-opened")).to_have_attribute("data-status", "isolation")
    assert stack.api.get("/api/v1/people/by-check/old-check-1")["person_id"] == person_id
    page.goto(f"{stack.base}/#/people/{person_id}")
    entry = page.locator('[data-testid="timeline-entry"][data-kind="status"]').last
    expect(entry).to_contain_text("隔离观察")
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_file_is_edited_in_the_browser_and_each_change_audited(
    stack: Stack, open_dash: OpenDash
) -> None:
    r = stack.api.client.post("/api/v1/people", json={"site": "st-edit"})
    person_id = r.json()["id"]
    page = open_dash("supervisor", "people", name="ma-sup", lang="en")
    page.goto(f"{stack.base}/#/people/{person_id}")
    expect(page.get_by_test_id("person-name")).to_have_text("(name unknown)")
    page.get_by_test_id("f-names").fill("刘大爷, 老刘")
    page.get_by_test_id("f-accent").fill("河南口音")
    page.get_by_test_id("f-came_by").select_option("outreach")
    page.get_by_test_id("mark-kind").fill("scar")
    page.get_by_test_id("mark-where").fill("left cheek")
    page.get_by_test_id("mark-add").click()
    page.get_by_test_id("f-save").click()
    expect(page.get_by_test_id("person-name")).to_have_text("刘大爷 / 老刘")
    expect(page.get_by_test_id("f-marks")).to_contain_text("scar (left cheek)")
    got = stack.api.get(f"/api/v1/people/{person_id}", reason="check the test")
    assert got["accent"] == "河南口音" and got["came_by"] == "outreach"
    assert got["marks"] == [
        {"kind": "scar", "location": "left cheek", "description": None, "image_id": None}
    ]
    db = connect(stack.db_path)
    fields = {
        json.loads(d)["field"]
        for (d,) in db.execute(
            "SELECT detail FROM audit WHERE action='person.update' AND target=? AND actor='ma-sup'",
            [person_id],
        )
    }
    db.conn.close()
    assert fields == {"names", "accent", "came_by", "marks"}
    # searchable by what was just written
    page.goto(f"{stack.base}/#/people")
    page.get_by_test_id("people-q").fill("河南 cheek")
    expect(page.get_by_test_id("person-row")).to_have_count(1)
    assert page.errors == []  # type: ignore[attr-defined]
