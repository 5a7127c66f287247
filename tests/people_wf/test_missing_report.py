"""A staff report of a missing resident, through the real app over a real SQLite file: the
incident names the person's file, the bureau's webhook notification carries the description and
the portrait, staff add the narrative and what was done, and the written report is one or two
pages about that person (the intake checks of the hour are left out; only the appendix has the
device timeline). The narrative is locked once the written report is recorded."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devices.contract import codec
from gateway.alerts.service import AlertService
from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.auth.tokens import create_token
from gateway.notify.config import NotifyConfig, WebhookConfig
from gateway.notify.notifier import Notifier
from gateway.people.images import ImageVault, store_image
from gateway.people.models import PersonCreate
from gateway.people.store import create_person
from gateway.people.wander import MissingPersonFiles
from gateway.store.db import open_store
from gateway.store.times import iso
from tests.notify.support import WebhookReceiver
from tests.people_wf.test_missing_person_browser import png


@pytest.fixture
def hook() -> Any:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def _pdf_text(pdf: bytes, tmp: Path, name: str) -> tuple[str, int]:
    path = tmp / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    pages = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M)
    assert pages is not None
    return text, int(pages.group(1))


def test_staff_report_names_the_file_and_the_written_report_is_about_that_person(
    tmp_path: Path, hook: WebhookReceiver
) -> None:
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    person = create_person(db, PersonCreate(
        site="s1", came_by="outreach", names=["李建国", "老李"], sex="male", age_min=80,
        age_max=85, height_cm=165, clothing="灰色夹克 grey jacket", accent="河南口音",
        cond_mental="阿尔茨海默病", medication="多奈哌齐 每晚一次", legal_basis="statutory_duty",
    ), "desk-a")  # fmt: skip
    portrait = png(60, 80)
    store_image(db, ImageVault.beside(db_path), person.id, "portrait", portrait, "desk-a")
    now = datetime.now(UTC)
    with db.atomic():  # the busy hour at the intake desk: none of it belongs in this report
        for i in range(40):
            data = {"check_id": f"chk{i}", "outcome": "cleared", "started_at": iso(now),
                    "finished_at": iso(now), "celsius": 36.5}  # fmt: skip
            db.execute(
                "INSERT INTO events (id, site, node, kind, ts, seq, device, data, received_at) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (codec.new_id(), "s1", "desk-1", "check", iso(now - timedelta(minutes=i)), i,
                 None, json.dumps(data), iso(now)),
            )  # fmt: skip
    notify = NotifyConfig(
        webhooks=[WebhookConfig(name="bureau", url=hook.url, secret="s" * 32)],
        mqtt={"enabled": False},
    )
    notifier = Notifier(notify, db_path)
    alerts = AlertService(db_path, notifier=notifier, extensions=[MissingPersonFiles()])
    client = TestClient(create_app(GatewayContext(db_path, alerts=alerts)))
    h = {
        role: {"Authorization": f"Bearer {create_token(db, f'{role}-1', role)}"}
        for role in ("desk", "supervisor", "bureau")
    }
    r = client.post("/api/v1/manual-reports", headers=h["desk"], json={
        "site": "s1", "category": "missing_person", "person": "李建国", "location": "3号房",
        "description": "02:00 查房时不在床上", "happened_at": iso(now - timedelta(minutes=5)),
    })  # fmt: skip
    assert r.status_code == 201, r.text
    inc = r.json()["incident"]
    [named] = inc["people"]
    assert named["id"] == person.id and named["role"] == "named" and named["height_cm"] == 165

    notifier.deliver_due()
    docs = [json.loads(x.body) for x in hook.ok()]
    raised = next(d for d in docs if d["event"] == "raised")
    [sent] = raised["people"]
    assert sent["names"] == ["李建国", "老李"] and sent["clothing"] == "灰色夹克 grey jacket"
    assert base64.b64decode(sent["portrait"]["base64"]) == portrait
    assert sent["portrait"]["content_type"] == "image/png"

    incid = inc["id"]
    r = client.put(
        f"/api/v1/incidents/{incid}/missing", headers=h["bureau"], json={"narrative": "x"}
    )
    assert r.status_code == 403
    r = client.put(f"/api/v1/incidents/{incid}/missing", headers=h["supervisor"], json={
        "narrative": "李建国 01:30 查房时在床；02:00 查房不在。监控显示 01:47 经后门离开。",
        "last_seen_where": "3号房 / 后门", "last_seen_at": iso(now - timedelta(minutes=18)),
    })  # fmt: skip
    assert r.status_code == 200, r.text
    for kind, note in (("search", "站内及周边 500 米搜寻，未找到"),
                       ("police_called", "已报警 城关派出所 接警号 110-2026-1203")):  # fmt: skip
        r = client.post(f"/api/v1/incidents/{incid}/actions", headers=h["desk"],
                        json={"kind": kind, "note": note})  # fmt: skip
        assert r.status_code == 201, r.text
    assert [a["kind"] for a in r.json()["actions"]] == ["search", "police_called"]

    pdf = client.get(f"/api/v1/incidents/{incid}/report", headers=h["bureau"]).content
    text, pages = _pdf_text(pdf, tmp_path, "report.pdf")
    assert pages <= 2, pages
    expected_text = ("人员走失", "李建国", "165", "灰色夹克", "河南口音", "多奈哌齐",
                     "3号房 / 后门",
                     "01:47 经后门离开", "搜寻", "城关派出所", "报警", "已确认")  # fmt: skip
    for expected in expected_text:
        assert expected in text, expected
    assert "入站检视" not in text and "chk1" not in text  # not the intake desk's hour
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "report.pdf")], check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    assert re.search(r"\b60\s+80\b", images), images  # the portrait is in the report

    full = client.get(
        f"/api/v1/incidents/{incid}/report?appendix=true&lang=en", headers=h["bureau"]
    )
    text_en, pages_en = _pdf_text(full.content, tmp_path, "full.pdf")
    assert "Appendix" in text_en and "intake check" in text_en and pages_en > pages

    html = client.get(f"/api/v1/incidents/{incid}/report?format=html", headers=h["supervisor"]).text
    assert "李建国" in html and "data:image/png;base64," in html and "入站检视" not in html

    r = client.post(f"/api/v1/incidents/{incid}/written-report", headers=h["supervisor"],
                    json={"reported_to": "区民政局"})  # fmt: skip
    assert r.status_code in (200, 201), r.text
    r = client.put(f"/api/v1/incidents/{incid}/missing", headers=h["supervisor"],
                   json={"narrative": "edited after sending"})  # fmt: skip
    assert r.status_code == 409
    alerts.stop()
    db.conn.close()
