"""`data` of the intake-desk event kinds: check, gate, metal, temperature, door."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from devices.contract.models.base import Celsius, EventId, Payload, ShortText, Slug, UtcTime

CheckOutcome = Literal[
    "cleared", "items_held", "fever_referral", "hypothermia_referral", "refused", "incomplete"
]
WandResult = Literal["clear", "metal_found"]
TemperatureMode = Literal["body", "surface", "core"]


class TemperatureData(Payload):
    celsius: Celsius = Field(
        description="the screening value in °C: the body estimate when the device gives one, "
        "else the object temperature; for mode=core the operator-confirmed core temperature"
    )
    mode: TemperatureMode = Field(
        "body",
        description="body: forehead/wrist screening estimate; surface: raw object temperature; "
        "core: confirmed core temperature entered by the operator",
    )
    object_celsius: Celsius | None = Field(None, description="object (skin) temperature, °C")
    ambient_celsius: Celsius | None = Field(None, description="sensor ambient temperature, °C")
    remeasure: bool = Field(
        False, description="true if the reading is not a result (body mode below 34 °C)"
    )
    core_needed: bool = Field(
        False,
        description="true if this screening reading is below the hypothermia screening "
        "threshold (default 35.0 °C): the check waits for a core temperature",
    )
    check_id: EventId | None = Field(None, description="the check this reading belongs to")


class GateData(Payload):
    action: Literal["passage", "alarm", "clear", "ready", "fault"] = Field(
        description="passage: a person walked through; alarm: metal detected; clear: alarm "
        "reset; ready/fault: the gate's own state"
    )
    direction: Literal["in", "out"] | None = Field(
        None, description="passage direction from the two beams"
    )
    zone_mask: int | None = Field(
        None,
        ge=0,
        le=(1 << 36) - 1,
        description="alarm zones, bit 0 = zone 1 (lowest); gates have 6/12/18/33 zones",
    )
    signal_level: int | None = Field(None, ge=0, le=999, description="alarm signal strength")
    check_id: EventId | None = Field(None, description="the check this gate event belongs to")


class MetalData(Payload):
    result: WandResult = Field(description="the operator's handheld-wand result")
    source: Literal["keypad", "dashboard"] = Field(description="where the result was entered")
    operator: ShortText | None = Field(None, description="operator who entered it")
    items: list[ShortText] = Field(
        default_factory=list, max_length=50, description="items found, if any"
    )
    check_id: EventId | None = Field(None, description="the check this result belongs to")


class TemperatureReading(Payload):
    celsius: Celsius = Field(description="screening value, °C")
    mode: TemperatureMode = Field("body", description="see TemperatureData.mode")
    at: UtcTime = Field(description="when the reading was taken")
    device: Slug | None = Field(None, description="thermometer id")
    remeasure: bool = Field(False, description="true if this reading asked for a re-measure")
    core_needed: bool = Field(
        False, description="true if this reading asked for a core temperature (too low)"
    )


class CheckStep(Payload):
    name: Literal[
        "passage",
        "gate_alarm",
        "wand",
        "temperature",
        "remeasure",
        "core_needed",
        "outcome",
        "timeout",
        "restart",
        "correction",
    ] = Field(
        description="what happened; core_needed: a screening reading below the hypothermia "
        "screening threshold asked for a core temperature; restart: the node restarted while "
        "the check was open; correction: a core temperature entered after the check closed"
    )
    at: UtcTime = Field(description="when it happened")
    detail: ShortText | None = Field(None, description="free detail, e.g. the reading")


class CheckData(Payload):
    check_id: EventId = Field(description="id of this check (stable across its step events)")
    outcome: CheckOutcome = Field(description="how the check ended")
    started_at: UtcTime = Field(description="passage time (start of the check)")
    finished_at: UtcTime = Field(description="when the outcome was decided")
    operator: ShortText | None = Field(None, description="desk operator responsible")
    direction: Literal["in", "out"] | None = Field(None, description="passage direction")
    gate_alarm: bool = Field(False, description="the walk-through gate alarmed")
    wand: WandResult | None = Field(None, description="handheld-wand result, if taken")
    items_held: list[ShortText] = Field(
        default_factory=list, max_length=50, description="prohibited items taken into storage"
    )
    celsius: Celsius | None = Field(None, description="the deciding temperature, °C")
    fever_threshold_celsius: float = Field(
        37.3, ge=35.0, le=40.0, description="fever threshold in force, °C"
    )
    temperatures: list[TemperatureReading] = Field(
        default_factory=list, max_length=20, description="every reading taken"
    )
    steps: list[CheckStep] = Field(
        default_factory=list, max_length=50, description="timeline of the check"
    )
    incomplete_reason: ShortText | None = Field(
        None,
        description="for outcome=incomplete: what was missing; starts with 'node restarted' "
        "when the node restarted while the check was open",
    )
    note: str | None = Field(None, max_length=2000, description="operator's note")
    revision: int = Field(
        0,
        ge=0,
        le=20,
        description="0: the check as first decided; n > 0: the n-th correction (a core "
        "temperature entered after the check closed), a new check event with the same "
        "check_id; the gateway keeps the highest revision and every event in the history",
    )
    corrected_from: CheckOutcome | None = Field(
        None, description="for revision > 0: the outcome this revision replaces"
    )
    corrected_at: UtcTime | None = Field(
        None, description="for revision > 0: when the correcting core temperature was entered"
    )


CheckWaitingFor = Literal["wand", "temperature", "core_temperature"]


class CheckProgress(Payload):
    """A check in progress as the node holds it: persisted in the node's outbox database
    (so it survives a restart) and the desk's view of where the check stands."""

    check_id: EventId = Field(description="id of this check")
    started_at: UtcTime = Field(description="passage time (start of the check)")
    direction: Literal["in", "unknown"] = Field("in", description="passage direction")
    waiting_for: list[CheckWaitingFor] = Field(
        default_factory=list,
        max_length=3,
        description="mandatory steps still missing; core_temperature: a screening reading "
        "below the hypothermia screening threshold asks for a core temperature",
    )
    gate_alarm: bool = Field(False, description="the walk-through gate alarmed")
    wand: WandResult | None = Field(None, description="handheld-wand result, if taken")
    items: list[ShortText] = Field(default_factory=list, max_length=50, description="items found")
    screening_celsius: Celsius | None = Field(
        None, description="the screening result (not a re-measure reading), °C"
    )
    core_celsius: Celsius | None = Field(None, description="confirmed core temperature, °C")
    core_needed_at: UtcTime | None = Field(
        None, description="when a low screening reading asked for a core temperature"
    )
    restarted_at: UtcTime | None = Field(
        None, description="when the node restarted while this check was open"
    )
    temperatures: list[TemperatureReading] = Field(
        default_factory=list, max_length=20, description="every reading taken"
    )
    steps: list[CheckStep] = Field(
        default_factory=list, max_length=50, description="timeline so far"
    )
    operator: ShortText | None = Field(None, description="desk operator responsible")
    note: str | None = Field(None, max_length=2000, description="operator's note")


MAX_PROGRESS_CHECKS = 20
"""Open checks one progress message carries (the oldest first: the desk works on those)."""


class IntakeProgress(Payload):
    """Where an intake node's checks stand, on `{site}/{node}/progress` (retained, QoS 1):
    sent by the node after each change it has stored, and again when it reconnects. The desk
    page shows this, not a reconstruction from step events (contract v1.2)."""

    v: Literal[1] = Field(1, description="payload version")
    at: UtcTime = Field(description="node clock when this state was stored")
    open: list[CheckProgress] = Field(
        default_factory=list,
        max_length=MAX_PROGRESS_CHECKS,
        description="checks in progress, oldest first; empty when the desk is idle",
    )
    more_open: int = Field(
        0, ge=0, description="open checks beyond those listed (a queue longer than the message)"
    )


class DoorData(Payload):
    door: Slug = Field(description="door id")
    open: bool = Field(description="true when the door is open")
