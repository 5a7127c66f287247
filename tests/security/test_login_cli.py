"""`stationkit user …` through the real CLI entry point, then logging in over HTTP."""

from __future__ import annotations

import getpass
import io
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from firmware_py.cli import main
from gateway.api.app import create_app
from gateway.store.db import open_store

pytestmark = pytest.mark.slow  # runs the `stationkit user` command as processes


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "gw.db")


@pytest.fixture
def user(monkeypatch: pytest.MonkeyPatch, db: str) -> Callable[..., int]:
    """`stationkit user <args> --db <db>` in this process (`stdin`: its input); its status."""

    def run(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main(["user", *args, "--db", db])

    return run


def login(db_path: Path, name: str, password: str) -> int:
    client = TestClient(create_app(db_path))
    return client.post("/auth/login", json={"username": name, "password": password}).status_code


def test_add_passwd_disable_list(
    user: Callable[..., int], db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["add", "王芳", "--role", "supervisor", "--password-stdin"]
    assert user(*add, stdin="first-password-1\n") == 0
    row = open_store(db).execute("SELECT role, password_hash, lang FROM users").fetchone()
    assert row[0] == "supervisor" and row[1].startswith("$argon2id$") and row[2] == "zh-CN"
    assert "first-password-1" not in row[1]
    assert login(Path(db), "王芳", "first-password-1") == 200

    # a session opened before the password change dies with it
    client = TestClient(create_app(Path(db)))
    r = client.post("/auth/login", json={"username": "王芳", "password": "first-password-1"})
    assert r.status_code == 200
    assert user("passwd", "王芳", "--password-stdin", stdin="second-password-2\n") == 0
    assert client.get("/api/v1/me").status_code == 401
    assert login(Path(db), "王芳", "first-password-1") == 401
    assert login(Path(db), "王芳", "second-password-2") == 200

    capsys.readouterr()
    assert user("list") == 0
    out = capsys.readouterr().out
    assert "王芳" in out and "supervisor" in out and "active" in out

    assert user("disable", "王芳") == 0
    assert login(Path(db), "王芳", "second-password-2") == 401
    assert user("list") == 0
    assert "disabled" in capsys.readouterr().out
    assert user("enable", "王芳") == 0
    assert login(Path(db), "王芳", "second-password-2") == 200
    # every change made on the command line is in the audit trail, with the OS account
    rows = sqlite3.connect(db).execute(
        "SELECT actor, action, target FROM audit WHERE action LIKE 'user_%' ORDER BY id"
    )
    assert [(a, t) for _, a, t in rows] == [
        ("user_add", "user:王芳"),
        ("user_passwd", "user:王芳"),
        ("user_disable", "user:王芳"),
        ("user_enable", "user:王芳"),
    ]
    actors = {r[0] for r in sqlite3.connect(db).execute("SELECT actor FROM audit")}
    assert f"cli:{getpass.getuser()}" in actors


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("desk1", "short", "at least 10"),
        ("longusername", "LongUserName", "not be the username"),
    ],
)
def test_password_policy(
    user: Callable[..., int],
    db: str,
    capsys: pytest.CaptureFixture[str],
    name: str,
    password: str,
    message: str,
) -> None:
    assert user("add", name, "--role", "desk", "--password-stdin", stdin=password + "\n") == 2
    assert message in capsys.readouterr().err
    assert open_store(db).execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_errors(user: Callable[..., int], capsys: pytest.CaptureFixture[str]) -> None:
    add = ["add", "desk1", "--role", "desk", "--password-stdin"]
    assert user(*add, stdin="a-good-password\n") == 0
    assert user(*add, stdin="a-good-password\n") == 2
    assert "exists" in capsys.readouterr().err
    assert user("disable", "ghost") == 2
    assert "no user" in capsys.readouterr().err
    # without --password-stdin and without a terminal: refuse instead of hanging
    assert user("passwd", "desk1") == 2
    assert "--password-stdin" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        user("add", "x", "--role", "root")


def test_subprocess_with_env_db(tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    env = {"STATIONKIT_DB": str(db), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "firmware_py.cli",
            "user",
            "add",
            "ops",
            "--role",
            "admin",
            "--lang",
            "en",
            "--password-stdin",
        ],
        input="ops-password-123\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert r.returncode == 0, r.stderr
    assert "ops-password-123" not in r.stdout + r.stderr
    assert login(db, "ops", "ops-password-123") == 200


def test_interactive_prompt_asks_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    db = str(tmp_path / "gw.db")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["prompted-password-1", "prompted-password-1", "prompted-password-1", "typo"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", Tty())
    assert main(["user", "add", "li", "--role", "bureau", "--db", db]) == 0
    assert login(Path(db), "li", "prompted-password-1") == 200
    assert main(["user", "passwd", "li", "--db", db]) == 2  # second answer differs
    assert "differ" in capsys.readouterr().err
    assert login(Path(db), "li", "prompted-password-1") == 200
