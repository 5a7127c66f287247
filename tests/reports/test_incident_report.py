"""The written incident report from a known record: header, deadlines, ordered timeline,
people, device data, snapshots, report records; zh/en; +08:00 times; hostile text escaped."""

from __future__ import annotations

import base64
import html as htmllib
import re

import markupsafe
import pytest

from gateway.reports import ReportNotFound, render_incident_report
from tests.reports.conftest import HOSTILE, NOW, Fixture
from tests.reports.pdftext import page_count, pdf_lines


def _html(f: Fixture, lang: str = "zh", **kw: object) -> str:
    kw.setdefault("media_dir", f.media_dir)
    kw.setdefault("layout", "general")  # INC1 is a missing-person incident: tests/people_wf
    body = render_incident_report(f.db, "INC1", lang, "html", now=NOW, **kw)  # type: ignore[arg-type]
    return body.decode("utf-8")


def _timeline(page: str) -> list[tuple[str, str, str]]:
    """(time, source class, action text) of each timeline row, in document order."""
    rows = re.findall(
        r'<tr class="entry src-(\w+)"><td class="time">([^<]*)</td>\s*<td>[^<]*</td>'
        r"<td>[^<]*</td><td>([^<]*)</td>",
        page,
    )
    return [(t, src, htmllib.unescape(action)) for src, t, action in rows]


def test_html_timeline_in_order_with_local_times(station: Fixture) -> None:
    page = _html(station, "en")
    assert _timeline(page) == [
        ("2026-11-22 13:50:00 +08:00", "event", "line crossing"),  # cam-1, 10 min before
        ("2026-11-22 14:00:00 +08:00", "event", "staff report"),  # the trigger
        ("2026-11-22 14:00:00 +08:00", "incident", "incident opened"),
        ("2026-11-22 14:00:00 +08:00", "alert", "alert raised"),
        ("2026-11-22 14:05:00 +08:00", "alert", "acknowledged"),
        ("2026-11-22 14:20:00 +08:00", "incident", "phone report"),
        ("2026-11-22 15:10:00 +08:00", "incident", "written report"),
    ]
    # motion from another node and a door event 2 h later are not part of this incident
    assert station.ids["motion"] not in page
    assert "door" not in page.split('id="timeline"')[1].split("</table>")[0]


def test_html_header_deadlines_and_records_in_english(station: Fixture) -> None:
    page = _html(station, "en")
    assert "Written incident report" in page
    assert "INC1" in page and "missing person" in page
    assert "Asia/Shanghai" in page and "UTC+08:00" in page
    deadlines = page.split('id="deadlines"')[1].split("</table>")[0]
    # phone made at 14:20 (due 14:30): met; written at 15:10 (due 15:00): late
    assert re.search(r'14:30:00 \+08:00.*14:20:00 \+08:00.*class="met">met<', deadlines, re.S)
    assert re.search(r'15:00:00 \+08:00.*15:10:00 \+08:00.*class="late">late<', deadlines, re.S)
    assert "区民政局 赵科长" in deadlines
    records = page.split('id="reports"')[1].split("</table>")[0]
    assert "书面报告已发送" in records
    trigger = page.split('id="trigger"')[1].split("</table>")[0]
    assert station.ids["manual"] in trigger and "missing_person" in trigger


def test_html_in_chinese_by_default(station: Fixture) -> None:
    body = render_incident_report(station.db, "INC1", fmt="html", now=NOW, layout="general")
    page = body.decode()
    assert '<html lang="zh-CN">' in page
    assert "突发事件书面报告" in page and "人员走失" in page
    assert "电话报告（30分钟内）" in page and ">按时<" in page and ">超时<" in page
    assert "2026-11-22 14:00:00 +08:00" in page
    assert "name: 张三; role: 受助人员" in page


def test_html_escapes_hostile_text(station: Fixture) -> None:
    page = _html(station)
    assert "<script" not in page and "<b>bold" not in page
    escaped = str(markupsafe.escape(HOSTILE))
    # summary, people, history detail and the manual event's description all carry it
    assert page.count(escaped) >= 4, page.count(escaped)


def test_html_embeds_the_snapshot_and_lists_the_clip(station: Fixture) -> None:
    page = _html(station)
    jpeg = (station.media_dir / "s1" / "cam-1" / f"{station.ids['cross']}-1.jpg").read_bytes()
    assert f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}" in page
    assert f"{station.ids['cross']}-2.mp4" in page
    without = _html(station, media_dir=None)
    assert "data:image/jpeg" not in without and "无可用截图" in without


def test_html_other_time_zone(station: Fixture) -> None:
    page = _html(station, "en", tz="UTC")
    assert "2026-11-22 06:00:00 +00:00" in page and "+08:00" not in page


def test_pdf_is_a_pdf_with_the_report_text(station: Fixture) -> None:
    pdf = render_incident_report(
        station.db, "INC1", media_dir=station.media_dir, now=NOW, layout="general"
    )
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) >= 1
    assert b"/STSong-Light" in pdf  # the built-in CID font: no font file embedded
    assert re.search(rb"/Subtype /Image", pdf)  # the snapshot
    text = "\n".join(pdf_lines(pdf))
    assert "突发事件书面报告" in text
    assert "INC1" in text
    assert "2026-11-22 14:00:00 +08:00" in text
    assert "人员走失" in text
    assert '<script>alert("x")</script>' in text  # printed as text, not markup
    en = "\n".join(
        pdf_lines(
            render_incident_report(station.db, "INC1", "en", "pdf", now=NOW, layout="general")
        )
    )
    assert "Written incident report" in en and "missing person" in en and "INC1" in en


def test_unknown_id_and_bad_arguments(station: Fixture) -> None:
    with pytest.raises(ReportNotFound, match="NOPE"):
        render_incident_report(station.db, "NOPE")
    with pytest.raises(KeyError):
        render_incident_report(station.db, "NOPE", fmt="html")
    with pytest.raises(ValueError, match="lang"):
        render_incident_report(station.db, "INC1", lang="fr")
    with pytest.raises(ValueError, match="format"):
        render_incident_report(station.db, "INC1", fmt="docx")
    with pytest.raises(ValueError, match="time zone"):
        render_incident_report(station.db, "INC1", tz="Mars/Base")


def test_unreported_deadlines_are_missed_or_pending(station: Fixture) -> None:
    """INC2: phone made 10 min late, written never made."""
    from datetime import timedelta

    from tests.reports.conftest import z

    late = render_incident_report(station.db, "INC2", "en", "html", now=NOW).decode()
    deadlines = late.split('id="deadlines"')[1].split("</table>")[0]
    assert 'class="late">late<' in deadlines and 'class="missed">missed' in deadlines
    early = z("2026-11-22T09:00:00Z") + timedelta(minutes=45)  # written not yet due
    page = render_incident_report(station.db, "INC2", "en", "html", now=early).decode()
    assert 'class="pending">not yet due<' in page


def test_busy_window_keeps_the_events_nearest_the_incident(
    station: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from devices.contract import codec, topics
    from gateway.ingest.writer import Incoming, IngestWriter
    from gateway.reports import incident
    from tests.reports.conftest import z

    monkeypatch.setattr(incident, "MAX_EVENTS", 4)
    opened = z("2026-11-22T06:00:00Z")
    events = [
        codec.make_event(
            "people",
            site="s1",
            node="desk-1",
            seq=100 + i,
            data={"camera": "hall", "count": i},
            ts=opened + timedelta(minutes=minutes),
        )
        for i, minutes in enumerate((-29, -20, -1, 2, 3, 40, 59))
    ]
    IngestWriter(station.db).store_batch(
        [Incoming(topics.event("s1", "desk-1", "people"), codec.encode(e), e.ts) for e in events]
    )
    page = _html(station, "en")
    shown = [(t, action) for t, src, action in _timeline(page) if src == "event"]
    # the trigger (0 min) and the people counts at -1, +2, +3 min; in time order
    assert shown == [
        ("2026-11-22 13:59:00 +08:00", "people count"),
        ("2026-11-22 14:00:00 +08:00", "staff report"),
        ("2026-11-22 14:02:00 +08:00", "people count"),
        ("2026-11-22 14:03:00 +08:00", "people count"),
    ]
    assert "the 4 nearest in time are shown" in page


def test_pdf_survives_text_longer_than_a_page(station: Fixture) -> None:
    """A table row taller than a page raises LayoutError in reportlab unless rows may split."""
    with station.db.atomic():
        station.db.execute(
            "UPDATE incident_history SET detail=? WHERE action='phone_report'",
            ["很长的备注" * 2000],
        )
        station.db.execute("UPDATE incidents SET summary=? WHERE id='INC1'", ["长" * 20000])
    pdf = render_incident_report(station.db, "INC1", now=NOW, layout="general")
    assert page_count(pdf) >= 10
    assert "INC1" in "\n".join(pdf_lines(pdf))
