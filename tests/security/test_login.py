"""Login, logout, /me and session lifetime over a real SQLite file, with a fake clock."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from gateway.auth.passwords import hash_password
from gateway.auth.settings import AuthSettings
from gateway.auth.users import set_disabled, set_password
from tests.security.auth_fixtures import FAST, PASSWORDS, AuthSite, make_site


@pytest.fixture
def site(tmp_path: Path) -> AuthSite:
    return make_site(tmp_path)


def test_login_me_logout(site: AuthSite) -> None:
    c = site.client()
    body = site.login(c, "desk")
    assert body["name"] == "desk1" and body["role"] == "desk" and body["lang"] == "zh-CN"
    assert len(body["csrf_token"]) >= 32
    me = c.get("/api/v1/me").json()
    assert me == {
        "name": "desk1",
        "role": "desk",
        "kind": "session",
        "csrf_token": body["csrf_token"],
        "lang": "zh-CN",
        "sites": None,
    }
    # The database holds no session id, only its hash.
    cookie = c.cookies["sk_session"]
    stored = [r[0] for r in site.db.execute("SELECT id_hash FROM sessions")]
    assert cookie not in stored and len(stored) == 1
    r = c.post("/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert r.status_code == 200
    assert "sk_session" not in c.cookies
    # The old cookie value is dead even if someone kept it.
    c.cookies.set("sk_session", cookie)
    assert c.get("/api/v1/me").status_code == 401
    actions = [r[1] for r in site.audit_rows() if r[1] in ("login", "logout")]
    assert actions == ["login", "logout"]


def test_cookie_flags_plain_http(site: AuthSite) -> None:
    r = site.client().post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    header = r.headers["set-cookie"]
    assert header.startswith("sk_session=")
    lowered = header.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "secure" not in lowered.replace("samesite", "")


def test_cookie_secure_over_https(site: AuthSite) -> None:
    c = site.client(base_url="https://testserver")
    r = c.post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    assert "; secure" in r.headers["set-cookie"].lower()


def test_cookie_secure_when_configured(tmp_path: Path) -> None:
    s = make_site(tmp_path, cookie_secure="always")
    r = s.client().post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    assert "; secure" in r.headers["set-cookie"].lower()


def test_unknown_user_and_wrong_password_look_the_same(site: AuthSite) -> None:
    c = site.client()
    wrong = c.post("/auth/login", json={"username": "desk1", "password": "not-the-password"})
    unknown = c.post("/auth/login", json={"username": "nobody", "password": "not-the-password"})
    set_disabled(site.db, "bureau1")
    disabled = c.post("/auth/login", json={"username": "bureau1", "password": PASSWORDS["bureau"]})
    for r in (wrong, unknown, disabled):
        assert r.status_code == 401
        assert r.json() == {"detail": "invalid username or password"}
        assert "set-cookie" not in r.headers
    reasons = [json.loads(r[3])["reason"] for r in site.audit_rows("login_failed")]
    assert reasons == ["bad_password", "unknown_user", "disabled"]


def test_unknown_user_costs_a_hash_like_a_wrong_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown user, wrong password and disabled user each verify exactly one argon2 hash, so
    response time does not reveal who exists. Counted, then timed (interleaved, minimum of
    several: the machine is shared; without the dummy hash the ratio would be ~0.03)."""
    s = make_site(
        tmp_path,
        argon2_time_cost=2,
        argon2_memory_kib=16384,
        argon2_parallelism=1,
        max_failures_user=1000,
        max_failures_ip=1000,
    )
    for name in ("desk1", "bureau1"):  # stored with the same cost as the dummy hash
        s.db.execute(
            "UPDATE users SET password_hash=? WHERE username=?",
            (hash_password(PASSWORDS["desk"], s.settings), name),
        )
    s.db.conn.commit()
    c = s.client()
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str, password: str) -> bool:
        calls.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    set_disabled(s.db, "bureau1")
    for name in ("desk1", "ghost", "bureau1"):
        calls.clear()
        assert (
            c.post("/auth/login", json={"username": name, "password": "x" * 12}).status_code == 401
        )
        assert len(calls) == 1 and calls[0].startswith("$argon2id$v=19$m=16384,t=2,p=1$"), name

    def timed(name: str) -> float:
        t0 = time.perf_counter()
        assert (
            c.post("/auth/login", json={"username": name, "password": "x" * 12}).status_code == 401
        )
        return time.perf_counter() - t0

    known, unknown = [], []
    for i in range(9):
        known.append(timed("desk1"))
        unknown.append(timed(f"ghost{i}"))
    ratio = min(unknown) / min(known)
    assert 0.5 < ratio < 2.0, (known, unknown)


def test_lockout_after_failures_then_unlock(site: AuthSite) -> None:
    c = site.client()
    for _ in range(5):
        r = c.post("/auth/login", json={"username": "desk1", "password": "wrong-password"})
        assert r.status_code == 401
    r = c.post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) == 15 * 60
    assert site.audit_rows("login_lockout") and site.audit_rows("login_refused")
    row = site.db.execute("SELECT locked_until FROM users WHERE username='desk1'").fetchone()
    assert row[0] is not None
    # Another user from the same address is not locked (the address limit is higher).
    assert (
        c.post(
            "/auth/login", json={"username": "admin1", "password": PASSWORDS["admin"]}
        ).status_code
        == 200
    )
    site.clock.advance(minutes=14)
    r = c.post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 60
    site.clock.advance(minutes=1, seconds=1)
    assert (
        c.post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]}).status_code
        == 200
    )
    row = site.db.execute(
        "SELECT failed_attempts, locked_until FROM users WHERE username='desk1'"
    ).fetchone()
    assert row == (0, None)


def test_unknown_usernames_lock_like_known_ones(site: AuthSite) -> None:
    c = site.client()
    codes = [
        c.post("/auth/login", json={"username": "ghost", "password": "x" * 10}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_failures_per_address_lock_the_address(tmp_path: Path) -> None:
    s = make_site(tmp_path, max_failures_ip=8)
    c = s.client()
    for i in range(8):  # spraying: one try per username, never 5 on one name
        assert (
            c.post("/auth/login", json={"username": f"u{i}", "password": "x" * 10}).status_code
            == 401
        )
    r = c.post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_guessing_from_one_host_does_not_lock_the_owner_out_elsewhere(tmp_path: Path) -> None:
    """During an incident a prankster on the LAN must not keep the supervisor out."""
    s = make_site(tmp_path, trusted_proxies=["testclient"], max_failures_user_all=12)
    c = s.client()

    def login(address: str, password: str) -> int:
        body = {"username": "supervisor1", "password": password}
        return c.post("/auth/login", json=body, headers={"X-Forwarded-For": address}).status_code

    assert [login("10.0.0.66", "wrong-password") for _ in range(5)] == [401] * 5
    assert login("10.0.0.66", PASSWORDS["supervisor"]) == 429  # that host is locked out
    assert login("10.0.0.10", PASSWORDS["supervisor"]) == 200  # the supervisor's desk is not
    # a campaign spread over many hosts still locks the username itself
    for host in range(7):
        login(f"10.0.1.{host}", "wrong-password")
    assert login("10.0.0.10", PASSWORDS["supervisor"]) == 429


def test_failures_are_forgotten_after_the_window(site: AuthSite) -> None:
    c = site.client()
    for _ in range(4):
        c.post("/auth/login", json={"username": "desk1", "password": "wrong-password"})
    site.clock.advance(minutes=16)
    for _ in range(4):
        assert (
            c.post(
                "/auth/login", json={"username": "desk1", "password": "wrong-password"}
            ).status_code
            == 401
        )
    assert (
        c.post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]}).status_code
        == 200
    )


def test_idle_timeout(site: AuthSite) -> None:
    c = site.client()
    site.login(c, "supervisor")
    site.clock.advance(minutes=29)
    assert c.get("/api/v1/me").status_code == 200  # activity keeps it alive
    site.clock.advance(minutes=29)
    assert c.get("/api/v1/me").status_code == 200
    site.clock.advance(minutes=30)
    assert c.get("/api/v1/me").status_code == 401
    reason = site.db.execute("SELECT end_reason FROM sessions").fetchone()[0]
    assert reason == "idle"


def test_absolute_timeout(site: AuthSite) -> None:
    c = site.client()
    site.login(c, "supervisor")
    for _ in range(25):  # 12.5 h of steady activity
        site.clock.advance(minutes=29)
        if c.get("/api/v1/me").status_code != 200:
            break
    assert c.get("/api/v1/me").status_code == 401
    assert site.db.execute("SELECT end_reason FROM sessions").fetchone()[0] == "expired"


def test_disabled_user_session_dies(site: AuthSite) -> None:
    c = site.client()
    site.login(c, "desk")
    assert c.get("/api/v1/me").status_code == 200
    set_disabled(site.db, "desk1")
    assert c.get("/api/v1/me").status_code == 401
    set_disabled(site.db, "desk1", False)
    assert c.get("/api/v1/me").status_code == 401  # re-enabling does not revive it


def test_password_change_ends_sessions(site: AuthSite) -> None:
    c1, c2 = site.client(), site.client()
    site.login(c1, "admin")
    site.login(c2, "admin")
    set_password(site.db, "admin1", "a-new-password-99", site.settings)
    assert c1.get("/api/v1/me").status_code == 401
    assert c2.get("/api/v1/me").status_code == 401
    r = c1.post("/auth/login", json={"username": "admin1", "password": "a-new-password-99"})
    assert r.status_code == 200


def test_login_rehashes_when_parameters_change(site: AuthSite) -> None:
    old = site.db.execute("SELECT password_hash FROM users WHERE username='desk1'").fetchone()[0]
    assert "m=1024" in old
    site.app.state.context.auth = AuthSettings(**{**FAST, "argon2_memory_kib": 2048})
    site.login(site.client(), "desk")
    new = site.db.execute("SELECT password_hash FROM users WHERE username='desk1'").fetchone()[0]
    assert new != old and "m=2048" in new
    assert (
        site.client()
        .post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
        .status_code
        == 200
    )


def test_new_login_replaces_presented_session(site: AuthSite) -> None:
    c = site.client()
    site.login(c, "desk")
    first = c.cookies["sk_session"]
    site.login(c, "desk")
    assert c.cookies["sk_session"] != first
    rows = list(site.db.execute("SELECT end_reason FROM sessions ORDER BY created_at"))
    assert sorted(r[0] or "" for r in rows) == ["", "replaced"]


def test_lang_preference(site: AuthSite) -> None:
    c = site.client()
    csrf = site.login(c, "bureau")["csrf_token"]
    r = c.patch("/api/v1/me", json={"lang": "en"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["lang"] == "en"
    assert c.get("/api/v1/me").json()["lang"] == "en"
    assert (
        c.patch("/api/v1/me", json={"lang": "fr"}, headers={"X-CSRF-Token": csrf}).status_code
        == 422
    )


def test_bearer_token_me(site: AuthSite) -> None:
    from gateway.auth.tokens import create_token

    token = create_token(site.db, "ci", "bureau")
    me = site.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["kind"] == "token" and me["role"] == "bureau" and me["csrf_token"] is None


def test_production_hash_parameters() -> None:
    h = hash_password("a-long-password", AuthSettings())
    assert h.startswith("$argon2id$") and "m=65536,t=3,p=4" in h


def test_long_dead_sessions_are_pruned(site: AuthSite) -> None:
    site.login(site.client(), "desk")
    site.clock.advance(hours=12 + 7 * 24, seconds=1)
    site.login(site.client(), "desk")
    assert site.db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


def test_concurrent_failures_are_all_counted(site: AuthSite) -> None:
    """Parallel wrong passwords (the API runs sync routes on a thread pool) cannot slip past
    the counter: every failure is one atomic increment, so the lock still comes."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> int:
        r = site.client().post("/auth/login", json={"username": "desk1", "password": "wrong-pass"})
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(8)))
    assert codes.count(401) + codes.count(429) == 8 and codes.count(401) >= 5
    failed = len(site.audit_rows("login_failed"))
    assert failed == codes.count(401)
    assert len(site.audit_rows("login_lockout")) == failed // 5
    r = site.client().post("/auth/login", json={"username": "desk1", "password": PASSWORDS["desk"]})
    assert r.status_code == 429


def test_password_checks_are_bounded_so_a_burst_cannot_starve_the_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.api.routes import auth as auth_routes

    site = make_site(tmp_path)
    monkeypatch.setattr(auth_routes, "PASSWORD_CHECK_WAIT_S", 0.05)
    client = site.client()
    body = {"username": "desk1", "password": PASSWORDS["desk"]}
    held = [auth_routes.PASSWORD_CHECKS.acquire(timeout=1) for _ in range(2)]
    try:
        assert all(held)  # two checks already running: a third is told to retry
        r = client.post("/auth/login", json=body)
        assert r.status_code == 429
    finally:
        for _ in held:
            auth_routes.PASSWORD_CHECKS.release()
    assert client.post("/auth/login", json=body).status_code == 200
