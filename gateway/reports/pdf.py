"""The PDF incident report (reportlab platypus).

Chinese needs no font file: reportlab's built-in CID font STSong-Light is used by every PDF
viewer's own Adobe-GB1 font. All text (user text included) goes through `_p`, which escapes it
for reportlab's paragraph mini-markup, so a ``<`` in a summary is printed, never parsed.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from gateway.reports import i18n
from gateway.reports.incident import ReportData, plain
from gateway.reports.times import local, offset_label

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    f = _font()
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


WIDTH = A4[0] - 28 * mm


def _p(value: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, line breaks kept."""
    text = escape(plain(value) if not isinstance(value, str) else value)
    return Paragraph(text.replace("\n", "<br/>"), style)


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

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.drawString(14 * mm, 9 * mm, footer)
        canvas.drawRightString(A4[0] - 14 * mm, 9 * mm, t("page", n=doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{t('title')} {inc['id']}",
        subject=f"incident {inc['id']}",
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
