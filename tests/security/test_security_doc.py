"""docs/security.md states the limits' defaults: its gateway.toml example must be exactly them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from gateway.config import GatewaySettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_documented_limits_are_the_defaults() -> None:
    block = re.search(r"```toml\n(\[http_limits\].*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "no [http_limits] example in docs/security.md"
    documented = GatewaySettings.model_validate(tomllib.loads(block.group(1)))
    defaults = GatewaySettings()
    assert documented.http_limits == defaults.http_limits
    assert documented.ingest == defaults.ingest
    assert documented.media == defaults.media
