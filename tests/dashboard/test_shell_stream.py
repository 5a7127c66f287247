"""GET /api/v1/stream (Server-Sent Events): authentication, what each role gets, keep-alives,
and the fan-out's guarantees (a slow subscriber loses the oldest updates and is told to
resync; closing ends every stream)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from gateway.api.context import KEEPALIVE_S
from gateway.auth.users import create_user
from gateway.store.db import connect
from gateway.updates import Updates
from tests.dashboard.conftest import Stack

MARK = {"kind": "check", "id": "mark"}
PASSWORD = "correct horse battery 42"


@contextmanager
def sse(stack: Stack, token: str | None) -> Iterator[Iterator[tuple[str, Any]]]:
    """The stream as (event, data) pairs, comments as ("comment", text)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with (
        httpx.Client(base_url=stack.base, timeout=5) as c,
        c.stream("GET", "/api/v1/stream", headers=headers) as r,
    ):
        if r.status_code != 200:
            r.read()
            raise httpx.HTTPStatusError("stream refused", request=r.request, response=r)
        assert r.headers["content-type"].startswith("text/event-stream")

        def messages() -> Iterator[tuple[str, Any]]:
            event, data = "message", []
            for line in r.iter_lines():
                if line.startswith(":"):
                    yield "comment", line[1:].strip()
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    yield event, json.loads("\n".join(data))
                    event, data = "message", []

        yield messages()


def test_the_stream_needs_a_login(stack: Stack) -> None:
    for token in (None, "sk_not_a_token"):
        with pytest.raises(httpx.HTTPStatusError) as err, sse(stack, token):
            pass
        assert err.value.response.status_code == 401


ALL = [
    ("event", {"kind": "gate", "id": "g1"}),
    ("event", {"kind": "motion", "id": "m1"}),
    ("event", {"kind": "tamper", "id": "t1"}),
    ("event", {"kind": "fault", "id": "f1"}),
    ("event", {"kind": "manual", "id": "x1"}),  # a staff report: names, injuries, deaths
    ("node", {"site": "s", "node": "n", "state": "offline", "reason": "x"}),
    ("alert", {"id": 1, "rule": "check_fever"}),
    ("incident", {"id": 7, "category": "missing_person"}),
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("desk", ["g1", "f1", "node", "alert"]),
        ("bureau", ["f1", "node", "alert", "incident"]),
        ("supervisor", ["g1", "m1", "t1", "f1", "x1", "node", "alert", "incident"]),
        ("admin", ["g1", "m1", "t1", "f1", "x1", "node", "alert", "incident"]),
    ],
)
def test_each_role_gets_what_it_may_read(stack: Stack, role: str, expected: list[str]) -> None:
    # the marker is an intake event: bureau gets no events at all, so send an alert instead
    mark = ("alert", {"id": "mark"}) if role == "bureau" else ("event", MARK)
    with sse(stack, stack.token(role, f"sse-{role}")) as msgs:
        topic, hello = next(msgs)
        assert topic == "hello" and hello == {"name": f"sse-{role}", "role": role}
        for topic, data in [*ALL, mark]:
            stack.gw.updates.publish(topic, data)
        got = []
        for topic, data in msgs:
            if data == mark[1]:
                break
            if topic != "comment":
                got.append(data.get("id") if topic == "event" else topic)
    assert got == expected


@pytest.fixture
def quick_keepalive(stack: Stack) -> Iterator[Stack]:
    """The stack with a keep-alive comment every 0.2 s of quiet, for one test."""
    stack.gw.app.state.context.stream_keepalive_s = 0.2
    try:
        yield stack
    finally:
        stack.gw.app.state.context.stream_keepalive_s = KEEPALIVE_S


def test_quiet_streams_get_keep_alive_comments(quick_keepalive: Stack) -> None:
    stack = quick_keepalive
    with sse(stack, stack.token("desk", "sse-ka")) as msgs:
        assert next(msgs)[0] == "hello"
        assert next(msgs) == ("comment", "keep-alive")
        assert next(msgs) == ("comment", "keep-alive")


def test_the_stream_ends_when_its_access_is_withdrawn(quick_keepalive: Stack) -> None:
    stack = quick_keepalive
    with sse(stack, stack.token("supervisor", "sse-revoked")) as msgs:
        assert next(msgs)[0] == "hello"
        assert next(msgs) == ("comment", "keep-alive")
        db = connect(stack.gw.settings.db)
        with db.atomic():
            db.execute("UPDATE api_tokens SET disabled=1 WHERE name='sse-revoked'")
        db.conn.close()
        rest = [m for m in msgs if m[0] != "comment"]
    assert rest == [("ended", {"reason": "logged out or access changed"})]


def _run(coro: Any) -> Any:
    """asyncio.run on a thread of its own: Playwright's sync API keeps a loop on this one."""
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(asyncio.run(coro)))
    t.start()
    t.join(10)
    assert out, "coroutine did not finish"
    return out[0]


def test_a_slow_subscriber_loses_the_oldest_and_is_told() -> None:
    async def run() -> tuple[list[int], int, int]:
        updates = Updates(queue_size=3)
        sub = updates.listen()
        for i in range(5):
            updates.publish("event", {"i": i})
        await asyncio.sleep(0.01)  # publish hands over through the loop
        got = []
        while (item := await sub.get(timeout=0.05)) is not None:
            got.append(item["data"]["i"])
        dropped = sub.take_dropped()
        updates.unlisten(sub)
        return got, dropped, updates.subscribers

    got, dropped, subscribers = _run(run())
    assert got == [2, 3, 4] and dropped == 2 and subscribers == 0


def test_close_ends_every_subscription() -> None:
    async def run() -> list[Any]:
        updates = Updates()
        seen: list[Any] = []

        async def consume() -> None:
            async for item in updates.subscribe():
                seen.append(item["data"])

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.01)
        updates.publish("node", {"n": 1})
        updates.close()
        await asyncio.wait_for(task, 2)
        return seen

    assert _run(run()) == [{"n": 1}]


def test_a_site_scoped_user_gets_only_their_sites_updates(stack: Stack) -> None:
    db = connect(stack.db_path)
    try:
        create_user(db, "sse-scoped", "supervisor", PASSWORD, sites=["s1"])
    finally:
        db.conn.close()
    with httpx.Client(base_url=stack.base, timeout=5) as c:
        r = c.post("/auth/login", json={"username": "sse-scoped", "password": PASSWORD})
        assert r.status_code == 200
        got = []
        with c.stream("GET", "/api/v1/stream") as s:
            lines = s.iter_lines()
            assert next(lines) == "retry: 3000"
            for topic, data in [
                ("event", {"kind": "gate", "id": "a", "site": "s2"}),
                ("node", {"site": "s2", "node": "n", "state": "online", "reason": ""}),
                ("event", {"kind": "gate", "id": "b", "site": "s1"}),
                ("alert", {"id": 3, "site": None}),
                ("event", {"kind": "gate", "id": "mark", "site": "s1"}),
            ]:
                stack.gw.updates.publish(topic, data)
            for line in lines:
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                    if data.get("id") == "mark":
                        break
                    got.append(data.get("id", data.get("site")))
    # the hello message has no id or site: None; then only s1 and site-less updates
    assert got == [None, "b", 3]
