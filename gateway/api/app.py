"""`create_app(settings)`: nothing is built at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from prometheus_client import generate_latest

from gateway.api import commands, records, routes
from gateway.api.docs import install_docs
from gateway.api.hardening import BodyLimit, HttpLimits, SecurityHeaders
from gateway.api.live import authorise_live_viewer
from gateway.ingest.metrics import GatewayMetrics
from gateway.live.relay import LiveRelay
from gateway.updates import Updates


def create_app(
    db_path: Path,
    metrics: GatewayMetrics | None = None,
    publish: Callable[[str, bytes], object] | None = None,
    live_relay: LiveRelay | None = None,
    updates: Updates | None = None,
    services: dict[str, object] | None = None,
    http_limits: HttpLimits | None = None,
) -> FastAPI:
    """`services` are extra objects put on `app.state` by name (alerts, notifier, …);
    `http_limits` sets the request body limits (the connection limits are the server's:
    gateway/service.py)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(live_relay.run()) if live_relay else None
        yield
        if task:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="StationKit gateway",
        version="1",
        description="Intake checks, events and nodes of a relief station. Every /api/v1 route "
        "needs `Authorization: Bearer <token>` (`stationkit token create`).",
        docs_url=None,  # served from the gateway's own files (gateway/api/docs.py), not a CDN
        redoc_url=None,
    )
    install_docs(app)
    app.state.db_path = db_path
    # outermost last: security headers go on every answer, the body limit's 413 included
    app.add_middleware(BodyLimit, limits=http_limits or HttpLimits())
    app.add_middleware(SecurityHeaders)
    app.state.metrics = metrics or GatewayMetrics()
    app.state.publish = publish  # send to the broker (commands to nodes)
    app.include_router(records.router)
    app.include_router(commands.router)
    # Live view (gateway/api/routes/live.py): supervisors and admins; every view is audited.
    app.state.live_relay = live_relay
    app.state.live_authorise = authorise_live_viewer
    app.state.updates = updates or Updates()  # live updates for the dashboard (SSE)
    for name, service in (services or {}).items():
        setattr(app.state, name, service)
    for router in routes.discover():  # gateway/api/routes/*.py
        app.include_router(router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics_text() -> bytes:
        return generate_latest(app.state.metrics.registry)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def index() -> str:
        from dashboard import page

        return page.index_html(getattr(app.state, "site_tz", None))

    return app
