"""Every string the people page and the desk's file bar use exists in zh-CN and en."""

from __future__ import annotations

import json
import re

from dashboard.page import STATIC
from gateway.people.models import STATUSES

DYNAMIC = {
    "people.status.": list(STATUSES),
    "people.sex.": ["unknown", "male", "female"],
    "people.came.": ["self", "police", "outreach", "hospital", "transfer"],
    "people.reason.": ["care", "intake", "family_search", "review", "report"],
    "people.basis.": ["statutory_duty", "guardian_consent", "subject_consent", "vital_interest"],
    "people.tab.": ["list", "unlinked", "rosters", "held"],
    "people.col.": ["name", "sex", "age", "status", "came", "site"],
    "people.roster.": ["site", "placed", "configured", "in_force", "people"],
    "people.roster.source.": ["placements", "config", "placements_not_comparable"],
    "people.f.": [
        "came_by",
        "names",
        "sex",
        "age",
        "height_cm",
        "accent",
        "build",
        "hair",
        "clothing",
        "found_place",
        "cond_physical",
        "cond_mental",
        "cond_intellectual",
        "cond_communication",
        "medication",
        "clues",
        "marks",
        "legal_basis",
        "legal_basis_by",
    ],
}


def test_people_strings_exist_in_both_languages() -> None:
    used: set[str] = set()
    for name in ("pages/people.js", "pages/people.link.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
        used |= set(re.findall(r"title_key: \"([\w.]+)\"", text))
    for prefix, values in DYNAMIC.items():
        used |= {prefix + v for v in values}
    assert len(used) > 80
    both = []
    for lang in ("zh-CN", "en"):
        strings = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        page = json.loads((STATIC / "i18n/pages" / f"people.{lang}.json").read_text("utf-8"))
        assert all(k.startswith("people.") for k in page)
        both.append(set(page))
        missing = sorted(
            k for k in used if k not in strings | page and not k.startswith("outcome.")
        )
        assert not missing, (lang, missing)
    assert both[0] == both[1]
