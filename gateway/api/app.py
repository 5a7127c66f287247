"""`create_app(settings)`: nothing is built at import time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from prometheus_client import generate_latest

from gateway.api import commands, records
from gateway.ingest.metrics import GatewayMetrics


def create_app(
    db_path: Path,
    metrics: GatewayMetrics | None = None,
    publish: Callable[[str, bytes], None] | None = None,
) -> FastAPI:
    app = FastAPI(
        title="StationKit gateway",
        version="1",
        description="Intake checks, events and nodes of a relief station. Every /api/v1 route "
        "needs `Authorization: Bearer <token>` (`stationkit token create`).",
    )
    app.state.db_path = db_path
    app.state.metrics = metrics or GatewayMetrics()
    app.state.publish = publish  # send to the broker (commands to nodes)
    app.include_router(records.router)
    app.include_router(commands.router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics_text() -> bytes:
        return generate_latest(app.state.metrics.registry)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def index() -> str:
        from dashboard import page

        return page.index_html()

    return app
