"""`create_app(context)`: nothing is built at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from prometheus_client import generate_latest

from gateway.api import commands, records, routes
from gateway.api.context import GatewayContext
from gateway.api.docs import install_docs
from gateway.api.hardening import BodyLimit, HttpLimits, SecurityHeaders


def create_app(context: GatewayContext | Path, http_limits: HttpLimits | None = None) -> FastAPI:
    """The API and dashboard over `context` (gateway/api/context.py; a database path alone
    gives an API with the defaults, as tests and tools use it). `http_limits` sets the request
    body limits (the connection limits are the server's: gateway/service.py)."""
    ctx = context if isinstance(context, GatewayContext) else GatewayContext(Path(context))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(ctx.live_relay.run()) if ctx.live_relay else None
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
    app.state.context = ctx  # the one thing on app.state: routes read it through `Ctx`
    # outermost last: security headers go on every answer, the body limit's 413 included
    app.add_middleware(BodyLimit, limits=http_limits or HttpLimits())
    app.add_middleware(SecurityHeaders)
    app.include_router(records.router)
    app.include_router(commands.router)
    for router in routes.discover():  # gateway/api/routes/*.py
        app.include_router(router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics_text() -> bytes:
        return generate_latest(ctx.metrics.registry)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def index() -> str:
        from dashboard import page

        return page.index_html(ctx.site_tz)

    return app
