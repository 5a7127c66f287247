"""`CameraApp`: the camera node application (implements `firmware_py.app.NodeApp`).

Threads: one `CaptureWorker` per camera (reads, reconnects), one analysis thread for all
cameras (round-robin at each camera's analysis rate), one clip writer, and one
`LiveStream` per camera while someone watches. Decisions live in `devices.camera`; this
module only moves frames and events between them and the agent's `NodeContext`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from devices.camera.analyzer import CameraAnalyzer, Finding
from devices.camera.detect import Detector
from devices.camera.health import OfflineWatch
from devices.camera.media import PendingClip, RingBuffer, encode_jpeg, write_clip
from devices.camera.source import FrameSource, Image
from devices.contract.models import Command, DeviceState
from devices.contract.models.camera import CameraData, PeopleData
from firmware_py.app import NodeContext
from firmware_py.camera.capture import CaptureWorker
from firmware_py.camera.config import CameraConfig, CameraNodeConfig
from firmware_py.camera.heap import TRIM_EVERY_S, trim_heap
from firmware_py.camera.live import LiveParams, LiveStream
from firmware_py.camera.pipeline import analysis_frame, build_analyzer
from firmware_py.camera.sources import build_source

log = logging.getLogger(__name__)


class LiveStartArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    camera: str = Field(description="camera id")
    width_px: int | None = Field(None, ge=160, le=1920, description="frame width")
    fps: float | None = Field(None, gt=0, le=25, description="frames per second")
    quality: int | None = Field(None, ge=20, le=95, description="JPEG quality")
    timeout_s: float | None = Field(None, ge=1, le=3600, description="session length")


@dataclass(slots=True)
class _Camera:
    cfg: CameraConfig
    worker: CaptureWorker
    analyzer: CameraAnalyzer
    watch: OfflineWatch
    ring: RingBuffer
    next_s: float = 0.0
    seq: int = 0
    clips: list[PendingClip] = field(default_factory=list)
    live: LiveStream | None = None
    roster_sent: dict[str | None, float] = field(default_factory=dict)
    errors: int = 0
    analysed_at: datetime | None = None  # wall time of the last frame analysed (heartbeat)


class CameraApp:
    def __init__(
        self,
        config: CameraNodeConfig,
        *,
        sources: Mapping[str, FrameSource] | None = None,
        detector_factory: Callable[[CameraConfig], Detector | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.clock = clock
        self.wall = wall
        self._sources = dict(sources or {})
        self._detector_factory = detector_factory
        self._cams: dict[str, _Camera] = {}
        self._ctx: NodeContext | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clipper: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.analysed = 0
        self.analysis_s = 0.0

    # -- NodeApp ------------------------------------------------------------------------
    def start(self, ctx: NodeContext) -> None:
        self._ctx = ctx
        now = self.clock()
        for cam in self.config.cameras:
            source = self._sources.get(cam.id) or build_source(cam)
            worker = CaptureWorker(
                cam.id,
                source,
                clock=self.clock,
                backoff_min_s=self.config.reconnect_min_s,
                backoff_max_s=self.config.reconnect_max_s,
            )
            state = self.config.state_dir
            if self._detector_factory is not None:
                analyzer = build_analyzer(cam, self._detector_factory(cam), reference_dir=state)
            else:
                analyzer = build_analyzer(cam, reference_dir=state)
            pre = self.config.clips.pre_s
            ring = RingBuffer(pre, max_frames=int(pre * cam.analysis_fps) + 2)
            self._cams[cam.id] = _Camera(
                cam, worker, analyzer, OfflineWatch(cam.offline_after_s, now), ring
            )
            worker.start()
        trim_heap()  # what building the detector session freed (tens of MB)
        self._clipper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clip")
        self._stop.clear()
        self._beat = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="camera-analysis", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        for c in self._cams.values():
            if c.live is not None:
                c.live.stop()
            c.worker.stop()
        if self._clipper is not None:
            self._clipper.shutdown(wait=True)

    def frames(self) -> dict[str, datetime]:
        """When each camera's last frame was analysed: the node's heartbeat carries it, so a
        quiet room at night still shows a fresh frame (snapshots come only with events)."""
        return {cid: c.analysed_at for cid, c in self._cams.items() if c.analysed_at}

    def devices(self) -> dict[str, DeviceState]:
        out: dict[str, DeviceState] = {}
        for cid, c in self._cams.items():
            if c.watch.state == "unknown":
                out[cid] = "unknown"
            elif c.watch.state == "offline" or any(c.analyzer.tamper.active.values()):
                out[cid] = "fault"
            else:
                out[cid] = "ok"
        return out

    def handle_command(self, cmd: Command) -> tuple[bool, str | None] | None:
        if cmd.action == "live_start":
            return self._live_start(cmd.args)
        if cmd.action == "live_stop":
            cam, error = self._camera_named(cmd.args.get("camera"))
            if cam is None:
                return False, error
            with self._lock:
                if cam.live is not None:
                    cam.live.stop()
                    cam.live = None
            return True, None
        if cmd.action == "tamper_reset":
            cam, error = self._camera_named(cmd.args.get("camera"))
            if cam is None:
                return False, error
            cam.analyzer.tamper.reset_reference()
            return True, None
        return None

    def _camera_named(self, name: object) -> tuple[_Camera | None, str | None]:
        """The camera a command's `camera` argument names, or why there is none."""
        cam = self._cams.get(str(name or ""))
        if cam is None:
            return None, f"unknown camera {name!r}; this node has {sorted(self._cams)}"
        return cam, None

    # -- live view --------------------------------------------------------------------------
    def _live_start(self, args: dict[str, Any]) -> tuple[bool, str | None]:
        try:
            a = LiveStartArgs.model_validate(args)
        except ValidationError as exc:
            return False, f"live_start arguments: {exc.errors()[0]['msg']}"[:500]
        cam, error = self._camera_named(a.camera)
        if cam is None:
            return False, error
        d = self.config.live
        params = LiveParams(
            width_px=a.width_px or d.width_px,
            fps=a.fps or d.fps,
            quality=a.quality or d.quality,
            timeout_s=a.timeout_s or d.timeout_s,
        )
        ctx = self._ctx
        assert ctx is not None
        with self._lock:
            if cam.live is not None and cam.live.active:
                cam.live.renew(params)
            else:
                cam.live = LiveStream(cam.worker, ctx.publish_live, params, clock=self.clock)
                cam.live.start()
        return True, None

    # -- analysis loop ----------------------------------------------------------------------
    def healthy(self) -> str | None:
        """For the node's watchdog: None while the analysis loop is turning (a camera that
        sends no frames is reported as offline, not as a stuck loop)."""
        thread = getattr(self, "_thread", None)
        if thread is None:
            return None
        if not thread.is_alive() or time.monotonic() - self._beat > 30.0:
            return "camera analysis loop stuck"
        return None

    def _loop(self) -> None:
        trimmed = time.monotonic()
        while not self._stop.is_set():
            self._beat = time.monotonic()
            if self._beat - trimmed >= TRIM_EVERY_S:
                # freed frames and detector buffers back to the system (~90 MB less RSS
                # with one camera; firmware_py/camera/heap.py)
                trim_heap()
                trimmed = self._beat
            now = self.clock()
            due = []
            for c in self._cams.values():
                self._liveness(c, now)
                if now >= c.next_s:
                    due.append(c)
                    c.next_s = max(c.next_s + 1.0 / c.cfg.analysis_fps, now)
            for c in due:
                try:
                    self._analyse(c, now)
                except Exception:  # one camera's bad frame must not stop the others
                    c.errors += 1
                    log.exception("analysis of %s failed", c.cfg.id)
            nxt = min((c.next_s for c in self._cams.values()), default=now + 0.2)
            self._stop.wait(max(0.001, min(0.2, nxt - self.clock())))

    def _liveness(self, c: _Camera, now: float) -> None:
        c.watch.last_error = c.worker.last_error
        change = c.watch.update(c.worker.last_frame_s, now)
        if change is None:
            return
        data = CameraData(camera=c.cfg.id, state=change.state, reason=change.reason)
        self._emit("camera", data, c, None)
        if change.state == "offline":
            c.analyzer.motion.reset()

    def _analyse(self, c: _Camera, now: float) -> None:
        got = c.worker.latest()
        if got is None or got.seq == c.seq or c.watch.state != "online":
            return
        c.seq = got.seq
        t0 = time.perf_counter()
        frame = got.frame
        small = analysis_frame(frame, c.cfg.analysis_width_px)
        night = self.config.is_night(self.wall())
        analysis = c.analyzer.process(small, got.ts, night=night)
        c.analysed_at = self.wall()
        self.analysis_s += time.perf_counter() - t0
        self.analysed += 1
        clips = self.config.clips
        if clips.enabled:
            jpeg = encode_jpeg(small, clips.quality, clips.width_px)
            c.ring.append(got.ts, jpeg)
            for clip in list(c.clips):
                if clip.add(got.ts, jpeg):
                    c.clips.remove(clip)
                    self._send_clip(clip, c.cfg.analysis_fps)
        for finding in analysis.findings:
            self._finding(c, finding, frame, got.ts)
        self._roster(c, frame, now)

    def _finding(self, c: _Camera, f: Finding, frame: Image, ts: float) -> None:
        data = f.data
        if isinstance(data, PeopleData):
            expected = self.config.expected(c.cfg.id, self.wall()).get(data.zone)
            data = data.model_copy(update={"expected": expected})
            c.roster_sent[data.zone] = ts
        event_id = self._emit(f.kind, data, c, frame if f.snapshot else None)
        if f.clip and event_id and self.config.clips.enabled:
            frames = c.ring.since(ts - self.config.clips.pre_s)
            c.clips.append(PendingClip(event_id, ts + self.config.clips.post_s, frames))

    def _roster(self, c: _Camera, frame: Image, now: float) -> None:
        """While a roster window applies, (re)send the head count every roster_report_s."""
        due = self.config.expected(c.cfg.id, self.wall())
        for zone, expected in due.items():
            last = c.roster_sent.get(zone)
            if last is not None and now - last < self.config.roster_report_s:
                continue
            count = c.analyzer.people_count if zone is None else c.analyzer.zone_count(zone)
            if count is None:
                continue
            data = PeopleData(
                camera=c.cfg.id, count=count, zone=zone, expected=expected, snapshot=True
            )
            self._emit("people", data, c, frame)
            c.roster_sent[zone] = now

    def _emit(self, kind: str, data: BaseModel, c: _Camera, frame: Image | None) -> str | None:
        ctx = self._ctx
        assert ctx is not None
        if frame is None and getattr(data, "snapshot", False):
            data = data.model_copy(update={"snapshot": False})
        try:
            env = ctx.emit(kind, data, device=c.cfg.id)  # type: ignore[arg-type]
        except Exception:
            c.errors += 1
            log.exception("event %s of %s not emitted", kind, c.cfg.id)
            return None
        if frame is not None:
            try:
                jpeg = encode_jpeg(
                    frame, self.config.snapshot_quality, self.config.snapshot_width_px
                )
                ctx.publish_media(env.id, jpeg)
            except Exception:
                c.errors += 1
                log.exception("snapshot of %s not sent", env.id)
        return env.id

    def _send_clip(self, clip: PendingClip, fps: float) -> None:
        ctx, pool = self._ctx, self._clipper
        assert ctx is not None and pool is not None

        def work() -> None:
            try:
                ctx.publish_media(clip.event_id, write_clip(clip.frames, fps))
            except Exception:
                log.exception("clip of %s not sent", clip.event_id)

        pool.submit(work)

    # -- figures for heartbeat/bench ------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return {
            cid: {
                "state": c.watch.state,
                "frames": c.worker.frames,
                "reconnects": c.worker.reconnects,
                "capture_errors": c.worker.errors,
                "analysis_errors": c.errors,
                "people": c.analyzer.people_count,
                "ring_bytes": c.ring.bytes_used,
                "live": c.live is not None and c.live.active,
            }
            for cid, c in self._cams.items()
        }
