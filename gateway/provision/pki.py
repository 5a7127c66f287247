"""A small certificate authority for the site broker's TLS listener (``cryptography`` only).

One CA per site gateway signs the broker's server certificate and one client certificate per
node; revoked node certificates go into a CRL that Mosquitto checks (``crlfile``). Keys are
ECDSA P-256: small, fast on a Raspberry Pi, and accepted by OpenSSL's TLS 1.2/1.3.

Why a CRL lifetime of ten years: OpenSSL refuses *every* client once the CRL's next-update
date has passed, so a short-lived CRL that nobody re-signs is a site-wide outage waiting to
happen. The CRL is re-signed on every `stationkit provision` run anyway.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 20 * 365
LEAF_DAYS = 5 * 365
CRL_DAYS = 10 * 365
_BACKDATE = dt.timedelta(minutes=10)  # tolerate a little clock skew between hosts


@dataclass(frozen=True, slots=True)
class Issued:
    """A key and its certificate, both PEM-encoded."""

    key_pem: bytes
    cert_pem: bytes
    serial: int
    not_after: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str, org: str = "StationKit") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    serial: int,
    now: dt.datetime,
    not_after: dt.datetime,
    *,
    ca: bool,
) -> x509.CertificateBuilder:
    """What every certificate here has: a CA (path length 0) signs certificates and CRLs only;
    a leaf signs and agrees keys (ECDHE), nothing more."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=not ca,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )


def create_ca(common_name: str, *, days: int = CA_DAYS) -> Issued:
    """A self-signed CA that may sign leaf certificates only (path length 0)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    name = _name(common_name)
    serial = x509.random_serial_number()
    cert = (
        _builder(name, name, key, serial, now, now + dt.timedelta(days=days), ca=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(
        _key_pem(key),
        cert.public_bytes(serialization.Encoding.PEM),
        serial,
        cert.not_valid_after_utc,
    )


def _load_ca(
    ca_key_pem: bytes, ca_cert_pem: bytes
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key is not an EC key; it was not made by stationkit provision")
    return key, x509.load_pem_x509_certificate(ca_cert_pem)


def _san(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    common_name: str,
    *,
    server_hosts: list[str] | None = None,
    days: int = LEAF_DAYS,
) -> Issued:
    """Issue a leaf certificate: a server certificate for `server_hosts` (DNS names or IP
    addresses the nodes use to reach the broker), else a client certificate."""
    ca_key, ca_cert = _load_ca(ca_key_pem, ca_cert_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    serial = x509.random_serial_number()
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server_hosts else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(_name(common_name), ca_cert.subject, key, serial, now, not_after, ca=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server_hosts:
        builder = builder.add_extension(_san(server_hosts), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Issued(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM), serial, not_after)


def build_crl(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    revoked: list[tuple[int, dt.datetime]],
    *,
    days: int = CRL_DAYS,
) -> bytes:
    """A CRL (PEM) listing the revoked `(serial, revoked_at)` certificates; may be empty."""
    ca_key, ca_cert = _load_ca(ca_key_pem, ca_cert_pem)
    now = _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - _BACKDATE)
        .next_update(now + dt.timedelta(days=days))
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    crl = builder.sign(ca_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)


def cert_info(cert_pem: bytes) -> tuple[str, int, dt.datetime]:
    """(common name, serial, not-after) of a PEM certificate."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return (str(cn[0].value) if cn else "", cert.serial_number, cert.not_valid_after_utc)


def revoked_serials(crl_pem: bytes) -> set[int]:
    return {r.serial_number for r in x509.load_pem_x509_crl(crl_pem)}
