"""A4 PDFs the station prints: the incident and missing-person reports (gateway/reports/pdf.py)
and the family-search notice (gateway/people/notice.py).

Chinese needs no font file: reportlab's built-in CID font STSong-Light is drawn with every PDF
viewer's own Adobe-GB1 font. All text goes through `paragraph`, which escapes it for
reportlab's paragraph mini-markup, so a ``<`` typed by a user is printed, never parsed.
"""

from __future__ import annotations

from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

FONT = "STSong-Light"
SIDE_MARGIN = 14 * mm
TEXT_WIDTH = A4[0] - 2 * SIDE_MARGIN


def cjk_font() -> str:
    """The font name, registered with reportlab on first use."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def a4_document(
    out: IO[bytes], *, title: str, top_mm: float = 14, bottom_mm: float = 14, **info: Any
) -> SimpleDocTemplate:
    """An A4 page with 14 mm sides; `info`: further document metadata (subject, author, …)."""
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=SIDE_MARGIN,
        rightMargin=SIDE_MARGIN,
        topMargin=top_mm * mm,
        bottomMargin=bottom_mm * mm,
        title=title,
        **info,
    )
