"""Configuration of the alert rules engine, escalation and incident reminders (pydantic,
`extra="forbid"`): the gateway TOML file's `[alerts]` section, see docs/alerts.md."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devices.runtime.config_file import TimeZoneName

Severity = Literal["critical", "major", "minor", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "warning", "info")

RuleName = Literal[
    "fever_referral",
    "hypothermia_referral",
    "incomplete_check",
    "items_held",
    "metal_unresolved",
    "device_fault",
    "camera_offline",
    "camera_tamper",
    "camera_frozen",
    "night_exit",
    "head_count",
    "node_offline",
    "site_link",
    "missing_person",
    "injury",
    "death",
    "disaster",
    "violence",
    "family_search_reminder",
    "family_search_overdue",
    "visit_reminder",
    "visit_overdue",
    "face_match_probable",
]

STATEFUL_RULES: frozenset[str] = frozenset(
    {
        "metal_unresolved",
        "device_fault",
        "camera_offline",
        "camera_tamper",
        "camera_frozen",
        "head_count",
        "node_offline",
        "site_link",
    }
)
"""Rules over a condition that is raised and later cleared (fault/ok, offline/online, head
count below/at the roster, metal found/check finished). Every other rule is instantaneous:
each matching event is one occurrence."""

INCIDENT_CATEGORY: dict[str, str] = {
    "missing_person": "missing_person",
    "night_exit": "missing_person",
    "head_count": "missing_person",
    "injury": "injury",
    "death": "death",
    "disaster": "disaster",
    "violence": "violence",
}
"""The incident category a rule's alert opens (when the rule's `incident` is true). A night exit
and a head count below the roster are missing-person incidents, like a staff report."""


class RuleConfig(BaseModel):
    """How one rule behaves. Durations are seconds of the injected clock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: the rule never raises an alert")
    severity: Severity = Field("major", description="severity of the alerts this rule raises")
    debounce_s: float = Field(0.0, ge=0, le=86400)
    """stateful rules: the condition must last this long before an alert is raised (minimum
    duration); ignored by instantaneous rules"""
    auto_clear_s: float | None = Field(None, ge=0, le=30 * 86400)
    """quiet period after which an open alert is auto-cleared: for stateful rules the time the
    condition must stay cleared (hysteresis); for instantaneous rules the time without a
    repeat. None: only a person resolves it"""
    incident: bool = False
    """an alert of this rule opens an incident (only for rules with an incident category:
    missing_person, night_exit, head_count, injury, death, disaster, violence)"""


_DEFAULTS: dict[str, RuleConfig] = {
    "fever_referral": RuleConfig(severity="major", auto_clear_s=3600),
    "hypothermia_referral": RuleConfig(severity="major", auto_clear_s=3600),
    "incomplete_check": RuleConfig(severity="warning", auto_clear_s=3600),
    "items_held": RuleConfig(severity="info", auto_clear_s=3600),
    "metal_unresolved": RuleConfig(severity="major", debounce_s=300, auto_clear_s=0),
    "device_fault": RuleConfig(severity="major", debounce_s=30, auto_clear_s=60),
    "camera_offline": RuleConfig(severity="major", debounce_s=60, auto_clear_s=60),
    "camera_tamper": RuleConfig(severity="major", debounce_s=10, auto_clear_s=60),
    "camera_frozen": RuleConfig(severity="major", debounce_s=30, auto_clear_s=60),
    "night_exit": RuleConfig(severity="critical", incident=True),
    "head_count": RuleConfig(severity="critical", debounce_s=600, auto_clear_s=120, incident=True),
    "node_offline": RuleConfig(severity="major", debounce_s=60, auto_clear_s=60),
    "site_link": RuleConfig(severity="critical", debounce_s=60, auto_clear_s=60),
    "missing_person": RuleConfig(severity="critical", incident=True),
    "injury": RuleConfig(severity="critical", incident=True),
    "death": RuleConfig(severity="critical", incident=True),
    "disaster": RuleConfig(severity="critical", incident=True),
    "violence": RuleConfig(severity="critical", incident=True),
    # dated duties of the people layer (gateway/people/family_search_deadlines.py): raised by a
    # DeadlineNotice input, closed by the person who records the step
    "family_search_reminder": RuleConfig(severity="minor"),
    "family_search_overdue": RuleConfig(severity="major"),
    "visit_reminder": RuleConfig(severity="minor"),
    "visit_overdue": RuleConfig(severity="major"),
    # a reviewer marked a face-match candidate probable: a supervisor must look (gateway/faces)
    "face_match_probable": RuleConfig(severity="major"),
}


# time windows and sites --------------------------------------------------------------------


def _hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day like '22:00'") from None


def parse_window(value: str) -> tuple[time, time]:
    """'22:00-06:00' -> (22:00, 06:00). An end before the start runs past midnight; an equal
    start and end is the whole day."""
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"{value!r} is not a local time window like '22:00-06:00'")
    return _hhmm(start), _hhmm(end)


def in_window(value: str, local: datetime) -> bool:
    """Whether the local wall-clock time `local` falls in the window [start, end)."""
    start, end = parse_window(value)
    now = local.time().replace(tzinfo=None)
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end


Window = Annotated[
    str,
    Field(
        pattern=r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$",
        description="local time window 'HH:MM-HH:MM' (end before start: past midnight)",
    ),
]
RosterKey = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,31}(/[a-z0-9][a-z0-9-]{0,31})?$",
        description="'camera' (whole view) or 'camera/zone'",
    ),
]


class SiteConfig(BaseModel):
    """What the engine needs to know about one site: its clock, its night, its roster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tz: TimeZoneName = Field("Asia/Shanghai", description="IANA time zone of the site's wall clock")
    night: Window | None = None
    """night hours, e.g. '22:00-06:00': an outward line crossing then is a night exit even if
    the node did not flag it (the node's own night flag counts too)"""
    roster: dict[RosterKey, Annotated[int, Field(ge=0, le=1000)]] = Field(default_factory=dict)
    """expected head count per camera ('room-1') or camera zone ('room-1/beds'); overrides the
    `expected` the node sends for that camera/zone"""
    roster_total: int | None = Field(None, ge=0, le=10000)
    """expected head count of the whole site: compared with the sum of the latest whole-view
    counts of the cameras in total_cameras"""
    total_cameras: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]] = Field(
        default_factory=list, max_length=200
    )
    """cameras whose whole-view counts add up to the site's head count (one per room, no
    overlaps); the total is compared only once each of them has reported"""
    roster_hours: Window | None = None
    """when the gateway's roster (roster, roster_total) applies, e.g. '22:00-06:00'; None:
    always"""

    @field_validator("night", "roster_hours")
    @classmethod
    def _window(cls, v: str | None) -> str | None:
        if v is not None:
            parse_window(v)
        return v

    @model_validator(mode="after")
    def _total(self) -> SiteConfig:
        if self.roster_total is not None and not self.total_cameras:
            raise ValueError("roster_total needs total_cameras (the cameras that add up to it)")
        return self

    def local(self, utc: datetime) -> datetime:
        return utc.astimezone(ZoneInfo(self.tz))

    def is_night(self, utc: datetime) -> bool:
        return self.night is not None and in_window(self.night, self.local(utc))

    def roster_applies(self, utc: datetime) -> bool:
        return self.roster_hours is None or in_window(self.roster_hours, self.local(utc))


DEFAULT_SITE = SiteConfig()


# escalation and reminders ------------------------------------------------------------------

LevelName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class EscalationLevel(BaseModel):
    """One step of the chain: who is told once an alert has stayed unacknowledged this long."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: LevelName = Field(description="who is told (the notifier maps it to people/channels)")
    after_s: float = Field(ge=0, le=7 * 86400, description="seconds after the alert was raised")
    by_severity: dict[Severity, float | None] = Field(default_factory=dict)
    """per-severity delay instead of after_s; null: this level is skipped for that severity"""

    def delay_s(self, severity: Severity) -> float | None:
        """Delay for an alert of `severity`, or None when the level does not apply to it."""
        if severity in self.by_severity:
            return self.by_severity[severity]
        return self.after_s


def _default_levels() -> list[EscalationLevel]:
    return [
        EscalationLevel(name="desk", after_s=0),
        EscalationLevel(name="station_duty", after_s=300),
        EscalationLevel(name="bureau_duty", after_s=900),
    ]


class EscalationConfig(BaseModel):
    """The escalation chain of unacknowledged alerts (levels in order, each notified once)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: no escalation at all")
    levels: list[EscalationLevel] = Field(default_factory=_default_levels, max_length=20)
    """the chain, in order"""

    @model_validator(mode="after")
    def _ordered(self) -> EscalationConfig:
        names = [lv.name for lv in self.levels]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate escalation level names {names}")
        for sev in SEVERITIES:
            delays = [d for d in (lv.delay_s(sev) for lv in self.levels) if d is not None]
            if delays != sorted(delays):
                raise ValueError(
                    f"escalation delays for {sev} alerts go backwards: {delays} (a later level "
                    "must not be due before an earlier one)"
                )
        for lv in self.levels:
            for sev, d in lv.by_severity.items():
                if d is not None and not 0 <= d <= 7 * 86400:
                    raise ValueError(f"level {lv.name}: delay for {sev} out of range: {d}")
        return self


class RemindersConfig(BaseModel):
    """Reminders before an incident's bureau report deadlines, and overdue notices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: no reminders and no overdue notices")
    before_min: list[Annotated[float, Field(gt=0, le=1440)]] = Field(
        default_factory=lambda: [10.0, 5.0], max_length=10
    )
    """minutes before each deadline (phone 30 min, written 60 min) to remind"""
    overdue: bool = Field(True, description="send a notice once a deadline has passed")
    overdue_every_min: float | None = Field(None, gt=0, le=1440)
    """repeat the overdue notice this often until the report is recorded; None: once"""


# all of it -----------------------------------------------------------------------------------


class AlertsConfig(BaseModel):
    """The `[alerts]` section. A rule not named in `rules` keeps its default (`default_rule`);
    a site not named in `sites` gets `SiteConfig()` (Asia/Shanghai, no night schedule, no
    gateway roster)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: dict[RuleName, RuleConfig] = Field(default_factory=dict)
    """per-rule overrides, by rule name"""
    site_link_window_s: float = Field(30.0, ge=0, le=3600)
    """when every node of a site (two or more) goes offline within this window, one site_link
    alert is raised instead of one node_offline alert per node"""
    sites: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")], SiteConfig] = Field(
        default_factory=dict
    )
    """per-site time zone, night hours and roster"""
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    """escalation chain of unacknowledged alerts"""
    reminders: RemindersConfig = Field(default_factory=RemindersConfig)
    """incident deadline reminders"""
    check_memory_s: float = Field(3600.0, ge=0, le=7 * 86400)
    """how long a finished check is remembered, so that a metal event delivered after its check
    (out of order) raises nothing"""

    @model_validator(mode="before")
    @classmethod
    def _rules_over_defaults(cls, data: Any) -> Any:
        """A rule given as a table (TOML, JSON) changes only the keys it names: the rest keep
        that rule's defaults, so `rules.head_count = { debounce_s = 300 }` stays a critical,
        incident-opening rule. A `RuleConfig` object is taken as it is."""
        if isinstance(data, dict) and isinstance(data.get("rules"), dict):
            rules = dict(data["rules"])
            for name, given in rules.items():
                if isinstance(given, dict) and name in _DEFAULTS:
                    rules[name] = {**_DEFAULTS[name].model_dump(), **given}
            data = {**data, "rules": rules}
        return data

    def rule(self, name: str) -> RuleConfig:
        """The configuration in force for rule `name`."""
        return self.rules.get(name, _DEFAULTS[name])  # type: ignore[call-overload]

    def site(self, slug: str) -> SiteConfig:
        """The configuration of site `slug` (defaults when it is not configured)."""
        return self.sites.get(slug, DEFAULT_SITE)


def default_rule(name: str) -> RuleConfig:
    """The built-in configuration of rule `name` (KeyError for an unknown rule)."""
    return _DEFAULTS[name]
