"""The gateway configuration shown in the README is a valid gateway.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from gateway.config import GatewaySettings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_gateway_config_is_valid() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), re.S)
    gateway_blocks = [b for b in blocks if "[alerts" in b or "[notify" in b]
    assert gateway_blocks, "the README lost its gateway configuration example"
    for block in gateway_blocks:
        settings = GatewaySettings.model_validate(tomllib.loads(block))
        assert settings.alerts.escalation.levels[-1].name == "bureau_duty"
        assert settings.notify.channels_for("bureau_duty") == ["bureau", "mqtt"]
