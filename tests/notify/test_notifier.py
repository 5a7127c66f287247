"""The notification outbox against real receivers: an HTTP webhook server that fails first and
recovers, aiosmtpd with STARTTLS + AUTH, a real Mosquitto; real SQLite files throughout."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlite_utils

from gateway.notify import Attempt, Notification, Notifier, NotifyConfig
from gateway.notify.channels import verify
from gateway.store.db import open_store
from tests.notify.support import FakeClock, SmtpServer, WebhookReceiver, alert_dict
from tests.support.mosquitto import Broker
from tests.support.net import free_port, wait_for

KEY = "whsec-test-key"


def config(url: str, **over: Any) -> NotifyConfig:
    raw: dict[str, Any] = {
        "webhooks": [{"name": "bureau", "url": url, "secret": KEY, "timeout_s": 2}],
        "mqtt": {"enabled": False},
        "levels": {"bureau_duty": ["bureau"]},
        "retry": {"base_s": 2, "max_s": 300, "attempts_before_fallback": 100},
    }
    raw.update(over)
    return NotifyConfig.model_validate(raw)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    store = open_store(tmp_path / "gw.db")
    yield store
    store.conn.close()


def enqueue(notifier: Notifier, db: sqlite_utils.Database, **kw: Any) -> Notification:
    n = Notification(event=kw.pop("event", "raised"), level="bureau_duty", alert=alert_dict(), **kw)
    with db.atomic():  # the caller's transaction (the lead stores the alert change in it)
        notifier.enqueue(db, n)
    return n


def rows(db: sqlite_utils.Database, sql: str, *args: Any) -> list[dict[str, Any]]:
    cur = db.execute(sql, args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def test_enqueue_commits_and_rolls_back_with_the_callers_transaction(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    smtp = {"host": "127.0.0.1", "starttls": False, "from": "gw@s1.example"}
    smtp["to"] = {"bureau_duty": ["a@bureau.example", "b@bureau.example"]}
    cfg = config(
        "http://127.0.0.1:9/hook",
        smtp=smtp,
        mqtt={"enabled": True},
        levels={"bureau_duty": ["bureau", "email", "mqtt"]},
    )
    notifier = Notifier(cfg, tmp_path / "gw.db")
    n = Notification(event="raised", level="bureau_duty", alert=alert_dict())
    with pytest.raises(RuntimeError), db.atomic():
        notifier.enqueue(db, n)
        raise RuntimeError("the alert change failed to store")
    assert rows(db, "SELECT * FROM notify_outbox") == []

    with db.atomic():
        ids = notifier.enqueue(db, n)
    stored = rows(db, "SELECT * FROM notify_outbox ORDER BY seq")
    assert [r["id"] for r in stored] == ids
    assert [(r["kind"], r["target"]) for r in stored] == [
        ("webhook", "http://127.0.0.1:9/hook"),
        ("email", "a@bureau.example"),
        ("email", "b@bureau.example"),
        ("mqtt", "stationkit/v1/s1/gateway/alert"),
    ]
    assert {r["notification_id"] for r in stored} == {n.id}
    assert {r["state"] for r in stored} == {"pending"}
    assert [r["seq"] for r in stored] == [1, 2, 3, 4]


def test_webhook_retries_with_exponential_backoff_signed_and_every_attempt_logged(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    receiver = WebhookReceiver(fail_first=3).start()
    clock = FakeClock()
    try:
        notifier = Notifier(config(receiver.url), tmp_path / "gw.db", clock=clock)
        n = enqueue(notifier, db)
        t0 = clock.now
        schedule = [(0, 1), (1.9, 0), (2, 1), (5.9, 0), (6, 1), (13.9, 0), (14, 1), (100, 0)]
        for offset, attempts in schedule:  # backoff 2 s, 4 s, 8 s after failures 1, 2, 3
            clock.now = t0
            assert notifier.deliver_due(clock.advance(offset)) == attempts, offset
        notifier.stop()
    finally:
        receiver.stop()

    assert [r.status for r in receiver.requests] == [500, 500, 500, 200]
    (outbox,) = rows(db, "SELECT * FROM notify_outbox")
    assert outbox["state"] == "delivered" and outbox["attempts"] == 4
    for number, req in enumerate(receiver.requests, start=1):
        assert verify(KEY.encode(), req.body, req.headers["X-StationKit-Signature"])
        assert not verify(b"another key", req.body, req.headers["X-StationKit-Signature"])
        assert req.headers["Idempotency-Key"] == outbox["id"]  # the same on every retry
        assert req.headers["X-StationKit-Attempt"] == str(number)
        doc = json.loads(req.body)
        assert doc["delivery_id"] == outbox["id"] and doc["attempt"] == number
        assert doc["alert"]["id"] == n.alert_id and doc["event"] == "raised"
        assert doc["sent_at"].startswith("2026-11-23T08:00:")
        assert int(req.headers["X-StationKit-Timestamp"]) == int(
            __import__("datetime").datetime.fromisoformat(doc["sent_at"]).timestamp()
        )
    log = rows(db, "SELECT * FROM notify_deliveries ORDER BY id")
    assert [(d["attempt"], d["ok"], d["status"]) for d in log] == [
        (1, 0, "500"),
        (2, 0, "500"),
        (3, 0, "500"),
        (4, 1, "200"),
    ]
    assert [d["at"][11:19] for d in log] == ["08:00:00", "08:00:02", "08:00:06", "08:00:14"]
    assert log[0]["error"] == "HTTP 500" and log[-1]["reply"] == '{"ok":true}'
    assert all(d["latency_ms"] > 0 for d in log)
    assert log[-1]["since_enqueue_ms"] == 14_000


def test_refused_connection_is_an_attempt_and_gives_up_after_max_attempts(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens
    cfg = config(url, retry={"base_s": 1, "max_s": 2, "max_attempts": 3})
    clock = FakeClock()
    notifier = Notifier(cfg, tmp_path / "gw.db", clock=clock)
    enqueue(notifier, db)
    made = [notifier.deliver_due(clock.advance(s)) for s in (0, 1, 2, 2, 60)]
    assert made == [1, 1, 1, 0, 0]
    log = rows(db, "SELECT * FROM notify_deliveries")
    assert all(d["ok"] == 0 and "ConnectError" in d["error"] for d in log)
    (outbox,) = rows(db, "SELECT state, attempts, last_error FROM notify_outbox")
    assert outbox["state"] == "failed" and outbox["attempts"] == 3
    notifier.stop()


def test_a_notifier_restart_midway_loses_nothing(db: sqlite_utils.Database, tmp_path: Path) -> None:
    receiver = WebhookReceiver(fail_first=10**9).start()  # down until told otherwise
    cfg = config(receiver.url, retry={"base_s": 0.02, "max_s": 0.1})
    try:
        first = Notifier(cfg, tmp_path / "gw.db")
        first.start()
        before = [enqueue(first, db) for _ in range(5)]
        wait_for(lambda: len(receiver.requests) >= 15, 10, "retries against the failing hook")
        first.stop()  # the gateway stops while the bureau's endpoint is still down
        assert {r["state"] for r in rows(db, "SELECT state FROM notify_outbox")} == {"pending"}

        # while no Notifier runs, three more alerts are stored; then the endpoint recovers
        offline = Notifier(cfg, tmp_path / "gw.db")
        during = [enqueue(offline, db) for _ in range(3)]
        receiver.fail_first = len(receiver.requests)
        second = Notifier(cfg, tmp_path / "gw.db")
        second.start()
        wait_for(lambda: len(receiver.ok()) >= 8, 10, "all 8 delivered after the restart")
        second.stop()
    finally:
        receiver.stop()

    outbox = rows(db, "SELECT id, notification_id, state FROM notify_outbox")
    assert {r["state"] for r in outbox} == {"delivered"}
    assert {r["notification_id"] for r in outbox} == {n.id for n in before + during}
    delivered_keys = [r.headers["Idempotency-Key"] for r in receiver.ok()]
    assert sorted(delivered_keys) == sorted(r["id"] for r in outbox)  # each exactly once
    attempts = rows(db, "SELECT ok FROM notify_deliveries")
    assert len(attempts) == len(receiver.requests)  # every attempt is on record
    assert sum(a["ok"] for a in attempts) == 8


def test_delivery_thread_wakes_on_enqueue_without_polling_delay(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """Enqueue -> receiver's 200, measured at the receiver (and by the measurement hook)."""
    receiver = WebhookReceiver().start()
    notifier = Notifier(config(receiver.url), tmp_path / "gw.db")
    hooked: list[Attempt] = []
    notifier.add_listener(hooked.append)
    notifier.start()
    enqueued_at: dict[str, float] = {}
    try:
        for _ in range(100):
            n = Notification(event="raised", level="bureau_duty", alert=alert_dict())
            with db.atomic():
                notifier.enqueue(db, n)
            enqueued_at[n.id] = time.monotonic()  # after the commit, as in the alert flow
            time.sleep(0.005)
        wait_for(lambda: len(receiver.ok()) == 100, 10, "100 webhooks")
    finally:
        notifier.stop()
        receiver.stop()
    to_receiver = sorted(
        (r.at - enqueued_at[json.loads(r.body)["notification_id"]]) * 1000 for r in receiver.ok()
    )
    p50, p99 = statistics.median(to_receiver), to_receiver[98]
    hook = sorted(a.since_enqueue_ms for a in hooked)
    print(f"\nenqueue->receiver ms: p50 {p50:.1f} p99 {p99:.1f}; hook p50 {hook[50]:.1f}")
    # a polling loop (1 s idle poll) would put the median near 500 ms
    assert p50 < 100, to_receiver
    assert len(hooked) == 100 and all(a.ok for a in hooked)


def smtp_config(server: SmtpServer, tmp_path: Path, password: str, **over: Any) -> NotifyConfig:
    (tmp_path / "smtp.pw").write_text(password + "\n")
    smtp = {
        "host": "127.0.0.1",
        "port": server.port,
        "starttls": True,
        "ca_file": str(server.ca),
        "username": server.username,
        "password_file": str(tmp_path / "smtp.pw"),
        "from": "gateway@s1.station.example",
        "to": {"bureau_duty": ["duty@bureau.example", "chief@bureau.example"]},
    }
    smtp.update(over.pop("smtp", {}))
    raw = {"smtp": smtp, "mqtt": {"enabled": False}, "levels": {"bureau_duty": ["email"]}}
    raw.update(over)
    return NotifyConfig.model_validate(raw)


def test_email_over_starttls_with_auth_in_chinese_and_english(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    server = SmtpServer(tmp_path).start()
    try:
        notifier = Notifier(smtp_config(server, tmp_path, server.password), tmp_path / "gw.db")
        incident = {
            "id": "01JINCIDENT000000000000000",
            "category": "missing_person",
            "phone_due": "2026-11-23T08:30:00+00:00",
            "written_due": "2026-11-23T09:00:00+00:00",
        }
        alert = alert_dict(rule="missing_person", severity="critical")
        n = Notification(event="raised", level="bureau_duty", alert=alert, incident=incident)
        with db.atomic():
            notifier.enqueue(db, n)
        assert notifier.deliver_due() == 2
        notifier.stop()
    finally:
        server.stop()
    mails = server.received()
    assert sorted(r for m in mails for r in m.rcpts) == [
        "chief@bureau.example",
        "duty@bureau.example",
    ]
    for mail in mails:
        assert mail.tls and mail.login == "station"
        subject = str(mail.message["Subject"])
        assert "人员走失" in subject and "Person missing" in subject and "紧急" in subject
        body = mail.message.get_content()
        assert "站点" in body and "Person missing raised at site s1" in body
        assert "电话报告截止: 2026-11-23T08:30:00+00:00" in body
        assert "Phone report due: 2026-11-23T08:30:00+00:00" in body
        assert alert["id"] in body
    log = rows(db, "SELECT target, ok, status, reply FROM notify_deliveries")
    assert all(d["ok"] == 1 and d["status"] == "250" and "queued as" in d["reply"] for d in log)


def test_email_refused_login_is_recorded_with_the_smtp_reply(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    server = SmtpServer(tmp_path).start()
    try:
        notifier = Notifier(smtp_config(server, tmp_path, "wrong"), tmp_path / "gw.db")
        enqueue(notifier, db)
        assert notifier.deliver_due() == 2
    finally:
        server.stop()
    assert server.received() == []
    log = rows(db, "SELECT ok, status, error FROM notify_deliveries")
    assert [(d["ok"], d["status"]) for d in log] == [(0, "535"), (0, "535")]
    assert all("SMTPAuthenticationError" in d["error"] for d in log)


def test_dead_webhook_falls_back_to_email_after_n_failures(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    server = SmtpServer(tmp_path).start()
    dead = f"http://127.0.0.1:{free_port()}/hook"
    clock = FakeClock()
    cfg = smtp_config(
        server,
        tmp_path,
        server.password,
        webhooks=[{"name": "bureau", "url": dead, "secret": KEY, "fallback": "email"}],
        levels={"bureau_duty": ["bureau"]},
        retry={"base_s": 1, "attempts_before_fallback": 3},
    )
    try:
        notifier = Notifier(cfg, tmp_path / "gw.db", clock=clock)
        n = enqueue(notifier, db, event="escalated")
        for step in (0, 1, 2):  # failures 1 and 2 (at +0 s, +1 s): no e-mail yet
            notifier.deliver_due(clock.advance(step))
            if step < 2:
                assert rows(db, "SELECT id FROM notify_outbox WHERE kind='email'") == []
        assert server.received() == []
        # failure 3 enqueued the fallback; it is due at once
        assert notifier.deliver_due(clock.now) == 2  # both recipients
        notifier.deliver_due(clock.advance(4))  # failure 4: no second fallback
    finally:
        server.stop()
    hook_row, *mail_rows = rows(db, "SELECT * FROM notify_outbox ORDER BY seq")
    assert hook_row["kind"] == "webhook" and hook_row["state"] == "pending"
    assert hook_row["attempts"] == 4 and hook_row["fell_back"] == 1
    assert len(mail_rows) == 2
    assert all(r["fallback_of"] == hook_row["id"] and r["state"] == "delivered" for r in mail_rows)
    assert {r["notification_id"] for r in mail_rows} == {n.id}
    assert len(server.received()) == 2
    assert "已升级" in str(server.received()[0].message["Subject"])


def test_mqtt_channel_publishes_qos1_and_records_the_puback(
    db: sqlite_utils.Database, tmp_path: Path, broker: Broker
) -> None:
    broker.add_user("bureau-app")
    got: list[tuple[str, dict[str, Any]]] = []
    subscribed = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sub")
    sub.username_pw_set("bureau-app", broker.users["bureau-app"])
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_message = lambda _c, _u, m: got.append((m.topic, json.loads(m.payload)))
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("stationkit/v1/+/gateway/alert", qos=1)
    sub.loop_start()
    gw = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="gw")
    gw.username_pw_set("gateway", broker.users["gateway"])
    gw.connect("127.0.0.1", broker.port)
    gw.loop_start()
    try:
        assert subscribed.wait(5)
        cfg = config("http://x.invalid/", mqtt={"enabled": True}, levels={"bureau_duty": ["mqtt"]})
        notifier = Notifier(cfg, tmp_path / "gw.db", lambda t, p: gw.publish(t, p, qos=1))
        n = enqueue(notifier, db)
        assert notifier.deliver_due() == 1
        wait_for(lambda: len(got) == 1, 5, "alert document on the broker")
        # a publish callable that returns nothing (fire and forget): recorded as "queued"
        fire_and_forget = Notifier(cfg, tmp_path / "gw.db", lambda t, p: None)
        enqueue(fire_and_forget, db)
        assert fire_and_forget.deliver_due() == 1
    finally:
        gw.loop_stop()
        sub.loop_stop()
    topic, doc = got[0]
    (first, second) = rows(db, "SELECT * FROM notify_deliveries ORDER BY id")
    assert topic == "stationkit/v1/s1/gateway/alert"
    assert doc["alert"]["id"] == n.alert_id and doc["delivery_id"] == first["outbox_id"]
    assert doc["type"] == "stationkit.notification.v1"
    assert first["ok"] == 1 and first["status"] == "puback"
    assert second["ok"] == 1 and second["status"] == "queued"


def test_email_over_implicit_tls(db: sqlite_utils.Database, tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, implicit_tls=True).start()
    try:
        cfg = smtp_config(server, tmp_path, server.password, smtp={"starttls": False, "ssl": True})
        notifier = Notifier(cfg, tmp_path / "gw.db")
        enqueue(notifier, db, event="overdue")
        assert notifier.deliver_due() == 2
    finally:
        server.stop()
    assert len(server.received()) == 2
    assert all(m.tls and m.login == "station" for m in server.received())
    assert "报告逾期" in str(server.received()[0].message["Subject"])


def test_webhook_errors_never_show_the_url_query(db: sqlite_utils.Database, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://user:pw@127.0.0.1:{port}/hook?token=s3cret"  # nobody listens
    notifier = Notifier(config(url), tmp_path / "gw.db")
    enqueue(notifier, db)
    assert notifier.deliver_due() == 1
    text = json.dumps(rows(db, "SELECT * FROM notify_deliveries"))
    text += json.dumps(rows(db, "SELECT target, last_error FROM notify_outbox"))
    assert "s3cret" not in text and "pw@" not in text
    assert f"127.0.0.1:{port}/hook" in text


def test_a_new_alert_goes_before_a_backlog_of_retries(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    hook = WebhookReceiver(fail_first=3).start()
    try:
        clock = FakeClock()
        notifier = Notifier(config(hook.url), tmp_path / "gw.db", clock=clock)
        for _ in range(3):
            enqueue(notifier, db)
        notifier.deliver_due()  # the receiver is down: three rows now wait for a retry
        clock.advance(600)  # all three are due again
        fresh = enqueue(notifier, db, event="overdue")
        notifier.deliver_due(limit=1)
        assert json.loads(hook.ok()[0].body)["notification_id"] == fresh.id
    finally:
        hook.stop()
