"""PAdES B-B signatures on certificate PDFs, with a throwaway self-signed certificate made
for each test: a signed certificate validates, a tampered copy or a stranger's key does not."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from certificates import rendering, signing
from lms import config

PASSWORD = "throwaway-test-password"


def make_p12(path: Path, common_name: str) -> asn1_x509.Certificate:
    """A self-signed signing certificate and its key in a PKCS#12 file; returns the cert."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "浙江省公务员网络学院"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            common_name.encode(),
            key,
            certificate,
            None,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@pytest.fixture
def signing_key(settings, tmp_path) -> asn1_x509.Certificate:
    path = tmp_path / "signing.p12"
    certificate = make_p12(path, "e-academy certificate signing (test)")
    settings.CERTIFICATE_SIGNING_P12 = str(path)
    settings.CERTIFICATE_SIGNING_PASSWORD = PASSWORD
    return certificate


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return rendering.render_pdf(
        rendering.CertificateContent(
            holder_name="王晓明",
            course_title="政务数据安全与个人信息保护",
            credit_hours=Decimal("8"),
            issued_on=date(2026, 11, 28),
            serial="ZJ-2026-000042",
            issuer="浙江省公务员网络学院",
            verify_url="https://academy.example.gov.cn/verify/ABCDEFGH23456789/",
        )
    )


def tampered(pdf: bytes) -> bytes:
    """The same file with one byte changed inside the first content stream it signed."""
    position = pdf.index(b"stream\n", pdf.index(b"/Contents")) + 40
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


def test_signing_is_off_until_both_settings_are_set(settings):
    settings.CERTIFICATE_SIGNING_P12 = ""
    settings.CERTIFICATE_SIGNING_PASSWORD = ""
    assert signing.signing_enabled() is False
    with pytest.raises(signing.SigningNotConfigured):
        signing.sign_pdf(b"%PDF-1.7")

    settings.CERTIFICATE_SIGNING_P12 = "/etc/lms/signing.p12"
    assert signing.signing_enabled() is False
    settings.CERTIFICATE_SIGNING_PASSWORD = PASSWORD
    assert signing.signing_enabled() is True


def test_a_signed_certificate_validates_and_a_tampered_copy_does_not(signing_key, certificate_pdf):
    signed = signing.sign_pdf(certificate_pdf)

    assert signed.startswith(certificate_pdf)  # an incremental update: the original is intact
    assert signing.verify_pdf(signed) is True
    assert signing.verify_pdf(tampered(signed)) is False
    assert signing.verify_pdf(certificate_pdf) is False  # not signed at all


def test_a_signature_by_another_key_is_not_trusted(signing_key, certificate_pdf, tmp_path):
    stranger = make_p12(tmp_path / "stranger.p12", "someone else")

    signed = signing.sign_pdf(certificate_pdf)

    assert signing.verify_pdf(signed, trust_roots=[signing_key]) is True
    assert signing.verify_pdf(signed, trust_roots=[stranger]) is False


def test_the_signature_is_pades_and_poppler_finds_it_valid(signing_key, certificate_pdf, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signing.sign_pdf(certificate_pdf))

    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout

    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    metadata = subprocess.run(
        ["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert 'pdfaid:part="3"' in metadata  # still PDF/A-3b


def test_a_replaced_key_file_is_read_again(signing_key, settings, tmp_path, certificate_pdf):
    first = signing.configured_signer()
    replacement = make_p12(Path(settings.CERTIFICATE_SIGNING_P12), "the new key")

    signed = signing.sign_pdf(certificate_pdf)

    assert signing.configured_signer() is not first
    assert signing.verify_pdf(signed, trust_roots=[replacement]) is True


def test_the_signing_file_setting_must_name_a_readable_file(monkeypatch, tmp_path):
    monkeypatch.delenv("CERTIFICATE_SIGNING_P12", raising=False)
    assert config.existing_file("CERTIFICATE_SIGNING_P12") == ""

    monkeypatch.setenv("CERTIFICATE_SIGNING_P12", "signing.p12")
    with pytest.raises(config.ConfigError, match="not an absolute path"):
        config.existing_file("CERTIFICATE_SIGNING_P12")

    monkeypatch.setenv("CERTIFICATE_SIGNING_P12", str(tmp_path / "missing.p12"))
    with pytest.raises(config.ConfigError, match="not a readable file"):
        config.existing_file("CERTIFICATE_SIGNING_P12")

    (tmp_path / "signing.p12").write_bytes(b"key")
    monkeypatch.setenv("CERTIFICATE_SIGNING_P12", str(tmp_path / "signing.p12"))
    assert config.existing_file("CERTIFICATE_SIGNING_P12") == str(tmp_path / "signing.p12")
