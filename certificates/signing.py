"""PAdES signatures on certificate PDFs (baseline B-B, with pyHanko).

Optional: on when CERTIFICATE_SIGNING_P12 (a PKCS#12 file holding the key and certificate)
and CERTIFICATE_SIGNING_PASSWORD are both set. The signature is an incremental update, so
the PDF/A-3b document it covers is unchanged, and it is invisible: the printed certificate
is the same with or without it. B-B has no timestamp and no revocation data; the
verification page, not the signature, is what the public relies on.

pyHanko runs its own event loop (``asyncio.run``): call these from synchronous code
(views, tasks), not from inside a running loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from asn1crypto import x509
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

logger = logging.getLogger(__name__)

FIELD_NAME = "CertificateSignature"


class SigningNotConfigured(RuntimeError):
    """sign_pdf was called while CERTIFICATE_SIGNING_P12 or its password is unset."""


def signing_enabled() -> bool:
    """Whether issued certificates are signed (both settings are set)."""
    return bool(settings.CERTIFICATE_SIGNING_P12 and settings.CERTIFICATE_SIGNING_PASSWORD)


@functools.lru_cache(maxsize=2)
def _signer(path: str, password: str, modified: float) -> signers.SimpleSigner:
    # ``modified`` is part of the key: a replaced key file is read again without a restart.
    signer = signers.SimpleSigner.load_pkcs12_data(
        Path(path).read_bytes(), other_certs=[], passphrase=password.encode()
    )
    assert isinstance(signer, signers.SimpleSigner)
    return signer


def configured_signer() -> signers.SimpleSigner:
    """The signer from the configured PKCS#12 file (cached until the file changes)."""
    if not signing_enabled():
        raise SigningNotConfigured(
            "Set CERTIFICATE_SIGNING_P12 and CERTIFICATE_SIGNING_PASSWORD to sign certificates."
        )
    path = str(settings.CERTIFICATE_SIGNING_P12)
    return _signer(path, str(settings.CERTIFICATE_SIGNING_PASSWORD), Path(path).stat().st_mtime)


def sign_pdf(pdf: bytes, *, signer: signers.Signer | None = None) -> bytes:
    """The PDF with an invisible PAdES B-B signature appended (SHA-256)."""
    signer = signer or configured_signer()
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason="Certificate issued by the civil-service e-academy",
    )
    output = signers.sign_pdf(writer, metadata, signer=signer)
    signed: bytes = output.getvalue()
    return signed


def verify_pdf(pdf: bytes, *, trust_roots: Iterable[x509.Certificate] | None = None) -> bool:
    """Whether the PDF carries a signature that is intact, valid and covers the whole file.

    Trusted are ``trust_roots``, by default the configured signing certificate: the question
    answered is "did we sign exactly this file". Nothing is fetched from the network.
    """
    if trust_roots is None:
        trust_roots = [configured_signer().signing_cert]
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return False
        for signature in signatures:
            status = validate_pdf_signature(signature, context)
            if not (status.bottom_line and status.coverage is not None):
                return False
            if status.coverage.name != "ENTIRE_FILE":
                return False
    except Exception:
        # A tampered file may not even parse; either way it is not what we signed.
        logger.info("Certificate signature check failed", exc_info=True)
        return False
    return True
