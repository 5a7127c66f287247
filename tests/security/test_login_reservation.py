"""Concurrent login guesses cannot outrun the lock (issue 13, finding 7: 40 concurrent
guesses got 18 password checks against a limit of 5, because the lock was checked before the
hash and the failure counted after it)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.api.routes import auth as auth_routes
from tests.security.auth_fixtures import PASSWORDS, make_site


def test_40_concurrent_guesses_get_at_most_the_limit_of_password_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path)
    checks = 0
    lock = threading.Lock()
    real = auth_routes.verify_password

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal checks
        with lock:
            checks += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(auth_routes, "verify_password", counted)
    monkeypatch.setattr(auth_routes, "PASSWORD_CHECK_WAIT_S", 30.0)

    def guess(i: int) -> int:
        body = {"username": "desk1", "password": f"guess-{i}"}
        return site.client().post("/auth/login", json=body).status_code

    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(guess, range(40)))
    print(f"40 concurrent guesses: {checks} password checks, {codes.count(429)} refused")
    assert checks <= site.settings.max_failures_user, f"{checks} password checks"
    assert codes.count(401) == checks and codes.count(429) == 40 - checks
    # locked now, even with the right password
    right = {"username": "desk1", "password": PASSWORDS["desk"]}
    assert site.client().post("/auth/login", json=right).status_code == 429


def test_a_success_gives_its_reserved_attempt_back(tmp_path: Path) -> None:
    site = make_site(tmp_path, max_failures_ip=3)
    c = site.client()
    for _ in range(5):  # more good logins from one address than its failure limit
        r = c.post("/auth/login", json={"username": "admin1", "password": PASSWORDS["admin"]})
        assert r.status_code == 200
    r = c.post("/auth/login", json={"username": "admin1", "password": "wrong-one"})
    assert r.status_code == 401
