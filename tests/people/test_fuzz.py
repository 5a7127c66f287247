"""Any JSON into the file's write routes: a clear 4xx or success, never a server error."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.auth.tokens import create_token
from gateway.people.models import EDITABLE
from tests.security.auth_fixtures import make_site

_site = make_site(Path(tempfile.mkdtemp(prefix="people-fuzz-")))
_client = _site.client()
_auth = {"Authorization": f"Bearer {create_token(_site.db, 'fuzz', 'supervisor')}"}
_pid = _client.post("/api/v1/people", json={"site": "s1"}, headers=_auth).json()["id"]

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2026-12-01T00:00:00+08:00",
            "0001-01-01T00:00:00+01:00",
            "unknown",
            "statutory_duty",
            "police",
            "in_station",
            "left",
            "fh1",
            "2026-12-01",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)
keys = st.sampled_from(
    [
        *EDITABLE,
        "site",
        "check_id",
        "status",
        "override",
        "reason",
        "item",
        "quantity",
        "released_to",
        "from_date",
        "x",
    ]
)
bodies = st.dictionaries(keys, values, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=bodies,
    route=st.sampled_from(
        [
            ("POST", "/api/v1/people"),
            ("PATCH", "/api/v1/people/{id}"),
            ("POST", "/api/v1/people/{id}/status"),
            ("POST", "/api/v1/people/{id}/belongings"),
            ("POST", "/api/v1/people/{id}/placements"),
            ("POST", "/api/v1/people/{id}/checks"),
            ("POST", "/api/v1/people/{id}/belongings/1/release"),
        ]
    ),
)
def test_no_body_makes_a_server_error(body: dict[str, Any], route: tuple[str, str]) -> None:
    method, path = route
    r = _client.request(method, path.format(id=_pid), json=body, headers=_auth)
    assert r.status_code < 500, (method, path, body, r.text)
