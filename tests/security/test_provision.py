"""Provisioning without a broker: files, modes, registry, ACL text, CRL, refusals."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path, PurePosixPath

import pytest
from cryptography import x509

from devices.runtime.config_file import load_toml
from firmware_py.config import NodeConfig
from gateway.provision import mosquitto, pki
from gateway.provision.layout import Layout
from gateway.provision.provisioner import Provisioner, ProvisionError


@pytest.fixture
def prov(tmp_path: Path) -> Provisioner:
    reloads: list[int] = []
    p = Provisioner(Layout(tmp_path / "etc"), reload_broker=lambda: reloads.append(1))
    p.init_site(["gw.station.example", "192.168.10.5"])
    p.reloads = reloads  # type: ignore[attr-defined]
    return p


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_node_needs_a_ca_first(tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="--init"):
        Provisioner(Layout(tmp_path)).provision_node("s1", "desk-1")


def test_bundle_holds_a_working_node_config(prov: Provisioner, tmp_path: Path) -> None:
    creds = prov.provision_node("s1", "desk-1", node_root=PurePosixPath(tmp_path / "node-etc"))
    shutil.copytree(creds.bundle_dir, tmp_path / "node-etc")  # "copy it to the node"
    cfg = load_toml(NodeConfig, tmp_path / "node-etc" / "node.toml")  # the node's own loader
    assert (cfg.site, cfg.node) == ("s1", "desk-1")
    url = cfg.broker.resolved()
    assert (url.host, url.port, url.tls) == ("gw.station.example", 8883, True)
    assert (url.username, url.password) == ("s1.desk-1", creds.password)
    assert cfg.broker.key_file == tmp_path / "node-etc" / "tls" / "node.key"
    assert cfg.broker.cert_file is not None and cfg.broker.cert_file.exists()
    assert creds.password not in (creds.bundle_dir / "node.toml").read_text()
    assert _mode(creds.bundle_dir / "broker.password") == 0o600
    assert _mode(creds.bundle_dir / "tls" / "node.key") == 0o600
    assert _mode(creds.bundle_dir) == 0o700
    cert = x509.load_pem_x509_certificate((creds.bundle_dir / "tls" / "node.crt").read_bytes())
    ca = x509.load_pem_x509_certificate(prov.layout.ca_cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    cn, serial, _ = pki.cert_info((creds.bundle_dir / "tls" / "node.crt").read_bytes())
    assert (cn, f"{serial:x}") == ("s1.desk-1", creds.record.cert_serial)


def test_private_material_is_private(prov: Provisioner) -> None:
    prov.provision_node("s1", "desk-1")
    prov.provision_gateway()
    lay = prov.layout
    assert _mode(lay.ca_key) == 0o600
    assert _mode(lay.registry) == 0o600
    for p in (lay.broker_key, lay.passwd, lay.acl, lay.gateway_env):
        assert _mode(p) & 0o007 == 0, f"{p} is world-accessible"
    assert "s1.desk-1:$" in lay.passwd.read_text()


def test_broker_certificate_names_every_host(prov: Provisioner) -> None:
    cert = x509.load_pem_x509_certificate(prov.layout.broker_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(san.get_values_for_type(x509.DNSName)) | {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)
    }
    assert names == {"gw.station.example", "192.168.10.5", "localhost", "127.0.0.1"}
    assert prov.init_site(["gw.station.example", "192.168.10.5"]) is False  # idempotent
    assert prov.init_site(["gw.station.example", "10.0.0.2"]) is True  # new host → reissued


def test_acl_lists_active_nodes_only(prov: Provisioner) -> None:
    prov.provision_gateway()
    prov.provision_node("s1", "desk-1")
    prov.provision_node("s1", "room-2")
    prov.provision_node("s2", "desk-1")
    prov.revoke_node("s1", "room-2")
    acl = prov.layout.acl.read_text()
    assert acl.index("user gateway") < acl.index("user s1.desk-1") < acl.index("user s2.desk-1")
    assert "s1.room-2" not in acl
    assert mosquitto.node_acl("s1", "desk-1") in acl
    assert "topic read stationkit/v1/s1/desk-1/cmd" in acl
    assert "topic read stationkit/v1/#" in acl.split("user s1.desk-1")[0]
    # every user line but the gateway's grants writes only under that node's own prefix
    for block in acl.split("user ")[2:]:
        user, *lines = block.strip().splitlines()
        site, node = user.split(".")
        for line in lines:
            assert line.split()[2].startswith(f"stationkit/v1/{site}/{node}/"), line


def test_revocation_updates_registry_passwords_and_crl(prov: Provisioner) -> None:
    creds = prov.provision_node("s1", "desk-1")
    assert prov.layout.bundle(creds.username).exists()
    rec = prov.revoke_node("s1", "desk-1")
    assert rec.state == "revoked" and rec.revoked_at is not None
    assert "s1.desk-1" not in prov.layout.passwd.read_text()
    assert int(rec.cert_serial, 16) in pki.revoked_serials(prov.layout.crl.read_bytes())
    assert not prov.layout.bundle(creds.username).exists(), "key material left on the gateway"
    assert [n.state for n in prov.nodes()] == ["revoked"]
    again = prov.provision_node("s1", "desk-1")  # a revoked node may be re-provisioned
    assert again.record.state == "active"
    assert int(again.record.cert_serial, 16) not in pki.revoked_serials(
        prov.layout.crl.read_bytes()
    )


def test_refusals_say_what_to_do(prov: Provisioner) -> None:
    prov.provision_node("s1", "desk-1")
    with pytest.raises(ProvisionError, match="--rotate"):
        prov.provision_node("s1", "desk-1")
    with pytest.raises(ProvisionError, match="reserved"):
        prov.provision_node("s1", "gateway")
    with pytest.raises(ProvisionError, match="slug"):
        prov.provision_node("S1", "desk 1")
    with pytest.raises(ProvisionError, match="never provisioned"):
        prov.revoke_node("s1", "desk-9")


def test_every_change_reloads_the_broker(prov: Provisioner) -> None:
    before = len(prov.reloads)  # type: ignore[attr-defined]
    prov.provision_node("s1", "desk-1")
    prov.revoke_node("s1", "desk-1")
    assert len(prov.reloads) == before + 2  # type: ignore[attr-defined]


def test_crl_empty_but_valid_at_init(prov: Provisioner) -> None:
    crl = x509.load_pem_x509_crl(prov.layout.crl.read_bytes())
    ca = x509.load_pem_x509_certificate(prov.layout.ca_cert.read_bytes())
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert len(list(crl)) == 0
    assert crl.next_update_utc is not None
    assert (crl.next_update_utc - crl.last_update_utc).days >= 365 * 9


def test_cli_provision_list_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from firmware_py.cli import main

    root = ["--root", str(tmp_path / "etc"), "--no-reload"]
    assert main(["provision", *root, "--site", "s1", "--node", "desk-1"]) == 1
    assert "--init" in capsys.readouterr().err
    assert main(["provision", *root, "--init", "--broker-host", "gw.example"]) == 0
    assert main(["provision", *root, "--gateway"]) == 0
    assert main(["provision", *root, "--site", "s1", "--node", "desk-1"]) == 0
    assert "bundles/s1.desk-1" in capsys.readouterr().out
    assert main(["provision", *root, "--site", "s1", "--node", "desk-1"]) == 1
    assert main(["provision", *root, "--site", "s1", "--node", "desk-1", "--revoke"]) == 0
    capsys.readouterr()
    assert main(["provision", *root, "--list"]) == 0
    assert capsys.readouterr().out.startswith("s1/desk-1\trevoked on ")
    env = (tmp_path / "etc" / "gateway.env").read_text()
    assert env.startswith("STATIONKIT_BROKER=mqtt://gateway:") and env.endswith("@127.0.0.1:1883\n")


def test_the_uplink_account_may_only_publish_uplink_and_read_downlink() -> None:
    from gateway.provision import mosquitto as m

    acl = m.render_acl([("s1", "desk-1")], [m.GATEWAY_USER, m.UPLINK_USER])
    block = acl.split(f"user {m.UPLINK_USER}\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == [
        "topic write stationkit/v1/+/gateway/uplink/#",
        "topic read stationkit/v1/+/gateway/downlink/#",
    ]
