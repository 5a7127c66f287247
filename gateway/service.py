"""`Gateway`: the store, the MQTT ingest and the HTTP API, started and stopped together."""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any

import uvicorn

from devices.contract import codec, topics
from devices.contract.broker_url import BrokerUrl
from devices.contract.models import Command
from gateway.alerts.service import AlertService
from gateway.api.app import create_app
from gateway.api.context import GatewayContext
from gateway.api.hardening import guarded_protocol
from gateway.api.live import audit_view
from gateway.config import GatewaySettings
from gateway.ingest.metrics import GatewayMetrics
from gateway.ingest.subscriber import GatewaySubscriber
from gateway.ingest.writer import IngestWriter
from gateway.live.relay import LiveRelay
from gateway.maintenance.media import purge_media
from gateway.maintenance.retention import log_media_deletion
from gateway.media.store import MediaItem, MediaStore
from gateway.notify.notifier import Notifier
from gateway.people.family_search_timer import people_workflow
from gateway.people.roster import RosterProvider
from gateway.store.db import connect, open_store
from gateway.updates import Updates
from gateway.uplink.service import Uplink

log = logging.getLogger(__name__)


def _common_tz(settings: GatewaySettings) -> str | None:
    zones = {site.tz for site in settings.alerts.sites.values()}
    return zones.pop() if len(zones) == 1 else None


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.metrics = GatewayMetrics()
        self.db = open_store(settings.db, check_same_thread=False)
        self.writer = IngestWriter(self.db, self.metrics, settings.ingest)
        self.subscriber = GatewaySubscriber(
            settings.broker_url(),
            self.writer,
            client_id=settings.client_id,
            heartbeat_grace=settings.heartbeat_grace,
            mqtt_v5=settings.mqtt_version == "5",
        )
        self.media = MediaStore(
            settings.media_dir or settings.db.parent / "media",
            settings.media,
            on_delete=self._media_deleted,
        )
        self.writer.media = self.media
        self._deletions: queue.SimpleQueue[tuple[MediaItem, str]] = queue.SimpleQueue()
        self._purger = threading.Thread(target=self._purge_media, name="media-purge", daemon=True)
        self._stopping = threading.Event()
        self.live = LiveRelay(self._publish_cmd, audit=lambda rec: audit_view(settings.db, rec))
        self.writer.live_handler = self.live.on_frame
        self.updates = Updates()
        self.writer.event_listeners.append(
            lambda ev, at: self.updates.publish("event", ev.model_dump(mode="json"))
        )
        self.writer.node_listeners.append(
            lambda site, node, state, reason, at: self.updates.publish(
                "node", {"site": site, "node": node, "state": state, "reason": reason}
            )
        )
        self.writer.devices_listeners.append(
            lambda site, node, devices: self.updates.publish(
                "node", {"site": site, "node": node, "devices": devices}
            )
        )
        self.writer.progress_listeners.append(  # the desk page re-reads where checks stand
            lambda site, node: self.updates.publish("node", {"site": site, "node": node})
        )
        # Alerts: fed by the writer after each commit; notifications through a durable outbox.
        self.notifier = Notifier(settings.notify, settings.db, publish=self.subscriber.publish)
        self.alerts = AlertService(
            settings.db, settings.alerts, notifier=self.notifier, updates=self.updates
        )
        self.alerts.rosters = RosterProvider(settings.db)  # foster-home rosters from placements
        self.writer.event_listeners.append(self.alerts.on_event)
        self.writer.node_listeners.append(self.alerts.on_node)
        self._people_timer = people_workflow(settings, self.alerts)  # family search, visits
        self.app = create_app(
            GatewayContext(
                settings.db,
                metrics=self.metrics,
                publish=self.subscriber.publish,
                updates=self.updates,
                live_relay=self.live,
                alerts=self.alerts,
                ingest=self.writer,  # staff reports: the same insert and listeners
                media=self.media,
                auth=settings.auth,
                # times shown in each site's zone ([alerts.sites.<slug>] tz); the dashboard
                # shows one zone: the sites' common one, else Asia/Shanghai or the env default
                site_timezones={k: v.tz for k, v in settings.alerts.sites.items()},
                site_tz=_common_tz(settings),
                family_search=self._people_timer.family,
                followups=self._people_timer.followups,
                station_contacts=settings.family_search.contacts,
            ),
            http_limits=settings.http_limits,
        )
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=settings.http_host,
                port=settings.http_port,
                log_level="warning",
                lifespan="on",
                # docs/security.md "HTTP": slowloris deadline and connection cap
                http=guarded_protocol(
                    settings.http_limits, lambda why: self.metrics.http_guard.labels(why).inc()
                ),
                timeout_keep_alive=settings.http_limits.keep_alive_s,
                h11_max_incomplete_event_size=settings.http_limits.max_header_bytes,
            )
        )
        self._http_thread = threading.Thread(target=self.server.run, name="http", daemon=True)
        self.uplink = (
            Uplink(
                str(settings.db),
                settings.uplink,
                _uplink_url(settings),
                self.alerts,
                {k: v.tz for k, v in settings.alerts.sites.items()},
            )
            if settings.uplink.enabled
            else None
        )

    def _publish_cmd(self, site: str, node: str, action: str, args: dict[str, Any]) -> None:
        cmd = Command(id=codec.new_id(), action=action, args=args, ts=datetime.now(UTC))
        self.subscriber.publish(topics.cmd(site, node), codec.encode(cmd))

    def _media_deleted(self, item: MediaItem, reason: str) -> None:
        """Every media deletion (age limit, disk budget) goes to the deletion log. Budget
        deletions happen inside the ingest transaction: the purge thread writes the log."""
        self._deletions.put((item, reason))

    def _purge_media(self) -> None:
        """Every minute: holds synced from the database (legal holds, incident evidence), then
        media past the age limit deleted (`stationkit retention --media` does the same), and
        every deletion written to the deletion log."""
        db = connect(self.settings.db)
        try:
            while True:
                stopping = self._stopping.wait(60)
                try:
                    if not stopping:
                        purge_media(db, self.media)
                    while not self._deletions.empty():
                        item, reason = self._deletions.get()
                        log_media_deletion(
                            db,
                            event_id=item.event_id,
                            path=str(item.path),
                            reason=reason,
                            actor="gateway",
                        )
                except Exception:
                    log.exception("media purge failed; will retry")
                if stopping:
                    return
        finally:
            db.conn.close()

    def start(self) -> None:
        self.notifier.start()
        self.alerts.start()
        self._purger.start()
        self.subscriber.start()
        if self.uplink:
            self.uplink.start()
        self._http_thread.start()
        log.info("gateway API on http://%s", self.settings.http)

    def healthy(self) -> str | None:
        """None when ingestion and the API are running; otherwise what is stuck."""
        if not self.subscriber._thread.is_alive() or time.monotonic() - self.subscriber.beat > 20:
            return "ingest loop stuck"
        if not self._http_thread.is_alive():
            return "HTTP server stopped"
        if not self.alerts.healthy():
            return "alert timer stuck"
        if not self.notifier.alive():
            return "notification delivery stopped"
        if self.uplink and not self.uplink.healthy():
            return "bureau uplink stuck"
        return None

    def stop(self) -> None:
        self._stopping.set()
        self.updates.close()  # open dashboard streams end, so the server can stop at once
        self.server.should_exit = True
        self.subscriber.stop()
        self._http_thread.join(5)  # no request may still be acting on an alert
        if self.uplink:
            self.uplink.stop()  # before the alert service: a bureau action may be applying
        if self._purger.is_alive():
            self._purger.join(5)  # writes the last media deletions to the log
        self.alerts.stop()
        self._people_timer.close()
        self.notifier.stop()
        self.db.conn.close()


def _uplink_url(settings: GatewaySettings) -> BrokerUrl:
    """The gateway's broker, with the uplink's own account (see UplinkConfig.username)."""
    url, cfg = settings.broker_url(), settings.uplink
    password = cfg.password_file.read_text().strip() if cfg.password_file else cfg.password
    return BrokerUrl(url.host, url.port, url.tls, cfg.username, password)
