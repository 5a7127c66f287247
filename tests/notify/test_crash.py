"""SIGKILL of a process delivering notifications: after a restart every notification is
delivered, duplicates carry the same idempotency key, and the database is intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gateway.notify import Notification, Notifier, NotifyConfig
from gateway.store.db import open_store
from tests.notify.support import WebhookReceiver, alert_dict
from tests.support.mosquitto import ROOT
from tests.support.net import wait_for

pytestmark = pytest.mark.slow  # SIGKILLs a real notifier process

CHILD = """
import json, sys, time
from gateway.notify import Notifier, NotifyConfig
notifier = Notifier(NotifyConfig.model_validate(json.loads(sys.argv[1])), sys.argv[2])
notifier.start()
time.sleep(60)
"""


def delivered(receiver: WebhookReceiver) -> set[str]:
    return {json.loads(r.body)["notification_id"] for r in receiver.ok()}


def test_sigkill_while_delivering_loses_nothing(tmp_path: Path) -> None:
    receiver = WebhookReceiver(delay_s=0.01).start()
    raw = {
        "webhooks": [{"name": "bureau", "url": receiver.url, "secret": "k"}],
        "mqtt": {"enabled": False},
        "levels": {"bureau_duty": ["bureau"]},
    }
    db_path = tmp_path / "gw.db"
    db = open_store(db_path)
    notifier = Notifier(NotifyConfig.model_validate(raw), db_path)
    ids = []
    with db.atomic():
        for _ in range(60):
            n = Notification(event="raised", level="bureau_duty", alert=alert_dict())
            notifier.enqueue(db, n)
            ids.append(n.id)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(raw), str(db_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_for(lambda: len(receiver.ok()) >= 15, 20, "the child delivering")
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        killed_after = len(receiver.ok())
        assert killed_after < 60, "killed too late to test anything"

        notifier.start()  # the gateway comes back
        wait_for(lambda: delivered(receiver) == set(ids), 20, "all 60 after the restart")
        notifier.stop()
    finally:
        if child.poll() is None:
            child.kill()
        receiver.stop()
    outbox = db.execute("SELECT state, COUNT(*) FROM notify_outbox GROUP BY state").fetchall()
    assert outbox == [("delivered", 60)]
    keys = Counter(r.headers["Idempotency-Key"] for r in receiver.ok())
    resent = [k for k, c in keys.items() if c > 1]
    # only attempts not yet recorded at the kill are resent, each with its original key
    assert len(resent) <= 50 and all(c <= 2 for c in keys.values())
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    print(f"\nkilled after {killed_after} acks; {len(resent)} resent with the same key")
