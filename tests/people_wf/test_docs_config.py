"""The `[family_search]` example in docs/people.md is valid settings (so it stays true)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from gateway.config import GatewaySettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "people.md"


def test_the_family_search_example_in_the_docs_parses() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[family_search]" in b)
    settings = GatewaySettings.model_validate(tomllib.loads(block))
    fs = settings.family_search
    assert fs.deadlines.dna_working_days == 7 and fs.deadlines.notice_h == 24
    assert fs.contacts["station-1"].phone == "0000-12345678"
