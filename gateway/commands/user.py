"""`stationkit user add|disable|enable|passwd|list`: dashboard users (argon2 password hashes).

Passwords come from stdin (`--password-stdin`, first line) or, at a terminal, from a hidden
prompt asked twice; never from the command line, which every local user can read."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.auth.audit import audit
from gateway.auth.passwords import PasswordPolicyError, check_policy
from gateway.auth.tokens import ROLES
from gateway.auth.users import LANGS, UserError, create_user, list_users, set_disabled, set_password
from gateway.store.db import open_store


def _db_path(args: argparse.Namespace) -> Path:
    path = args.db or os.environ.get("STATIONKIT_DB")
    if not path:
        raise UserError("give --db or set STATIONKIT_DB")
    return Path(path)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        return password.removesuffix("\r")
    if not sys.stdin.isatty():
        raise UserError("stdin is not a terminal: use --password-stdin")
    first = getpass.getpass(f"password for {args.name}: ")
    check_policy(args.name, first)
    if getpass.getpass("again: ") != first:
        raise UserError("the passwords differ")
    return first


def _run(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (UserError, PasswordPolicyError) as exc:
            print(f"stationkit user: {exc}", file=sys.stderr)
            return 2

    return wrapper


def _audit(db: Any, action: str, username: str, detail: dict[str, Any] | None = None) -> None:
    """User changes made on the command line are in the audit trail too, with the operating
    system account that made them (`cli:<login>`)."""
    audit(db, f"cli:{getpass.getuser()}", action, f"user:{username}", detail)


def add(args: argparse.Namespace) -> int:
    password = _password(args)
    sites = [s for s in args.sites.split(",") if s] if args.sites else None
    db = open_store(_db_path(args))
    user = create_user(db, args.name, args.role, password, lang=args.lang, sites=sites)
    _audit(db, "user_add", user.username, {"role": user.role, "sites": sites})
    print(f"user {user.username} ({user.role}) created")
    return 0


def passwd(args: argparse.Namespace) -> int:
    db = open_store(_db_path(args))
    password = _password(args)
    set_password(db, args.name, password)
    _audit(db, "user_passwd", args.name)
    print(f"password of {args.name} changed; their sessions are ended")
    return 0


def _switch(args: argparse.Namespace, disabled: bool) -> int:
    db = open_store(_db_path(args))
    set_disabled(db, args.name, disabled)
    _audit(db, "user_disable" if disabled else "user_enable", args.name)
    print(f"user {args.name} " + ("disabled; their sessions are ended" if disabled else "enabled"))
    return 0


def disable(args: argparse.Namespace) -> int:
    return _switch(args, True)


def enable(args: argparse.Namespace) -> int:
    return _switch(args, False)


def list_(args: argparse.Namespace) -> int:
    db = open_store(_db_path(args))
    print(f"{'username':<20} {'role':<11} {'state':<9} {'lang':<6} {'sites':<16} last login")
    for u in list_users(db):
        state = "disabled" if u.disabled else "locked" if u.locked_until else "active"
        sites = ",".join(u.sites) if u.sites is not None else "*"
        print(
            f"{u.username:<20} {u.role:<11} {state:<9} {u.lang:<6} {sites:<16} "
            f"{u.last_login_at or '-'}"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("user", help="dashboard users (log in with username and password)")
    usub = p.add_subparsers(dest="user_command", required=True)

    def command(
        name: str, help: str, func: Callable[[argparse.Namespace], int], *, user: bool = True
    ) -> argparse.ArgumentParser:
        q = usub.add_parser(name, help=help)
        if user:
            q.add_argument("name")
        q.add_argument("--db", help="gateway SQLite file (env STATIONKIT_DB)")
        q.set_defaults(func=_run(func))
        return q

    a = command("add", "create a user", add)
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--lang", default="zh-CN", choices=LANGS, help="dashboard language")
    a.add_argument("--sites", help="comma-separated sites the user may see (default: all)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    command("disable", "disable a user and end their sessions", disable)
    command("enable", "enable a disabled user", enable)
    w = command("passwd", "set a user's password and end their sessions", passwd)
    w.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    command("list", "list users", list_, user=False)
