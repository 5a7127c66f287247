"""The bureau dashboard's strings: each one the page asks for exists in both languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

HUB = Path(__file__).resolve().parents[2] / "dashboard" / "static" / "hub"


def _strings(lang: str) -> dict[str, str]:
    return json.loads((HUB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def test_every_string_the_page_uses_is_translated_in_both_languages() -> None:
    js = (HUB / "hub.js").read_text(encoding="utf-8")
    html = (HUB / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bt\(\s*"([\w.]+)"\s*\)""", js))
    used |= set(re.findall(r'sortBtn\("\w+", "(\w+)"\)', js))
    used |= set(re.findall(r'data-i18n="([\w.]+)"', html))
    assert {"app", "nav.incidents", "privacyNote", "sortDeadline"} <= used
    zh, en = _strings("zh-CN"), _strings("en")
    assert set(zh) == set(en)
    assert not sorted(used - set(zh))
    assert all(v.strip() for v in [*zh.values(), *en.values()])
