"""The `[alerts]` example in docs/alerts.md parses into AlertsConfig and means what it says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.alerts import AlertsConfig, RuleConfig, default_rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def example() -> AlertsConfig:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    return AlertsConfig.model_validate(tomllib.loads(blocks[0])["alerts"])


def test_the_documented_example_parses() -> None:
    cfg = example()
    head = cfg.rule("head_count")
    # a table changes only what it names: the rule stays critical and opens incidents
    assert (head.debounce_s, head.auto_clear_s, head.severity, head.incident) == (
        600,
        120,
        "critical",
        True,
    )
    assert cfg.rule("items_held").enabled is False
    assert cfg.rule("camera_frozen").severity == "minor"
    assert cfg.rule("camera_frozen").auto_clear_s == default_rule("camera_frozen").auto_clear_s
    assert cfg.rule("fever_referral") == default_rule("fever_referral")
    site = cfg.site("shelter-1")
    assert site.roster == {"room-1": 4, "room-2/beds": 2} and site.night == "22:00-06:00"
    assert site.total_cameras == ["room-1", "room-2"] and site.roster_total == 6
    assert cfg.site("elsewhere").tz == "Asia/Shanghai" and cfg.site("elsewhere").night is None
    levels = cfg.escalation.levels
    assert [lv.name for lv in levels] == ["desk", "station_duty", "bureau_duty"]
    assert levels[2].delay_s("critical") == 600 and levels[2].delay_s("minor") == 900
    assert cfg.reminders.before_min == [10, 5] and cfg.reminders.overdue_every_min == 15


def test_empty_section_is_the_defaults() -> None:
    cfg = AlertsConfig.model_validate({})
    assert cfg.rule("metal_unresolved").debounce_s == 300
    assert cfg.rule("head_count").debounce_s == 600
    assert [lv.delay_s("major") for lv in cfg.escalation.levels] == [0, 300, 900]
    assert cfg.reminders.before_min == [10, 5]


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": {"head_count": {"debounce": 3}}},
        {"rules": {"nope": {}}},
        {"sites": {"s1": {"night": "22-06"}}},
        {"sites": {"s1": {"tz": "Mars/Olympus"}}},
        {"sites": {"s1": {"roster": {"Room 1": 3}}}},
        {"sites": {"s1": {"roster_total": 3}}},
        {"escalation": {"levels": [{"name": "desk", "after_s": -1}]}},
        {"reminders": {"before": [10]}},
        {"unknown": 1},
    ],
)
def test_bad_config_is_rejected_at_load(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AlertsConfig.model_validate(bad)


def test_rule_objects_are_taken_as_given() -> None:
    cfg = AlertsConfig(rules={"night_exit": RuleConfig(severity="major")})
    assert cfg.rule("night_exit").incident is False
