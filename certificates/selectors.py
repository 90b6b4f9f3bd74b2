"""Reads of the certificates app, with every access check."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import wording
from certificates.models import BulkJob, BulkJobKind, Certificate, CertificateStatus
from org.models import Person
from org.selectors import Scope

CODE_PATTERN = re.compile(r"^[0-9A-Z]{16}$")
# PREFIX-YEAR-NUMBER as printed (ZJ-2026-000123); typed, the dashes may be missing and the
# leading zeros of the number too.
SERIAL_PATTERN = re.compile(r"^([A-Z]{1,8})-?(\d{4})-?(\d{1,6})$")
LOOKUP_MAX_LENGTH = 64  # longer than any code or serial, with room for spaces
# Dashes people type or paste instead of "-": hyphens, en and em dashes, minus signs, the
# katakana long vowel mark a Chinese input method offers for "－".
DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣－ー"), "-")

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
    return (
        BulkJob.objects.filter(requested_by=person)
        .select_related("org_unit", "training_plan", "course")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class Lookup:
    """What a visitor typed into the verify form, read as a code or a serial number."""

    code: str = ""
    serial: str = ""


def lookup_parse(raw: str) -> Lookup | None:
    """A typed code or serial, normalised: case, spaces, full-width characters and dashes
    are forgiven (ｚｊ－２０２６－０００００１ is ZJ-2026-000001). None if it can be neither."""
    text = unicodedata.normalize("NFKC", raw).translate(DASHES)
    text = "".join(text.split()).upper()
    serial = SERIAL_PATTERN.match(text)
    if serial is not None:
        prefix, year, number = serial.groups()
        return Lookup(serial=f"{prefix}-{year}-{int(number):06d}")
    code = text.replace("-", "")
    if CODE_PATTERN.match(code):
        return Lookup(code=code)
    return None


def bulk_job_description(job: BulkJob) -> str:
    """What a bulk job does and to whom, in one plain line, whatever it was started for:
    "Issue missing certificates · 西湖区 and everything below it · all courses"."""
    if job.org_unit is not None:
        target = _("%(unit)s and everything below it") % {"unit": job.org_unit.name}
    elif job.training_plan is not None:
        target = _("training plan “%(plan)s”") % {"plan": job.training_plan.name}
    else:
        target = _("no unit or training plan recorded")
    courses = (
        _("only “%(course)s”") % {"course": job.course.title}
        if job.course is not None
        else _("all courses")
    )
    kind = BulkJobKind(job.kind).label if job.kind in BulkJobKind.values else job.kind
    return f"{kind} · {target} · {courses}"


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
    completed_on: date | None
    achievement: str  # wording.achievement: what the holder achieved, by the course's rule


def mask_name(name: str) -> str:
    """张晓明 -> 张*明, 李明 -> 李*, 欧阳晓明 -> 欧**明: enough to match, not to harvest."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def verification(
    code: str = "", *, serial: str = "", today: date | None = None
) -> Verification | None:
    """The public facts of a certificate by its code or its serial number; None for anything
    unknown or malformed (a miss says nothing about why)."""
    code = code.strip().upper()
    if serial:
        found = Certificate.objects.filter(serial=serial.strip().upper())
    elif CODE_PATTERN.match(code):
        found = Certificate.objects.filter(code=code)
    else:
        return None
    certificate = found.filter(status__in=PUBLIC_STATES).first()
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
        completed_on=certificate.completed_on,
        achievement=wording.achievement(certificate.basis),
    )


def recent_certificates(person: Person, *, limit: int = 3) -> list[Certificate]:
    """A learner's latest valid certificates (issued, not revoked or replaced), newest first,
    for the home page."""
    return list(my_certificates(person).filter(status=CertificateStatus.ISSUED)[:limit])
