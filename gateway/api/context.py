"""The gateway as the API sees it: one typed `GatewayContext` instead of names on `app.state`.

`create_app` puts one context on `app.state.context`; routes reach it, or one of its parts,
through the `Annotated` aliases at the end of this module (`Ctx`, `Alerts`, …), and helpers
that only have the request call `context_of(request)`. Nothing is looked up by a string name,
so a misspelt service is a type error, not a silent `None`.

The gateway service (gateway/service.py) fills every part; an API served alone (tests, tools,
benchmarks) gets working defaults: a passive alert service (actions work; no timers, no
notifications), family search without alerts, the media folder beside the database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from gateway.alerts.service import AlertService
from gateway.auth.settings import AuthSettings
from gateway.ingest.metrics import GatewayMetrics
from gateway.ingest.writer import IngestWriter
from gateway.live.relay import LiveRelay, Viewer
from gateway.media.store import MediaStore
from gateway.people.family_search import FamilySearch
from gateway.people.notice import StationContact
from gateway.people.visits import Followups
from gateway.store.db import connect
from gateway.updates import Updates

T = TypeVar("T")

Publish = Callable[[str, bytes], object]
"""Send (topic, payload) to the broker: commands to nodes."""

Authorise = Callable[[HTTPConnection, str, str, str], Viewer | None]
"""(request, site, node, camera) -> who may watch, or None (403); raises 401 itself."""

DEFAULT_TZ = "Asia/Shanghai"
KEEPALIVE_S = 15.0
"""The dashboard stream's keep-alive (and re-authorisation) period when idle."""


@dataclass
class GatewayContext:
    """Everything a route needs besides the request and the database connection."""

    db_path: Path
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    publish: Publish | None = None  # None: not connected to a broker (commands answer 503)
    updates: Updates = field(default_factory=Updates)  # the dashboard's live updates (SSE)
    live_relay: LiveRelay | None = None  # None: live view answers 503
    live_authorise: Authorise | None = None  # None: gateway/api/live.py's (the API's logins)
    alerts: AlertService | None = None  # None: a passive one is built on first use
    ingest: IngestWriter | None = None  # the writer whose listeners hear every stored event
    media: MediaStore | Path | None = None  # None: `media` beside the database
    auth: AuthSettings = field(default_factory=AuthSettings)
    clock: Callable[[], datetime] | None = None  # a fake clock in tests; None: the real one
    site_timezones: dict[str, str] = field(default_factory=dict)  # {site: IANA zone}
    site_tz: str | None = None  # the dashboard's one zone (the sites' common one)
    family_search: FamilySearch | None = None
    followups: Followups | None = None
    station_contacts: dict[str, StationContact] = field(default_factory=dict)
    stream_keepalive_s: float = KEEPALIVE_S
    _memo: dict[str, object] = field(default_factory=dict, repr=False)
    _building: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- time and place -------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def zone_name(self, site: str | None = None) -> str:
        """The site's zone, else the dashboard's, else $STATIONKIT_SITE_TZ, else Shanghai."""
        return (
            (self.site_timezones.get(site) if site else None)
            or self.site_tz
            or os.environ.get("STATIONKIT_SITE_TZ", DEFAULT_TZ)
        )

    def zone(self, site: str | None = None) -> ZoneInfo:
        """`zone_name` as a ZoneInfo; a misconfigured name falls back to Shanghai."""
        try:
            return ZoneInfo(self.zone_name(site))
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(DEFAULT_TZ)

    def media_root(self) -> Path:
        if isinstance(self.media, MediaStore):
            return Path(self.media.root)
        return Path(self.media) if self.media else self.db_path.parent / "media"

    # -- services, built on first use when the gateway did not give one -----------------------

    def alert_service(self) -> AlertService:
        with self._building:  # two first requests at once must not build two
            if self.alerts is None:
                self.alerts = AlertService(self.db_path, updates=self.updates)
            return self.alerts

    def event_writer(self) -> IngestWriter:
        """The gateway's ingest writer, through which the API stores the events it makes
        (staff reports): the same insert and the same listeners as a node's events. An API
        served alone gets one that tells the alert service and the dashboard's stream."""
        with self._building:
            if self.ingest is None:
                db = connect(self.db_path, check_same_thread=False)
                writer = IngestWriter(db, self.metrics)
                writer.event_listeners.append(self.alert_service().on_event)
                writer.event_listeners.append(
                    lambda ev, _at: self.updates.publish("event", ev.model_dump(mode="json"))
                )
                self.ingest = writer
            return self.ingest

    def family(self) -> FamilySearch:
        with self._building:
            if self.family_search is None:
                self.family_search = FamilySearch(tz_of=self.zone_name)
            if self.family_search.alerts is None:
                self.family_search.alerts = self.alerts
            return self.family_search

    def followup_service(self) -> Followups:
        with self._building:
            if self.followups is None:
                self.followups = Followups(tz_of=self.zone_name)
            return self.followups

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """A per-app object a route keeps between requests (a key, a gallery, a cache),
        built once by `build`."""
        with self._building:
            if name not in self._memo:
                self._memo[name] = build()
            return self._memo[name]  # type: ignore[return-value]


def context_of(request: HTTPConnection) -> GatewayContext:
    context: GatewayContext = request.app.state.context
    return context


def _alerts(request: HTTPConnection) -> AlertService:
    return context_of(request).alert_service()


def _relay(request: HTTPConnection) -> LiveRelay:
    relay = context_of(request).live_relay
    if relay is None:
        raise HTTPException(503, "live view is not set up on this gateway (no relay)")
    return relay


def _publish(request: HTTPConnection) -> Publish:
    publish = context_of(request).publish
    if publish is None:
        raise HTTPException(503, "this gateway is not connected to a broker")
    return publish


Ctx = Annotated[GatewayContext, Depends(context_of)]
Alerts = Annotated[AlertService, Depends(_alerts)]
Relay = Annotated[LiveRelay, Depends(_relay)]
Broker = Annotated[Publish, Depends(_publish)]
