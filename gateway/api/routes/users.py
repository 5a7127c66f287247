"""Users and API tokens for admins (the dashboard's Users page; `stationkit user` and
`stationkit token` do the same from the shell). Every change is an audit row with who did it
and what changed (never a password or a token); a password is only ever set, never shown;
a new token is shown once. An admin cannot disable their own account (no locking out the
last admin by accident)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.context import context_of
from gateway.api.deps import Db, require
from gateway.api.errors import http_errors
from gateway.auth import tokens as tok
from gateway.auth import users
from gateway.auth.audit import audit
from gateway.auth.passwords import PasswordPolicyError
from gateway.auth.tokens import Principal, Role

router = APIRouter(prefix="/api/v1", tags=["users"])
Admin = Annotated[Principal, require("admin")]
SiteList = list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]]


class UserOut(BaseModel):
    """A dashboard user (never the password hash)."""

    username: str
    role: str = Field(description="desk, supervisor, bureau or admin")
    disabled: bool = Field(description="true: the user cannot log in")
    created_at: str = Field(description="UTC ISO")
    lang: str = Field(description="the dashboard's language: zh-CN or en")
    sites: list[str] | None = Field(description="null: every site")
    locked_until: str | None = Field(description="after too many failed logins: until when, UTC")
    last_login_at: str | None = Field(description="UTC ISO; null: never logged in")


class Users(BaseModel):
    items: list[UserOut]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    role: Role
    password: str = Field(min_length=1, max_length=1024)
    lang: Literal["zh-CN", "en"] = "zh-CN"
    sites: SiteList | None = Field(None, description="null: every site")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


class SitesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: SiteList | None = Field(description="null: every site")


class TokenOut(BaseModel):
    """An API token (its secret is shown once, when it is made, and never again)."""

    name: str
    role: str = Field(description="desk, supervisor, bureau or admin")
    created_at: str = Field(description="UTC ISO")
    expires_at: str | None = Field(description="UTC ISO; null: never expires")
    sites: list[str] | None = Field(description="null: every site")
    state: str = Field(description="active, expired or disabled")
    last_used_at: str | None = Field(description="UTC ISO; null: never used")


class Tokens(BaseModel):
    items: list[TokenOut]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: Role
    sites: SiteList | None = None
    expires_days: int | None = Field(None, ge=1, le=3650, description="null: never expires")


class NewToken(BaseModel):
    name: str
    token: str = Field(description="shown this once; only its hash is kept")


def _out(u: users.User) -> UserOut:
    return UserOut(
        username=u.username,
        role=u.role,
        disabled=u.disabled,
        created_at=u.created_at,
        lang=u.lang,
        sites=list(u.sites) if u.sites is not None else None,
        locked_until=u.locked_until,
        last_login_at=u.last_login_at,
    )


def _invalid(exc: Exception) -> NoReturn:
    raise HTTPException(422, str(exc)) from None


def _user(db: Db, username: str) -> users.User:
    u = users.get_user(db, username)
    if u is None:
        raise HTTPException(404, f"no user {username!r}")
    return u


@router.get("/users", response_model=Users)
def list_users(db: Db, who: Admin) -> Users:
    return Users(items=[_out(u) for u in users.list_users(db)])


@router.post("/users", response_model=UserOut, status_code=201)
def add_user(request: Request, db: Db, who: Admin, body: UserIn) -> UserOut:
    with http_errors(_invalid, users.UserError, PasswordPolicyError):
        u = users.create_user(
            db,
            body.username,
            body.role,
            body.password,
            lang=body.lang,
            sites=body.sites,
            settings=context_of(request).auth,
        )
    audit(db, who.name, "user.add", body.username, {"role": body.role, "sites": body.sites})
    return _out(u)


@router.post("/users/{username}/password", response_model=UserOut)
def reset_password(
    request: Request, db: Db, who: Admin, username: str, body: PasswordIn
) -> UserOut:
    """A new password (their sessions end); tell it to the user by a safe way."""
    _user(db, username)
    with http_errors(_invalid, users.UserError, PasswordPolicyError):
        users.set_password(db, username, body.password, context_of(request).auth)
    audit(db, who.name, "user.password_reset", username, {})
    return _out(_user(db, username))


@router.post("/users/{username}/disable", response_model=UserOut)
def disable_user(db: Db, who: Admin, username: str) -> UserOut:
    """Disabled at once: their sessions end and their live views stop."""
    _user(db, username)
    if username == who.name:
        raise HTTPException(409, "you cannot disable your own account")
    users.set_disabled(db, username, True)
    audit(db, who.name, "user.disable", username, {})
    return _out(_user(db, username))


@router.post("/users/{username}/enable", response_model=UserOut)
def enable_user(db: Db, who: Admin, username: str) -> UserOut:
    _user(db, username)
    users.set_disabled(db, username, False)
    audit(db, who.name, "user.enable", username, {})
    return _out(_user(db, username))


@router.put("/users/{username}/sites", response_model=UserOut)
def set_user_sites(db: Db, who: Admin, username: str, body: SitesIn) -> UserOut:
    _user(db, username)
    with http_errors(_invalid, users.UserError):
        users.set_sites(db, username, body.sites)
    audit(db, who.name, "user.sites", username, {"sites": body.sites})
    return _out(_user(db, username))


@router.get("/tokens", response_model=Tokens)
def list_tokens(db: Db, who: Admin) -> Tokens:
    now = datetime.now(UTC)
    return Tokens(
        items=[
            TokenOut(
                name=t.name,
                role=t.role,
                created_at=t.created_at,
                expires_at=t.expires_at,
                sites=list(t.sites) if t.sites is not None else None,
                state=t.state(now),
                last_used_at=t.last_used_at,
            )
            for t in tok.list_tokens(db)
        ]
    )


@router.post("/tokens", response_model=NewToken, status_code=201)
def add_token(db: Db, who: Admin, body: TokenIn) -> NewToken:
    """A new token (a token with that name is replaced); the answer is the only time it is
    shown."""
    expires = datetime.now(UTC) + timedelta(days=body.expires_days) if body.expires_days else None
    with http_errors(_invalid, tok.TokenError):
        token = tok.create_token(db, body.name, body.role, expires_at=expires, sites=body.sites)
    audit(
        db,
        who.name,
        "token.create",
        body.name,
        {"role": body.role, "sites": body.sites, "expires_days": body.expires_days},
    )
    return NewToken(name=body.name, token=token)


@router.post("/tokens/{name}/disable", response_model=TokenOut)
def disable_token(db: Db, who: Admin, name: str) -> TokenOut:
    if name == who.name and who.kind == "token":
        raise HTTPException(409, "you cannot disable the token you are using")
    try:
        tok.set_token_disabled(db, name, True)
    except tok.TokenError as exc:
        raise HTTPException(404, str(exc)) from None
    audit(db, who.name, "token.disable", name, {})
    return next(t for t in list_tokens(db, who).items if t.name == name)
