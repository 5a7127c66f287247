"""`stationkit hub`: one worker process — the JetStream consumer, the downlink sender and
(optionally) the bureau dashboard — started and stopped together."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any

from gateway.hub import store
from gateway.hub.config import HubSettings
from gateway.hub.downlink import DownlinkSender
from gateway.hub.worker import HubWorker

log = logging.getLogger(__name__)


class HubProcess:
    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        with store.connect(settings.postgres) as conn:
            applied = store.migrate(conn)
        if applied:
            log.info("hub store migrated: %s", ", ".join(applied))
        self.worker = HubWorker(settings)
        self.sender = DownlinkSender(
            settings.postgres,
            settings.mqtt.split(","),
            client_id=f"stationkit-hub-{self.worker.stats.name}",
        )
        self.server: Any = None
        self._http: threading.Thread | None = None
        if settings.serve_http:
            import uvicorn

            from gateway.hub.api import create_hub_app

            app = create_hub_app(settings, self.worker.stats)
            self.server = uvicorn.Server(
                uvicorn.Config(
                    app, host=settings.http_host, port=settings.http_port, log_level="warning"
                )
            )
            self.server.install_signal_handlers = lambda: None  # ours stop everything
            self._http = threading.Thread(target=self.server.run, name="hub-http", daemon=True)

    def run(self) -> int:
        loop = asyncio.new_event_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.worker.stop)
        self.sender.start()
        if self._http:
            self._http.start()
        try:
            loop.run_until_complete(self.worker.run())
        finally:
            if self.server:
                self.server.should_exit = True
            self.sender.stop()
            loop.close()
        return 0
