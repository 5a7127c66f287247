"""The site time zone configured in `[alerts.sites.<slug>]` is the one the dashboard shows."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.mosquitto import Broker
from tests.support.stack import gateway

pytestmark = pytest.mark.broker


def test_the_configured_site_zone_reaches_the_dashboard(broker: Broker, tmp_path: Path) -> None:
    sites = {"sites": {"s1": {"tz": "Asia/Urumqi"}}}
    with gateway(broker, tmp_path / "gw.db", alerts=sites) as (gw, api):
        page = httpx.get(api.base + "/").text
        assert "Asia/Urumqi" in page and "__SITE_TZ__" not in page
        assert gw.app.state.context.site_timezones == {"s1": "Asia/Urumqi"}
