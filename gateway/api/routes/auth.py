"""Dashboard login: POST /auth/login, POST /auth/logout, GET/PATCH /api/v1/me.

Login answers the same (401, same text, one argon2 verification) for an unknown user, a wrong
password and a disabled user. Failures are counted per username and per client address; past
the limit the key is locked (429 with Retry-After). Every success, failure, lock and logout is
written to the audit trail."""

from __future__ import annotations

import threading
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.caller import authenticate, client_address, is_https
from gateway.api.context import context_of
from gateway.api.deps import Caller, Db
from gateway.auth import throttle
from gateway.auth.audit import audit
from gateway.auth.passwords import hash_password, needs_rehash, verify_password
from gateway.auth.sessions import COOKIE, create_session, end_session
from gateway.auth.tokens import Principal, Role
from gateway.auth.users import LANGS, Lang, UserError, get_user, set_lang
from gateway.store.times import iso

router = APIRouter(tags=["auth"])

BAD_CREDENTIALS = "invalid username or password"
# argon2 costs 64 MiB and a core per check: a burst of logins must not starve ingest and
# alerting, nor outrun the lockout; at most this many checks run at once, the rest wait briefly
# and are then told to retry (429).
PASSWORD_CHECKS = threading.BoundedSemaphore(2)
PASSWORD_CHECK_WAIT_S = 2.0


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    name: str
    role: str
    csrf_token: str = Field(description="send as X-CSRF-Token on POST/PUT/PATCH/DELETE")
    lang: str


class LogoutOut(BaseModel):
    status: Literal["logged_out"]


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: str = Field(description="zh-CN or en")


class MeOut(BaseModel):
    """Who is calling: a dashboard user (session) or an API token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the username, or the token's name")
    role: Role = Field(description="what the caller may do")
    kind: Literal["token", "session"] = Field(
        description="token: an API bearer token; session: a dashboard login"
    )
    csrf_token: str | None = Field(
        description="send as X-CSRF-Token on POST/PUT/PATCH/DELETE (sessions; null for tokens)"
    )
    lang: Lang = Field(description="the dashboard language")
    sites: list[str] | None = Field(description="the sites the caller may see; null = every site")


def _locked(retry: int) -> JSONResponse:
    return JSONResponse(
        {"detail": "too many failed logins; try again later", "retry_after": retry},
        status_code=429,
        headers={"Retry-After": str(retry)},
    )


@router.post(
    "/auth/login",
    responses={200: {"model": LoginOut, "description": "logged in; the sk_session cookie set"}},
)
def login(body: LoginRequest, request: Request, db: Db) -> Response:
    """Log in with username and password: sets the `sk_session` cookie and returns the CSRF
    token to send as `X-CSRF-Token` on POST/PUT/PATCH/DELETE."""
    settings = context_of(request).auth
    now = context_of(request).now()
    address = client_address(request)
    # A username is locked per address (five wrong guesses from one host must not lock its
    # owner out everywhere during an incident), and for all addresses only after many more.
    user_key, ip_key = f"user:{body.username}@{address}", f"ip:{address}"
    all_key = f"user:{body.username}"
    target = "/auth/login"

    wait = throttle.retry_after(db, [user_key, ip_key, all_key], now)
    if wait is not None:
        audit(
            db,
            body.username,
            "login_refused",
            target,
            {"address": address, "retry_after": wait},
            now,
        )
        return _locked(wait)

    limits = [
        (user_key, settings.max_failures_user),
        (ip_key, settings.max_failures_ip),
        (all_key, settings.max_failures_user_all),
    ]
    counts = throttle.reserve(db, limits, now, settings)
    if counts is None:  # other attempts in flight already use up the limit
        audit(
            db,
            body.username,
            "login_refused",
            target,
            {"address": address, "reason": "attempts in flight"},
            now,
        )
        return _locked(1)

    def give_back() -> None:
        for key, _limit in limits:
            throttle.release(db, key)

    user = get_user(db, body.username)
    if not PASSWORD_CHECKS.acquire(timeout=PASSWORD_CHECK_WAIT_S):
        give_back()  # never checked: not a failure
        return _locked(1)
    try:
        ok = verify_password(user.password_hash if user else None, body.password, settings)
    finally:
        PASSWORD_CHECKS.release()
    if user is None or user.disabled or not ok:
        reason = "unknown_user" if user is None else "disabled" if user.disabled else "bad_password"
        audit(
            db, body.username, "login_failed", target, {"address": address, "reason": reason}, now
        )
        for key, limit in limits:
            failures = counts[key]
            locked_until = throttle.lock(db, key, now, settings) if failures >= limit else None
            if key == user_key and user is not None:
                with db.atomic():
                    db.execute(
                        "UPDATE users SET failed_attempts=?, locked_until=? WHERE username=?",
                        (failures, locked_until, user.username),
                    )
            if locked_until:
                audit(
                    db,
                    body.username,
                    "login_lockout",
                    target,
                    {"address": address, "key": key.partition(":")[0], "until": locked_until},
                    now,
                )
        raise HTTPException(401, BAD_CREDENTIALS)

    give_back()
    throttle.reset(db, user_key)
    old = request.cookies.get(COOKIE)
    if old:
        end_session(db, old, now, "replaced")
    rehashed = (
        hash_password(body.password, settings)  # slow by design: before the write lock
        if needs_rehash(user.password_hash, settings)
        else None
    )
    with db.atomic():
        db.execute(
            "UPDATE users SET failed_attempts=0, locked_until=NULL, last_login_at=? "
            "WHERE username=?",
            (iso(now), user.username),
        )
        if rehashed is not None:
            db.execute(
                "UPDATE users SET password_hash=? WHERE username=?", (rehashed, user.username)
            )
    session_id, csrf = create_session(
        db,
        user.username,
        now,
        settings,
        address=address,
        user_agent=request.headers.get("user-agent"),
    )
    audit(db, user.username, "login", target, {"address": address}, now)
    response = JSONResponse(
        {"name": user.username, "role": user.role, "csrf_token": csrf, "lang": user.lang}
    )
    secure = settings.cookie_secure == "always" or (
        settings.cookie_secure == "auto" and is_https(request)
    )
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(settings.session_absolute_hours * 3600),
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post(
    "/auth/logout", responses={200: {"model": LogoutOut, "description": "the cookie cleared"}}
)
def logout(request: Request, db: Db) -> Response:
    """End this browser's session (needs X-CSRF-Token while the session is live) and clear the
    cookie. Without a live session it only clears the cookie."""
    response = JSONResponse({"status": "logged_out"})
    session_id = request.cookies.get(COOKIE)
    if session_id:
        try:
            principal = authenticate(request, db, "POST")
        except HTTPException as exc:
            if exc.status_code == 403:
                raise
            principal = None
        if principal is not None and principal.kind == "session":
            now = context_of(request).now()
            end_session(db, session_id, now, "logout")
            audit(
                db,
                principal.name,
                "logout",
                "/auth/logout",
                {"address": client_address(request)},
                now,
            )
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _me(principal: Principal, lang: str | None = None) -> MeOut:
    return MeOut.model_validate(
        {
            "name": principal.name,
            "role": principal.role,
            "kind": principal.kind,
            "csrf_token": principal.csrf_token,
            "lang": lang or principal.lang,
            "sites": list(principal.sites) if principal.sites is not None else None,
        }
    )


@router.get("/api/v1/me")
def me(who: Caller) -> MeOut:
    """Who am I: name, role, kind (token|session), csrf_token (sessions), lang, sites."""
    return _me(who)


@router.patch("/api/v1/me")
def update_me(body: MeUpdate, who: Caller, db: Db) -> MeOut:
    """Change the logged-in user's language (zh-CN or en)."""
    if who.kind != "session":
        raise HTTPException(409, "only dashboard users have a language setting")
    if body.lang not in LANGS:
        raise HTTPException(422, f"lang must be one of {', '.join(LANGS)}")
    try:
        set_lang(db, who.name, body.lang)
    except UserError as exc:
        raise HTTPException(422, str(exc)) from None
    return _me(who, lang=body.lang)
