"""Configuration of a camera node (the `[camera]` part of the node's TOML file).

Example (TOML)::

    site_timezone = "Asia/Shanghai"
    night = { start = "21:30", end = "06:00" }

    [[cameras]]
    id = "room-1"
    source = { kind = "rtsp", url = "rtsp://viewer:***@192.168.1.64:554/Streaming/Channels/102" }
    zones = [ { id = "beds", polygon = [[0.1, 0.4], [0.9, 0.4], [0.9, 1.0], [0.1, 1.0]] } ]
    lines = [ { id = "door", a = [0.8, 0.5], b = [0.8, 1.0], in_side = "left" } ]

    [[roster]]
    camera = "room-1"
    zone = "beds"
    start = "22:00"
    end = "06:00"
    expected = 4
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devices.camera.analyzer import AnalyzerSettings
from devices.contract.models.base import Slug
from devices.runtime.config_file import TimeZoneName

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
PointCfg = tuple[Fraction, Fraction]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UsbSourceConfig(_Model):
    kind: Literal["usb"] = "usb"
    device: int | str = Field(0, description="V4L2 index (0) or path (/dev/video0)")
    width_px: int | None = Field(None, ge=160, le=3840, description="capture width asked for")
    height_px: int | None = Field(None, ge=120, le=2160, description="capture height asked for")
    fps: float | None = Field(None, gt=0, le=60, description="capture rate asked for")


class RtspSourceConfig(_Model):
    kind: Literal["rtsp"] = "rtsp"
    url: str = Field(pattern=r"^(rtsp|rtsps|http|https)://", description="stream URL (substream)")
    timeout_s: float = Field(5.0, gt=0, le=60, description="open/read timeout")


class FileSourceConfig(_Model):
    kind: Literal["file"] = "file"
    path: str = Field(min_length=1, description="video file, looped")
    loop: bool = Field(True, description="start again at the end")
    realtime: bool = Field(True, description="pace frames at the file's own rate")


class SyntheticSourceConfig(_Model):
    kind: Literal["synthetic"] = "synthetic"
    seed: int = Field(1, description="scene seed")
    width_px: int = Field(640, ge=64, le=3840, description="frame width")
    height_px: int = Field(480, ge=48, le=2160, description="frame height")
    fps: float = Field(10.0, gt=0, le=60, description="frame rate")
    walk_every_s: float = Field(20.0, ge=0, le=3600)
    """a figure walks across every N s (0: never)"""


SourceConfig = Annotated[
    UsbSourceConfig | RtspSourceConfig | FileSourceConfig | SyntheticSourceConfig,
    Field(discriminator="kind"),
]


class ZoneConfig(_Model):
    id: Slug = Field(description="zone id, e.g. 'beds'")
    polygon: list[PointCfg] = Field(min_length=3)
    """corners as [x, y] fractions of width and height"""


class LineConfig(_Model):
    id: Slug = Field(description="line id, e.g. 'front-door'")
    a: PointCfg = Field(description="one end, [x, y] fractions")
    b: PointCfg = Field(description="other end, [x, y] fractions")
    in_side: Literal["left", "right"] = "left"
    """side of a→b (image coordinates, y down) that is inside the home"""


class CameraConfig(_Model):
    id: Slug = Field(description="camera id on this node")
    source: SourceConfig = Field(description="where frames come from")
    analysis_width_px: int = Field(640, ge=160, le=1920, description="analysis frame width")
    analysis_fps: float = Field(5.0, gt=0, le=30, description="analysed frames per second")
    zones: list[ZoneConfig] = Field(default_factory=list, description="zones to count in")
    lines: list[LineConfig] = Field(default_factory=list, description="tripwires at exits")
    masks: list[list[PointCfg]] = Field(default_factory=list)
    """polygons ignored by motion and frozen checks"""
    analysis: AnalyzerSettings = Field(default_factory=AnalyzerSettings)
    """motion, detector and tamper tuning"""
    offline_after_s: float = Field(10.0, ge=1, le=3600, description="no frames this long: offline")

    @model_validator(mode="after")
    def _unique_ids(self) -> CameraConfig:
        for what, ids in (
            ("zone", [z.id for z in self.zones]),
            ("line", [x.id for x in self.lines]),
        ):
            if len(ids) != len(set(ids)):
                raise ValueError(f"camera {self.id}: duplicate {what} ids {ids}")
        return self


def _hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day like '22:00'") from None


class TimeWindow(_Model):
    start: str = Field(description="local start, HH:MM")
    end: str = Field(description="local end, HH:MM (before start: runs past midnight)")

    @field_validator("start", "end")
    @classmethod
    def _time(cls, v: str) -> str:
        _hhmm(v)
        return v

    def contains(self, local: datetime) -> bool:
        start, end, now = _hhmm(self.start), _hhmm(self.end), local.time()
        if start <= end:
            return start <= now < end
        return now >= start or now < end


class RosterEntry(TimeWindow):
    camera: Slug = Field(description="camera watching the room")
    zone: Slug | None = Field(None, description="zone counted (None: the whole view)")
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7]
    )
    """ISO weekdays, 1 = Monday"""
    expected: int = Field(ge=0, le=100, description="residents who should be there")

    def applies(self, local: datetime) -> bool:
        return local.isoweekday() in self.weekdays and self.contains(local)


class LiveDefaults(_Model):
    width_px: int = Field(640, ge=160, le=1920, description="live frame width")
    fps: float = Field(5.0, gt=0, le=25, description="live frames per second")
    quality: int = Field(70, ge=20, le=95, description="JPEG quality")
    timeout_s: float = Field(60.0, ge=5, le=3600, description="stop unless renewed by live_start")


class ClipConfig(_Model):
    enabled: bool = Field(True, description="send an MJPG AVI clip with alert-grade events")
    pre_s: float = Field(3.0, ge=0, le=30, description="seconds kept before the event")
    post_s: float = Field(3.0, ge=0, le=60, description="seconds kept after the event")
    width_px: int = Field(480, ge=160, le=1280, description="clip frame width")
    quality: int = Field(70, ge=20, le=95, description="JPEG quality of clip frames")


class CameraNodeConfig(_Model):
    cameras: list[CameraConfig] = Field(min_length=1, description="cameras of this node")
    site_timezone: TimeZoneName = "Asia/Shanghai"
    """IANA zone for night and roster"""
    night: TimeWindow = Field(default_factory=lambda: TimeWindow(start="22:00", end="06:00"))
    """night hours: a resident leaving is a missing-person risk"""
    roster: list[RosterEntry] = Field(default_factory=list, description="expected head counts")
    roster_report_s: float = Field(300.0, ge=10, le=86400)
    """how often a roster count is re-sent while due"""
    snapshot_width_px: int = Field(640, ge=160, le=1920, description="event snapshot width")
    snapshot_quality: int = Field(80, ge=20, le=95, description="event snapshot JPEG quality")
    live: LiveDefaults = Field(default_factory=LiveDefaults, description="live view defaults")
    clips: ClipConfig = Field(default_factory=ClipConfig, description="event clips")
    state_dir: Path | None = None
    """where each camera's tamper reference view is kept, so that a restart does not adopt a
    view tampered with while the node was down; set it on every node (e.g.
    /var/lib/stationkit/camera). None: memory only, a restart relearns the view"""
    reconnect_min_s: float = Field(1.0, gt=0, le=60, description="first reconnect delay")
    reconnect_max_s: float = Field(30.0, gt=0, le=600, description="longest reconnect delay")

    @model_validator(mode="after")
    def _refs(self) -> CameraNodeConfig:
        cams = {c.id: c for c in self.cameras}
        if len(cams) != len(self.cameras):
            raise ValueError("duplicate camera ids")
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError(
                f"reconnect_min_s {self.reconnect_min_s:g} is above reconnect_max_s "
                f"{self.reconnect_max_s:g}"
            )
        for r in self.roster:
            if r.camera not in cams:
                raise ValueError(f"roster names camera {r.camera!r}, not one of {sorted(cams)}")
            if r.zone is not None and r.zone not in {z.id for z in cams[r.camera].zones}:
                raise ValueError(f"roster names zone {r.zone!r} that camera {r.camera} lacks")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site_timezone)

    def is_night(self, utc: datetime) -> bool:
        return self.night.contains(utc.astimezone(self.tz))

    def expected(self, camera: str, utc: datetime) -> dict[str | None, int]:
        """Roster head counts due now for `camera`, by zone (None = whole view)."""
        local = utc.astimezone(self.tz)
        return {r.zone: r.expected for r in self.roster if r.camera == camera and r.applies(local)}
