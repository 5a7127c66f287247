"""The generated broker config really enforces who may do what (real Mosquitto, real TLS).

Nodes connect to the TLS listener with their bundle (CA, client certificate, key, password);
the gateway connects to the local plain listener, as in production. "Not received" is always
proved with a marker sent after the forbidden message on the same connection, so a test
cannot pass merely because it did not wait long enough.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from devices.contract import codec, topics
from gateway.provision import pki
from gateway.provision.provisioner import NodeCredentials
from tests.security.conftest import Conn, SecureSite, connect
from tests.support.e2e import stored_counts
from tests.support.net import wait_for
from tests.support.stack import gateway

pytestmark = pytest.mark.broker

TlsFiles = tuple[Path, Path | None, Path | None]


def _tls(creds: NodeCredentials) -> TlsFiles:
    d = creds.bundle_dir / "tls"
    return (d / "ca.crt", d / "node.crt", d / "node.key")


def _node(site: SecureSite, creds: NodeCredentials, password: str | None = None) -> Conn:
    return connect(site.tls_port, creds.username, password or creds.password, tls=_tls(creds))


def _gateway(site: SecureSite, subscribe: bool = True) -> Conn:
    gw = connect(site.port, "gateway", site.gateway_password)
    assert gw.connected.is_set(), gw.reason
    if subscribe:
        gw.client.subscribe(topics.SUBSCRIBE_ALL, qos=1)
        time.sleep(0.2)
    return gw


def _refused(conn: Conn) -> bool:
    conn.refused.wait(5)
    return not conn.connected.is_set() or conn.refused.is_set()


def test_node_connects_over_tls_and_gateway_reads_everything(site: SecureSite) -> None:
    creds = site.prov.provision_node("s1", "desk-1")
    gw = _gateway(site)
    node = _node(site, creds)
    assert node.connected.is_set(), f"{node.reason}\n{site.log()[-2000:]}"
    mine = [
        topics.status("s1", "desk-1"),
        topics.heartbeat("s1", "desk-1"),
        topics.event("s1", "desk-1", "gate"),
        topics.media("s1", "desk-1", "01JD3K0000000000000000000A"),
        topics.ack("s1", "desk-1"),
    ]
    for t in mine:
        node.client.publish(t, b"{}", qos=1)
    assert gw.wait_topic(mine[-1])
    assert gw.topics() == mine
    node.close()
    gw.close()


def test_node_cannot_publish_as_another_node_or_the_gateway(site: SecureSite) -> None:
    a = site.prov.provision_node("s1", "desk-1")
    site.prov.provision_node("s1", "desk-2")
    gw = _gateway(site)
    node = _node(site, a)
    assert node.connected.is_set(), node.reason
    forged = [
        topics.event("s1", "desk-2", "gate"),  # another node, same site
        topics.status("s1", "desk-2"),
        topics.event("s2", "desk-1", "gate"),  # same node name, another site
        topics.alert("s1"),  # the gateway's alerts
        topics.cmd("s1", "desk-2"),  # commanding another node
        topics.cmd("s1", "desk-1"),  # or itself
        "stationkit/v1/s1/desk-1/event/gate/extra",  # outside the contract's shapes
        "$SYS/broker/uptime",
    ]
    for t in forged:
        node.client.publish(t, b"{}", qos=1)
    marker = topics.event("s1", "desk-1", "gate")
    node.client.publish(marker, b"marker", qos=1)
    assert gw.wait_topic(marker)
    assert gw.topics() == [marker], "a forged topic reached the gateway"
    node.close()
    gw.close()


def test_node_cannot_read_another_nodes_commands_or_events(site: SecureSite) -> None:
    a = site.prov.provision_node("s1", "desk-1")
    b = site.prov.provision_node("s1", "desk-2")
    na = _node(site, a)
    nb = _node(site, b)
    assert na.connected.is_set() and nb.connected.is_set()
    # a nosy node subscribes to everything it can think of
    for f in ("#", topics.SUBSCRIBE_ALL, topics.cmd("s1", "desk-2"), "stationkit/v1/+/+/cmd"):
        na.client.subscribe(f, qos=1)
    nb.client.subscribe(topics.cmd("s1", "desk-2"), qos=1)
    time.sleep(0.3)
    gw = _gateway(site, subscribe=False)
    gw.client.publish(topics.cmd("s1", "desk-2"), b'{"for":"b"}', qos=1)
    nb.client.publish(topics.event("s1", "desk-2", "gate"), b"{}", qos=1)
    assert nb.wait_topic(topics.cmd("s1", "desk-2"))
    gw.client.publish(topics.cmd("s1", "desk-1"), b'{"for":"a"}', qos=1)
    assert na.wait_topic(topics.cmd("s1", "desk-1"))
    time.sleep(0.2)  # desk-2's event was published before the marker; let it settle anyway
    assert set(na.topics()) == {topics.cmd("s1", "desk-1")}, na.topics()
    for c in (na, nb, gw):
        c.close()


def test_wrong_password_is_refused(site: SecureSite) -> None:
    creds = site.prov.provision_node("s1", "desk-1")
    conn = _node(site, creds, password="not-" + creds.password)
    assert _refused(conn) and not conn.connected.is_set()
    assert any("Not authorized" in r or "Bad user name" in r for r in conn.reason), conn.reason


def test_unknown_user_and_anonymous_are_refused(site: SecureSite) -> None:
    creds = site.prov.provision_node("s1", "desk-1")
    tls = _tls(creds)
    assert not connect(site.tls_port, "s1.desk-9", creds.password, tls=tls).connected.is_set()
    assert not connect(site.tls_port, "", "", tls=tls).connected.is_set()
    assert not connect(site.port, "", "").connected.is_set()


def test_plain_mqtt_on_the_tls_listener_is_refused(site: SecureSite) -> None:
    creds = site.prov.provision_node("s1", "desk-1")
    conn = connect(site.tls_port, creds.username, creds.password, tls=None)
    assert _refused(conn) and not conn.connected.is_set()


def test_tls_without_a_client_certificate_is_refused(site: SecureSite) -> None:
    creds = site.prov.provision_node("s1", "desk-1")
    ca = creds.bundle_dir / "tls" / "ca.crt"
    conn = connect(site.tls_port, creds.username, creds.password, tls=(ca, None, None))
    assert _refused(conn) and not conn.connected.is_set()


def test_certificate_from_another_ca_is_refused(site: SecureSite, tmp_path: Path) -> None:
    creds = site.prov.provision_node("s1", "desk-1")
    rogue_ca = pki.create_ca("rogue")
    rogue = pki.issue(rogue_ca.key_pem, rogue_ca.cert_pem, creds.username)
    (tmp_path / "r.crt").write_bytes(rogue.cert_pem)
    (tmp_path / "r.key").write_bytes(rogue.key_pem)
    ca = creds.bundle_dir / "tls" / "ca.crt"
    conn = connect(
        site.tls_port,
        creds.username,
        creds.password,
        tls=(ca, tmp_path / "r.crt", tmp_path / "r.key"),
    )
    assert _refused(conn) and not conn.connected.is_set()


def test_revoked_node_is_locked_out_even_while_connected(site: SecureSite, tmp_path: Path) -> None:
    a = site.prov.provision_node("s1", "desk-1")
    b = site.prov.provision_node("s1", "desk-2")
    tls_a = _tls(a)
    saved = tmp_path / "stolen"  # the revoked node's files, kept by whoever has the Pi
    saved.mkdir()
    for p in tls_a:
        assert p is not None
        (saved / p.name).write_bytes(p.read_bytes())
    stolen: TlsFiles = (saved / "ca.crt", saved / "node.crt", saved / "node.key")
    gw = _gateway(site)
    live = _node(site, a)
    assert live.connected.is_set()

    site.prov.revoke_node("s1", "desk-1")  # reloads the broker (SIGHUP)

    # 1. the open session is dropped at reload, and whatever it still sends is not delivered
    assert live.refused.wait(5), "the revoked node's open connection survived the reload"
    live.client.publish(topics.event("s1", "desk-1", "gate"), b"late", qos=1)
    # 2. its own password no longer works
    again = connect(site.tls_port, a.username, a.password, tls=stolen)
    assert not again.connected.is_set()
    # 3. its certificate is on the CRL: refused even with another node's valid password
    mixed = connect(site.tls_port, b.username, b.password, tls=stolen)
    assert not mixed.connected.is_set()
    # the other node is unaffected, and nothing from the revoked one arrived
    nb = _node(site, b)
    assert nb.connected.is_set(), nb.reason
    marker = topics.event("s1", "desk-2", "gate")
    nb.client.publish(marker, b"m", qos=1)
    assert gw.wait_topic(marker)
    assert gw.topics() == [marker]
    assert "certificate revoked" in site.log() or "certificate verify failed" in site.log()
    live.client.loop_stop()
    nb.close()
    gw.close()


def test_rotated_credentials_replace_the_old_ones(site: SecureSite, tmp_path: Path) -> None:
    old = site.prov.provision_node("s1", "desk-1")
    old_files = tmp_path / "old"
    old_files.mkdir()
    for p in _tls(old):
        assert p is not None
        (old_files / p.name).write_bytes(p.read_bytes())
    new = site.prov.provision_node("s1", "desk-1", rotate=True)
    assert new.password != old.password
    assert _node(site, new).connected.is_set()
    old_tls: TlsFiles = (old_files / "ca.crt", old_files / "node.crt", old_files / "node.key")
    assert not connect(site.tls_port, old.username, old.password, tls=old_tls).connected.is_set()
    # old certificate + new password: the old certificate is on the CRL
    assert not connect(site.tls_port, new.username, new.password, tls=old_tls).connected.is_set()


def test_gateway_commands_nodes_and_publishes_alerts(site: SecureSite) -> None:
    a = site.prov.provision_node("s1", "desk-1")
    node = _node(site, a)
    node.client.subscribe(topics.cmd("s1", "desk-1"), qos=1)
    # a second reader of everything: its own gateway-class account (one connection per
    # username: the broker binds client ids to usernames)
    watch_password = site.prov.provision_gateway("gateway-watch")
    watcher = connect(site.port, "gateway-watch", watch_password)
    assert watcher.connected.is_set(), watcher.reason
    watcher.client.subscribe(topics.SUBSCRIBE_ALL, qos=1)
    time.sleep(0.2)
    gw = _gateway(site, subscribe=False)
    gw.client.publish(topics.cmd("s1", "desk-1"), b'{"action":"ping"}', qos=1)
    gw.client.publish(topics.alert("s1"), b'{"alert":1}', qos=1)
    assert node.wait_topic(topics.cmd("s1", "desk-1"))
    assert watcher.wait_topic(topics.alert("s1"))
    # but the gateway user may not impersonate a node
    gw.client.publish(topics.event("s1", "desk-1", "gate"), b"{}", qos=1)
    gw.client.publish(topics.alert("s1"), b'{"alert":2}', qos=1)
    assert watcher.wait_for_count(topics.alert("s1"), 2)
    assert topics.event("s1", "desk-1", "gate") not in watcher.topics()
    for c in (node, watcher, gw):
        c.close()


def test_the_node_agent_runs_from_its_bundle_over_tls(site: SecureSite, tmp_path: Path) -> None:
    """End to end: provision, copy the bundle to the 'node', run the real agent on it."""
    import shutil
    from pathlib import PurePosixPath

    from devices.runtime.config_file import load_toml
    from firmware_py.commands.node import build_agent
    from firmware_py.config import NodeConfig

    node_etc = tmp_path / "node-etc"
    creds = site.prov.provision_node("s1", "desk-1", node_root=PurePosixPath(node_etc))
    shutil.copytree(creds.bundle_dir, node_etc)
    cfg = load_toml(
        NodeConfig,
        node_etc / "node.toml",
        overrides={"outbox": {"path": str(tmp_path / "outbox.db")}},
    )
    cfg = cfg.model_copy(
        update={
            "broker": cfg.broker.model_copy(update={"url": f"mqtts://localhost:{site.tls_port}"})
        }
    )
    gw = _gateway(site)
    agent = build_agent(cfg)
    agent.start()
    try:
        assert gw.wait_topic(topics.status("s1", "desk-1")), site.log()[-2000:]
    finally:
        agent.stop()
    gw.close()


# Identities bound: client id = username (use_username_as_clientid) -------------------------


def _squat(site: SecureSite, creds: NodeCredentials, client_id: str, clean: bool) -> bool:
    """Connect as a provisioned node but with someone else's client id; read what comes."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    c.username_pw_set(creds.username, creds.password)
    ca, cert, key = _tls(creds)
    c.tls_set(ca_certs=str(ca), certfile=str(cert), keyfile=str(key), cert_reqs=ssl.CERT_REQUIRED)
    connected: list[bool] = []
    c.on_connect = lambda _c, _u, _f, rc, _p: connected.append(not rc.is_failure)
    c.connect("127.0.0.1", site.tls_port, keepalive=10)
    c.loop_start()
    c.subscribe("#", qos=1)
    time.sleep(0.5)  # long enough to be handed a session's queue
    c.disconnect()
    c.loop_stop()
    return bool(connected and connected[0])


def _as_broker(site: SecureSite) -> Any:
    """What `tests.support.stack.gateway` needs of a broker: its plain port and gateway user."""
    return SimpleNamespace(port=site.port, users={"gateway": site.gateway_password})


def test_a_node_with_the_gateways_client_id_cannot_take_its_session(
    site: SecureSite, tmp_path: Path
) -> None:
    a = site.prov.provision_node("s1", "desk-1")
    b = site.prov.provision_node("s1", "desk-2")
    db = tmp_path / "gw.db"
    with gateway(_as_broker(site), db):
        pass  # the gateway's persistent session exists; while it is down, events queue
    node = _node(site, a)
    assert node.connected.is_set(), node.reason
    for seq in range(1, 21):
        env = codec.make_event(
            "door", site="s1", node="desk-1", seq=seq, data={"door": "front", "open": True}
        )
        node.client.publish(topics.event("s1", "desk-1", "door"), codec.encode(env), qos=1)
    time.sleep(0.5)
    # desk-2 claims the gateway's client id (the old fixed one, and its username), first with
    # a persistent session (to be handed the queue), then a clean one (to wipe it)
    for client_id in ("stationkit-gateway", "gateway"):
        for clean in (False, True):
            assert _squat(site, b, client_id, clean)  # it may connect, as itself
    node.close()
    with gateway(_as_broker(site), db):
        wait_for(lambda: stored_counts(db, "s1", "desk-1").rows >= 20, 10, "20 queued events")
        time.sleep(0.3)
    counts = stored_counts(db, "s1", "desk-1")
    assert counts.exactly_once(20), counts


def test_a_node_cannot_knock_another_node_off_with_its_client_id(site: SecureSite) -> None:
    a = site.prov.provision_node("s1", "desk-1")
    b = site.prov.provision_node("s1", "desk-2")
    gw = _gateway(site)
    victim = connect(site.tls_port, a.username, a.password, tls=_tls(a), client_id=a.username)
    assert victim.connected.is_set(), victim.reason
    topic = topics.event("s1", "desk-1", "door")
    for i in range(5):
        assert _squat(site, b, a.username, clean=i % 2 == 0)
        victim.client.publish(topic, f"{i}".encode(), qos=1)
    assert gw.wait_for_count(topic, 5), gw.topics()
    assert not victim.refused.is_set(), f"desk-1 was disconnected: {victim.reason}"
    for c in (victim, gw):
        c.close()


def test_only_the_gateway_can_confirm_a_nodes_events(site: SecureSite) -> None:
    """The stored-ack deletes events from a node's outbox: no node may write one."""
    a = site.prov.provision_node("s1", "desk-1")
    b = site.prov.provision_node("s1", "desk-2")
    na, nb = _node(site, a), _node(site, b)
    assert na.connected.is_set() and nb.connected.is_set()
    mine = topics.stored("s1", "desk-1")
    na.client.subscribe(mine, qos=1)
    nb.client.subscribe(topics.stored("s1", "desk-2"), qos=1)
    time.sleep(0.3)
    forged = b'{"v":1,"seqs":[[1,1000000]],"ts":"2026-12-01T00:00:00Z"}'
    nb.client.publish(mine, forged, qos=1)  # another node
    na.client.publish(mine, forged, qos=1)  # the node itself
    nb.client.publish(topics.stored("s1", "desk-2"), forged, qos=1)
    gw = _gateway(site, subscribe=False)
    gw.client.publish(mine, b"marker", qos=1)
    assert na.wait_topic(mine)
    time.sleep(0.2)
    assert [p for t, p in na.messages if t == mine] == [b"marker"]
    assert nb.topics() == []
    for c in (na, nb, gw):
        c.close()
