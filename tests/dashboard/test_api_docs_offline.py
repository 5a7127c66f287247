"""/docs and /redoc render with the network blocked (issue 14, finding 10): their scripts and
styles are the gateway's own files (gateway/api/vendor), so an offline station still
reads its API; no request leaves for a CDN."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.dashboard.conftest import Stack

pytestmark = pytest.mark.broker


def _offline(page: Any, base: str) -> list[str]:
    """Abort every request that is not to the gateway; return what was attempted."""
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return blocked


def test_swagger_ui_and_redoc_render_offline(stack: Stack, pages: Any) -> None:
    page = pages.new((1280, 800))
    blocked = _offline(page, stack.base)
    page.goto(f"{stack.base}/docs")
    page.wait_for_selector(".opblock", timeout=15_000)  # the operations are listed
    assert page.locator(".opblock").count() > 50
    assert "StationKit" in page.locator(".title").first.inner_text()
    page.goto(f"{stack.base}/redoc")
    page.wait_for_selector("[data-section-id], .api-content", timeout=15_000)
    assert blocked == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_docs_assets_are_served_with_a_strict_policy(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        js = c.get("/docs-static/swagger-ui-bundle.js")
        assert js.status_code == 200 and len(js.content) > 500_000
        page = c.get("/docs")
        assert "/docs-static/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert c.get("/docs-static/../app.py").status_code == 404
