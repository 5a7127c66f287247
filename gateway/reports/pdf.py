"""The PDF incident and missing-person reports (reportlab platypus).

The font, the escaping of every text (user text included, through `_p`) and the A4 page come
from gateway/printing.py, shared with the family-search notice.
"""

from __future__ import annotations

import io
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from gateway.printing import TEXT_WIDTH as WIDTH
from gateway.printing import a4_document, cjk_font, paragraph
from gateway.reports import i18n
from gateway.reports.incident import ReportData, plain
from gateway.reports.missing import MissingReport, person_rows
from gateway.reports.missing import label as missing_label
from gateway.reports.times import local, offset_label


def _styles() -> dict[str, ParagraphStyle]:
    f = cjk_font()
    base = ParagraphStyle("body", fontName=f, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=3 * mm
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12.5, leading=17, spaceBefore=5 * mm, spaceAfter=2 * mm
        ),
    }


def _p(value: Any, style: ParagraphStyle) -> Paragraph:
    return paragraph(value if isinstance(value, str) else plain(value), style)


def _table(
    rows: list[list[Any]], widths: list[float], style: ParagraphStyle, header: bool = True
) -> Table:
    data = [[_p(c, style) for c in row] for row in rows]
    # splitInRow: a long comment or description may be taller than a page
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def render_pdf(report: ReportData, lang: str, tz: ZoneInfo) -> bytes:
    st = _styles()
    inc = report.incident

    def t(key: str, **fmt: Any) -> str:
        return i18n.text(lang, key, **fmt)

    def term(word: str | None) -> str:
        return i18n.term(lang, word)

    def when(dt: Any) -> str:
        return local(dt, tz)

    story: list[Flowable] = [
        _p(t("title"), st["title"]),
        _p(t("times_note", tz=tz.key, offset=offset_label(tz, report.opened_at)), st["small"]),
        Spacer(1, 2 * mm),
    ]
    header = [
        [t("station"), inc["site"]],
        *([[t("node"), inc["node"]]] if inc.get("node") else []),
        [t("category"), term(inc["category"])],
        [t("incident_id"), inc["id"]],
        *([[t("alert_id"), inc["alert_id"]]] if inc.get("alert_id") else []),
        [t("opened_at"), when(report.opened_at)],
        *([[t("closed_at"), when(report.closed_at)]] if report.closed_at else []),
        [t("generated_at"), when(report.generated_at)],
    ]
    story.append(_table(header, [0.28 * WIDTH, 0.72 * WIDTH], st["body"], header=False))

    story.append(_p(t("deadlines"), st["h2"]))
    rows = [[t("deadline"), t("due"), t("done_at"), t("by"), t("to"), t("status")]]
    for d in report.deadlines:
        rows.append([t(d.which), when(d.due), when(d.done_at), d.by, d.to, t(d.status)])
    story.append(_table(rows, [w * WIDTH for w in (0.2, 0.19, 0.19, 0.14, 0.14, 0.14)], st["cell"]))

    story.append(_p(t("summary"), st["h2"]))
    story.append(_p(inc.get("summary") or t("none"), st["body"]))

    story.append(_p(t("people"), st["h2"]))
    if report.people:
        story.extend(_p(f"{i}. {p}", st["body"]) for i, p in enumerate(report.people, 1))
    else:
        story.append(_p(t("none"), st["body"]))

    story.append(_p(t("timeline"), st["h2"]))
    note = t(
        "window",
        before=report.window_before_min,
        after=report.window_after_min,
        site=inc["site"],
        node=f"/{inc['node']}" if inc.get("node") else "",
    )
    if report.events_truncated:
        note += " " + t("truncated", n=report.events_shown)
    story.append(_p(note, st["small"]))
    rows = [[t("time"), t("source"), t("actor"), t("action"), t("detail")]]
    for e in report.timeline:
        rows.append([when(e.at), t("src_" + e.source), e.actor, term(e.action), e.detail])
    story.append(_table(rows, [w * WIDTH for w in (0.2, 0.08, 0.15, 0.14, 0.43)], st["cell"]))

    story.append(_p(t("device_data"), st["h2"]))
    trig = report.trigger
    if trig:
        rows = [
            [t("trigger"), term(trig["kind"])],
            [t("event_id"), trig["id"]],
            [t("time"), when(trig["at"])],
            [t("node"), trig["node"]],
            *([[t("device"), trig["device"]]] if trig.get("device") else []),
            *[[k, plain(v)] for k, v in trig["data"].items()],
        ]
        story.append(_table(rows, [0.28 * WIDTH, 0.72 * WIDTH], st["cell"], header=False))
    if report.checks:
        story.append(Spacer(1, 2 * mm))
        story.append(_p(t("checks"), st["body"]))
        rows = [[t("time"), t("node"), t("outcome"), t("celsius"), t("items"), t("operator")]]
        for c in report.checks:
            celsius = "" if c["celsius"] is None else str(c["celsius"])
            rows.append(
                [
                    when(c["started"]),
                    c["node"],
                    term(c["outcome"]),
                    celsius,
                    c["items_text"],
                    c["operator"] or "",
                ]
            )
        widths = [w * WIDTH for w in (0.2, 0.12, 0.16, 0.12, 0.24, 0.16)]
        story.append(_table(rows, widths, st["cell"]))
    if not trig and not report.checks:
        story.append(_p(t("none"), st["body"]))

    story.append(_p(t("snapshots"), st["h2"]))
    if report.snapshots:
        for s in report.snapshots:
            story.append(
                KeepTogether([_image(s.jpeg), _p(f"{when(s.at)} · {s.name}", st["small"])])
            )
            story.append(Spacer(1, 2 * mm))
    else:
        story.append(_p(t("no_snapshots"), st["small"]))
    if report.clips:
        story.append(_p(f"{t('clips')}: {', '.join(report.clips)}", st["small"]))

    story.append(_p(t("reports"), st["h2"]))
    rows = [[t("report_kind"), t("done_at"), t("by"), t("to"), t("detail")]]
    for d in report.deadlines:
        rows.append([t(d.which), when(d.done_at) or t(d.status), d.by, d.to, ""])
    for e in report.report_notes:
        rows.append([term(e.action), when(e.at), e.actor, "", e.detail])
    story.append(_table(rows, [w * WIDTH for w in (0.2, 0.2, 0.15, 0.15, 0.3)], st["cell"]))
    story.append(Spacer(1, 12 * mm))
    story.append(_p(t("signature"), st["body"]))

    footer = f"{t('incident_id')}: {inc['id']}"

    return _a4(
        story,
        lang=lang,
        footer=footer,
        title=f"{t('title')} {inc['id']}",
        subject=f"incident {inc['id']}",
        margins_mm=(14, 16),
    )


def _a4(
    story: list[Any],
    *,
    lang: str,
    footer: str,
    title: str,
    subject: str = "",
    margins_mm: tuple[float, float],
) -> bytes:
    """An A4 report: 14 mm sides, `margins_mm` (top, bottom), `footer` left and the page
    number right on every page."""

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.drawString(14 * mm, 9 * mm, footer)
        canvas.drawRightString(A4[0] - 14 * mm, 9 * mm, i18n.text(lang, "page", n=doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = a4_document(
        buf,
        title=title,
        top_mm=margins_mm[0],
        bottom_mm=margins_mm[1],
        subject=subject,
        author="StationKit",
        creator="StationKit gateway",
        lang="zh-CN" if lang == "zh" else "en",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _image(jpeg: bytes) -> Image:
    """A snapshot scaled to the text width (at most 110 mm tall), aspect ratio kept."""
    w, h = ImageReader(io.BytesIO(jpeg)).getSize()
    scale = min(WIDTH / w, 110 * mm / h)
    return Image(io.BytesIO(jpeg), width=w * scale, height=h * scale)


# the missing-person report (gateway/reports/missing.py) ---------------------------------------


def render_missing_pdf(m: MissingReport, lang: str, tz: ZoneInfo) -> bytes:
    """The missing-person report: one or two pages (the device timeline only as an appendix)."""
    st = _styles()
    base = m.base
    inc = base.incident

    def L(key: str, **fmt: Any) -> str:
        return missing_label(lang, key, **fmt)

    def when(dt: Any) -> str:
        return local(dt, tz)

    h2 = ParagraphStyle("mh2", parent=st["h2"], spaceBefore=3 * mm, spaceAfter=1.5 * mm)
    story: list[Flowable] = [
        _p(L("title"), st["title"]),
        _p(L("times_note", tz=tz.key, offset=offset_label(tz, base.opened_at)), st["small"]),
        Spacer(1, 1.5 * mm),
        _table(
            [
                [L("station"), inc["site"]],
                [L("incident_id"), inc["id"]],
                [L("detected_by"), L(m.detected_by) if m.detected_by else ""],
                [L("last_seen_at"), when(m.last_seen_at)],
                [L("last_seen_where"), m.last_seen_where],
                [L("generated_at"), when(base.generated_at)],
            ],
            [0.28 * WIDTH, 0.72 * WIDTH],
            st["cell"],
            header=False,
        ),
        _p(L("who"), h2),
    ]
    if not m.people:
        story.append(_p(L("no_people"), st["body"]))
    for p in m.people:
        facts = _table(
            [list(r) for r in person_rows(p, lang)], [0.2 * WIDTH, 0.5 * WIDTH], st["cell"],
            header=False,
        )  # fmt: skip
        img = m.portraits.get(str(p.get("id")))
        photo: Flowable = _portrait(img) if img else _p(L("no_portrait"), st["small"])
        role = L("role_named") if p.get("role") == "named" else L("role_possible")
        block = Table(
            [[photo, [_p(role, st["small"]), facts]]],
            colWidths=[0.29 * WIDTH, 0.71 * WIDTH],
            style=TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            ),
        )
        story += [block, Spacer(1, 1.5 * mm)]
    story += [_p(L("narrative"), h2), _p(m.narrative or "—", st["body"]), _p(L("actions"), h2)]
    if m.actions:
        rows = [[L("time"), L("action"), L("note"), L("by")]]
        rows += [[when(a.at), L(a.kind), a.note, a.by] for a in m.actions]
        story.append(_table(rows, [w * WIDTH for w in (0.2, 0.15, 0.5, 0.15)], st["cell"]))
    else:
        story.append(_p(L("no_actions"), st["body"]))
    story.append(_p(L("reports"), h2))
    rows = [[L("reports"), L("due"), L("done_at"), L("by"), L("to"), L("status")]]
    for d in base.deadlines:
        rows.append(
            [L(d.which), when(d.due), when(d.done_at), d.by, d.to, i18n.text(lang, d.status)]
        )
    for e in base.report_notes:
        rows.append([i18n.term(lang, e.action), "", when(e.at), e.actor, "", e.detail])
    story.append(_table(rows, [w * WIDTH for w in (0.2, 0.16, 0.16, 0.13, 0.15, 0.2)], st["cell"]))
    story.append(_p(L("related"), h2))
    if m.related:
        rows = [[L("time"), L("kind"), L("where"), L("detail")]]
        rows += [
            [when(r.at), i18n.term(lang, r.kind) + (" ★" if r.trigger else ""), r.where, r.detail]
            for r in m.related
        ]
        story.append(_table(rows, [w * WIDTH for w in (0.2, 0.14, 0.2, 0.46)], st["cell"]))
    else:
        story.append(_p(L("no_related"), st["body"]))
    if m.snapshots:
        story.append(_p(L("snapshots"), h2))
        cells = [
            [_snapshot(sn.jpeg), _p(f"{when(sn.at)} · {sn.name}", st["small"])]
            for sn in m.snapshots
        ]
        story.append(Table(cells, colWidths=[0.5 * WIDTH, 0.5 * WIDTH]))
    story += [Spacer(1, 8 * mm), _p(L("signature"), st["body"])]
    if m.appendix:
        story.append(_p(L("appendix"), st["h2"]))
        rows = [[L("time"), L("kind"), L("by"), L("detail")]]
        rows += [[when(e.at), i18n.term(lang, e.action), e.actor, e.detail] for e in base.timeline]
        story.append(_table(rows, [w * WIDTH for w in (0.2, 0.15, 0.15, 0.5)], st["cell"]))

    footer = f"{L('incident_id')}: {inc['id']}"

    return _a4(
        story, lang=lang, footer=footer, title=f"{L('title')} {inc['id']}", margins_mm=(12, 15)
    )


def _snapshot(jpeg: bytes) -> Image:
    w, h = ImageReader(io.BytesIO(jpeg)).getSize()
    scale = min(0.48 * WIDTH / w, 60 * mm / h)
    return Image(io.BytesIO(jpeg), width=w * scale, height=h * scale)


def _portrait(data: bytes) -> Image:
    w, h = ImageReader(io.BytesIO(data)).getSize()
    scale = min(0.27 * WIDTH / w, 62 * mm / h)
    return Image(io.BytesIO(data), width=w * scale, height=h * scale)
