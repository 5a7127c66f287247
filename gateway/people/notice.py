"""The one-page missing-person notice (寻人启事) as PDF, in Chinese or English (reportlab).

Portrait, names, description (the 全国救助寻亲网 fields: sex, age, height, build, hair, accent,
clothing, marks, health, intellectual and mental state), where and when last seen, and the
station to call. Chinese uses reportlab's built-in CID font STSong-Light (no font file), as the
incident reports do (gateway/reports/pdf.py); every value goes into the PDF's text layer.

It is printed and put up in public: it leaves out medication and interview clues, and says
only what a passer-by needs to recognise the person and whom to call.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

from gateway.people.wander import REASON_ZH
from gateway.printing import a4_document, cjk_font, paragraph

Lang = Literal["zh", "en"]


class StationContact(BaseModel):
    """Who to call, printed on the notice (`[family_search.contacts.<site>]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(max_length=120, description="station name, e.g. 某市救助管理站")
    phone: str = Field(max_length=60, description="24-hour phone number")
    address: str | None = Field(None, max_length=200, description="street address")


LABELS: dict[Lang, dict[str, str]] = {
    "zh": {
        "title": "寻人启事",
        "names": "姓名",
        "unknown": "不详",
        "sex": "性别",
        "age": "年龄",
        "height": "身高",
        "build": "体型",
        "hair": "发型",
        "accent": "口音",
        "clothing": "衣着",
        "marks": "体貌特征",
        "cond": "健康/智力/精神状况",
        "seen": "最后出现",
        "call": "如有线索请联系",
        "years": "岁",
        "male": "男",
        "female": "女",
        "risk": "需特别关照",
        "no_portrait": "（无照片）",
        "file": "档案编号",
    },
    "en": {
        "title": "MISSING PERSON",
        "names": "Name",
        "unknown": "unknown",
        "sex": "Sex",
        "age": "Age",
        "height": "Height",
        "build": "Build",
        "hair": "Hair",
        "accent": "Accent",
        "clothing": "Clothing",
        "marks": "Distinguishing marks",
        "cond": "Health / mental state",
        "seen": "Last seen",
        "call": "If you have seen this person, call",
        "years": "years",
        "male": "male",
        "female": "female",
        "risk": "Needs care",
        "no_portrait": "(no photo)",
        "file": "File",
    },
}
REASON_EN = {
    "mental_disorder": "mental disorder",
    "dementia": "dementia",
    "intellectual_disability": "intellectual disability",
    "physical_disability": "physical disability",
    "repeated_wandering": "has wandered before",
    "minor": "minor",
    "elderly_alone": "elderly, lives alone",
}


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return paragraph(str(text), style)


def notice_pdf(
    person: dict[str, Any],
    *,
    lang: Lang,
    last_seen_at: datetime | None,
    last_seen_where: str | None,
    contact: StationContact | None,
    portrait: bytes | None,
    tz: str = "Asia/Shanghai",
) -> bytes:
    """One A4 page. `person` is gateway/people/wander.summary()."""
    L = LABELS[lang]
    font = cjk_font()
    body = ParagraphStyle("b", fontName=font, fontSize=12, leading=17, wordWrap="CJK")
    title = ParagraphStyle(
        "t", parent=body, fontSize=34, leading=42, alignment=1, textColor=colors.HexColor("#b00")
    )
    big = ParagraphStyle("n", parent=body, fontSize=20, leading=26)
    small = ParagraphStyle("s", parent=body, fontSize=9, leading=12, textColor=colors.grey)
    names = " / ".join(person.get("names") or []) or L["unknown"]
    sex = {"male": L["male"], "female": L["female"]}.get(person.get("sex") or "", L["unknown"])
    age = f"{person['age']} {L['years']}" if person.get("age") else L["unknown"]
    cond = "; ".join(
        str(person[k])
        for k in ("cond_mental", "cond_intellectual", "cond_communication")
        if person.get(k)
    )
    reasons = [
        (REASON_ZH if lang == "zh" else REASON_EN).get(r, r) for r in person.get("flags") or []
    ]
    rows: list[tuple[str, Any]] = [
        (L["sex"], sex),
        (L["age"], age),
        (L["height"], f"{person['height_cm']} cm" if person.get("height_cm") else None),
        (L["build"], person.get("build")),
        (L["hair"], person.get("hair")),
        (L["accent"], person.get("accent")),
        (L["clothing"], person.get("clothing")),
        (L["marks"], person.get("marks")),
        (L["cond"], cond),
        (L["risk"], ("、" if lang == "zh" else ", ").join(reasons)),
    ]
    facts = Table(
        [[_p(k, body), _p(v, body)] for k, v in rows if v],
        colWidths=[38 * mm, 62 * mm],
        style=TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        ),
    )
    if portrait:
        reader = ImageReader(io.BytesIO(portrait))
        w, h = reader.getSize()
        scale = min(70 * mm / w, 95 * mm / h)
        photo: Any = Image(io.BytesIO(portrait), width=w * scale, height=h * scale)
    else:
        photo = _p(L["no_portrait"], body)
    top = Table(
        [[photo, [_p(names, big), Spacer(1, 3 * mm), facts]]],
        colWidths=[74 * mm, 108 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
    )
    seen = []
    if last_seen_at is not None:
        seen.append(last_seen_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"))
    if last_seen_where:
        seen.append(last_seen_where)
    story: list[Any] = [_p(L["title"], title), Spacer(1, 6 * mm), top, Spacer(1, 6 * mm)]
    if seen:
        story.append(
            _p(f"{L['seen']}: {'，'.join(seen) if lang == 'zh' else ', '.join(seen)}", big)
        )
        story.append(Spacer(1, 6 * mm))
    if contact is not None:
        story.append(_p(f"{L['call']}: {contact.name}", big))
        story.append(_p(contact.phone, ParagraphStyle("ph", parent=big, fontSize=26, leading=34)))
        if contact.address:
            story.append(_p(contact.address, body))
    story += [Spacer(1, 10 * mm), _p(f"{L['file']}: {person.get('id')}", small)]
    out = io.BytesIO()
    a4_document(out, title=f"{L['title']} {names}").build(story)
    return out.getvalue()
