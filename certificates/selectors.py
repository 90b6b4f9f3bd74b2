"""Reads of the certificates app, with every access check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from certificates.models import BulkJob, Certificate, CertificateStatus
from org.models import Person
from org.selectors import Scope

CODE_PATTERN = re.compile(r"^[0-9A-Z]{16}$")

# What the public may see of a certificate, by status; pending and failed ones do not exist
# for the public.
PUBLIC_STATES = [
    CertificateStatus.ISSUED,
    CertificateStatus.REVOKED,
    CertificateStatus.SUPERSEDED,
]


def my_certificates(person: Person) -> QuerySet[Certificate]:
    """A learner's certificates, newest first; replaced ones stay listed as history."""
    return Certificate.objects.filter(person=person).order_by("-issued_on", "-pk")


def certificate_of(person: Person, code: str) -> Certificate | None:
    """One of the person's own issued certificates; anybody else's is None (a 404)."""
    return Certificate.objects.filter(
        person=person, code=code.upper(), status__in=PUBLIC_STATES
    ).first()


def certificates_in_scope(scope: Scope) -> QuerySet[Certificate]:
    """Certificates of the people in an HR officer's scope (administrators: all)."""
    certificates = Certificate.objects.select_related("person", "person__org_unit").order_by(
        "-created_at", "-pk"
    )
    return scope.narrow(certificates, via="person__org_unit")


def bulk_jobs_of(person: Person) -> QuerySet[BulkJob]:
    return BulkJob.objects.filter(requested_by=person).order_by("-created_at")


@dataclass(frozen=True)
class Verification:
    """What the public verification page and API show: nothing more."""

    code: str
    holder: str
    course: str
    credit_hours: Decimal
    serial: str
    issuer: str
    issued_on: date
    expires_on: date | None
    status: str  # valid, expired, revoked, replaced
    revoked_on: date | None


def mask_name(name: str) -> str:
    """张晓明 -> 张*明, 李明 -> 李*, 欧阳晓明 -> 欧**明: enough to match, not to harvest."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def verification(code: str, *, today: date | None = None) -> Verification | None:
    """The public facts of a certificate by its code; None for anything unknown or malformed."""
    code = code.strip().upper()
    if not CODE_PATTERN.match(code):
        return None
    certificate = Certificate.objects.filter(code=code, status__in=PUBLIC_STATES).first()
    if certificate is None:
        return None
    today = today or timezone.localdate()
    if certificate.status == CertificateStatus.REVOKED:
        status = "revoked"
    elif certificate.status == CertificateStatus.SUPERSEDED:
        status = "replaced"
    elif certificate.expires_on is not None and certificate.expires_on < today:
        status = "expired"
    else:
        status = "valid"
    return Verification(
        code=certificate.code,
        holder=mask_name(certificate.holder_name),
        course=certificate.course_title,
        credit_hours=certificate.credit_hours,
        serial=certificate.serial,
        issuer=certificate.issuer,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        status=status,
        revoked_on=timezone.localdate(certificate.revoked_at) if certificate.revoked_at else None,
    )


def recent_certificates(person: Person, *, limit: int = 3) -> list[Certificate]:
    """A learner's latest valid certificates (issued, not revoked or replaced), newest first,
    for the home page."""
    return list(my_certificates(person).filter(status=CertificateStatus.ISSUED)[:limit])
