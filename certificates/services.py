"""Writes of the certificates app: issue (exactly once), revoke, re-issue, bulk jobs.

Issuing is two steps so that a worker dying mid-render loses nothing and doubles nothing:
``certificate_claim`` creates the row (serial and code included) in a short transaction,
guarded by the one-live-certificate constraint; ``certificate_render`` turns a pending row
into a PDF and flips it to issued with a conditional update. Both are safe to run again.
"""

from __future__ import annotations

import calendar
import logging
import re
import secrets
import tempfile
import unicodedata
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from certificates import rendering, signing, wording
from certificates.models import (
    LIVE_STATES,
    BulkJob,
    BulkJobChunk,
    BulkJobKind,
    BulkJobStatus,
    Certificate,
    CertificateEvent,
    CertificateStatus,
    CertificateTemplate,
    SerialCounter,
)
from courses import selectors as courses_selectors
from courses import services as courses_services
from courses.models import CoursePage, Enrolment, TrainingPlan
from org.files import private_name, private_storage
from org.models import OrgUnit, Person

logger = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 16  # 80 bits: not guessable, short enough for a phone's camera or keyboard


class CertificateRefused(ValidationError):
    """The certificate cannot be issued, revoked or re-issued in the asked way."""


def verification_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def serial_next(*, prefix: str, year: int) -> str:
    """The next serial of a prefix and year, e.g. ZJ-2026-000123; call inside a transaction.

    The counter row's lock (taken by the UPDATE) orders concurrent issuers, so no two get
    the same number; the unique index on ``Certificate.serial`` backs that up.
    """
    SerialCounter.objects.get_or_create(prefix=prefix, year=year)
    SerialCounter.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    number = SerialCounter.objects.values_list("last", flat=True).get(prefix=prefix, year=year)
    return f"{prefix}-{year}-{number:06d}"


def template_for(course: CoursePage) -> CertificateTemplate | None:
    """The course's own template, else the default one (None if there is none at all)."""
    return (
        CertificateTemplate.objects.filter(course=course).first()
        or CertificateTemplate.objects.filter(course__isnull=True).first()
    )


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _event(
    certificate: Certificate, action: str, actor: Person | None = None, note: str = ""
) -> None:
    CertificateEvent.objects.create(
        certificate=certificate, action=action, actor=actor, note=note[:300]
    )


def _completion_facts(
    *, person: Person, course: CoursePage, cycle: int, replaces: Certificate | None
) -> tuple[date | None, str]:
    """The completion date and basis a certificate states (wording.py): from the completed
    enrolment of that cycle, else (a re-issue whose enrolment was reset) from the old one."""
    enrolment = courses_selectors.completed_enrolment(
        person=person, course=course, credit_year=cycle
    )
    if enrolment is None or enrolment.completed_at is None:
        if replaces is not None:
            return replaces.completed_on, replaces.basis
        return None, wording.CompletionBasis.LESSONS
    return timezone.localdate(enrolment.completed_at), wording.basis_for(
        completion_rule=course.completion_rule, exam_passed=enrolment.exam_passed_at is not None
    )


def _new_certificate(
    *, person: Person, course: CoursePage, cycle: int, replaces: Certificate | None = None
) -> Certificate:
    template = template_for(course)
    today = timezone.localdate()
    prefix = template.effective_serial_prefix if template else settings.CERTIFICATE_SERIAL_PREFIX
    completed_on, basis = _completion_facts(
        person=person, course=course, cycle=cycle, replaces=replaces
    )
    expires_on = None
    if template and template.valid_months:
        expires_on = _add_months(today, template.valid_months)
    return Certificate.objects.create(
        person=person,
        course=course,
        cycle=cycle,
        serial=serial_next(prefix=prefix, year=today.year),
        code=verification_code_new(),
        holder_name=person.real_name,
        course_title=course.title,
        credit_hours=courses_selectors.course_credit_hours(
            person=person, course=course, credit_year=cycle
        ),
        issuer=template.effective_issuer if template else settings.CERTIFICATE_ISSUER,
        issued_on=today,
        completed_on=completed_on,
        basis=basis,
        expires_on=expires_on,
        template=template,
        replaces=replaces,
    )


def certificate_claim(*, person: Person, course: CoursePage, cycle: int) -> Certificate:
    """The person's certificate for a course and cycle, created (pending) if there is none.

    Runs in its own short transaction. An existing certificate in any state, revoked
    included, is returned as it is: a completion that fires again never issues a second one.
    """
    existing = (
        Certificate.objects.filter(person=person, course=course, cycle=cycle)
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            certificate = _new_certificate(person=person, course=course, cycle=cycle)
            _event(certificate, "claimed")
    except IntegrityError:
        # A concurrent trigger won the race; its certificate is the one.
        return Certificate.objects.get(
            person=person, course=course, cycle=cycle, status__in=LIVE_STATES
        )
    return certificate


def content_of(certificate: Certificate) -> rendering.CertificateContent:
    """What the PDF says, from the certificate's own copy of the facts."""
    return rendering.CertificateContent(
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        credit_hours=certificate.credit_hours,
        issued_on=certificate.issued_on,
        serial=certificate.serial,
        issuer=certificate.issuer,
        verify_url=verify_url(certificate.code),
        expires_on=certificate.expires_on,
        completed_on=certificate.completed_on,
        basis=certificate.basis,
    )


def layout_of(template: CertificateTemplate | None) -> rendering.Layout:
    if template is None:
        return rendering.Layout()
    return rendering.Layout(
        title=template.title,
        body=template.body,
        orientation=template.orientation,
        background=template.background.file.name if template.background else None,
        seal=template.seal.file.name if template.seal else None,
    )


def verify_url(code: str) -> str:
    """The public address printed under the QR code: the site's base URL (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + reverse("certificates:verify", args=[code])


def template_preview_pdf(*, template: CertificateTemplate) -> bytes:
    """A template rendered for a made-up holder, as the admin's live preview shows it."""
    today = timezone.localdate()
    course = template.course
    content = rendering.CertificateContent(
        holder_name="张晓明",
        course_title=course.title if course else "数字政府建设概论",
        credit_hours=course.credit_hours if course else Decimal("12.0"),
        issued_on=today,
        serial=f"{template.effective_serial_prefix}-{today.year}-000123",
        issuer=template.effective_issuer,
        verify_url=verify_url("PREVIEW0000000000"[:CODE_LENGTH]),
        expires_on=_add_months(today, template.valid_months) if template.valid_months else None,
        completed_on=today - timedelta(days=3),
        basis=wording.basis_for(
            completion_rule=course.completion_rule if course else "lessons", exam_passed=True
        ),
    )
    return rendering.render_pdf(content, layout_of(template))


def certificate_render(*, certificate: Certificate) -> Certificate:
    """Render a pending certificate and mark it issued; anything else is left as it is.

    Safe to run twice or after a worker died half-way: only the run whose conditional
    update flips ``pending`` to ``issued`` has its file kept.
    """
    certificate = Certificate.objects.select_related("template__background", "template__seal").get(
        pk=certificate.pk
    )
    if certificate.status != CertificateStatus.PENDING:
        return certificate
    try:
        pdf = rendering.render_pdf(content_of(certificate), layout_of(certificate.template))
    except (rendering.GlyphsMissing, rendering.LayoutInvalid) as error:
        updated = Certificate.objects.filter(pk=certificate.pk, status="pending").update(
            status=CertificateStatus.FAILED, failure=str(error)
        )
        if updated:
            _event(certificate, "failed", note=str(error))
        certificate.refresh_from_db()
        return certificate
    if signing.signing_enabled():
        pdf = signing.sign_pdf(pdf)
    # An unguessable name: serial and code are printed on the public verify page.
    name = private_storage().save(
        private_name(f"certificates/{certificate.issued_on.year}", ".pdf"), ContentFile(pdf)
    )
    with transaction.atomic():
        updated = Certificate.objects.filter(pk=certificate.pk, status="pending").update(
            status=CertificateStatus.ISSUED, pdf=name, failure=""
        )
        if updated:
            _event(certificate, "issued")
    if not updated:
        private_storage().delete(name)  # another run finished first; its file is the one
    certificate.refresh_from_db()
    return certificate


def certificate_issue(*, person: Person, course: CoursePage, cycle: int) -> Certificate:
    """Issue the certificate of a completed course: claim it, then render it if still pending."""
    if (
        courses_selectors.completed_enrolment(person=person, course=course, credit_year=cycle)
        is None
    ):
        raise CertificateRefused(_("The course has not been completed in %s.") % cycle)
    certificate = certificate_claim(person=person, course=course, cycle=cycle)
    return certificate_render(certificate=certificate)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by: Person, reason: str) -> Certificate:
    """Revoke a certificate with a reason; it stays on record and verifies as revoked."""
    reason = reason.strip()
    if not reason:
        raise CertificateRefused({"reason": _("Give the reason for revoking.")})
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.status not in (CertificateStatus.ISSUED, CertificateStatus.FAILED):
        raise CertificateRefused(_("Only a valid certificate can be revoked."))
    status_before = certificate.status
    withdrawn = certificate.pdf.name
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = by
    certificate.revoke_reason = reason[:300]
    # The PDF is withdrawn: a revoked certificate verifies as revoked, and no copy of it is
    # handed out any more (the file goes once the revocation is committed).
    certificate.pdf = ""
    certificate.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason", "pdf"])
    if withdrawn:
        transaction.on_commit(lambda: private_storage().delete(withdrawn))
    _event(certificate, "revoked", by, reason)
    audit_record(
        action="certificate.revoke",
        obj=certificate,
        subject_person_id=certificate.person_id,
        subject_path=_holder_path(certificate),
        before={"status": status_before},
        after={"status": certificate.status, "reason": certificate.revoke_reason},
        note=certificate.revoke_reason,
    )
    return certificate


def _holder_path(certificate: Certificate) -> str:
    # Where the holder sits now: the HR officers over that subtree see the record.
    path = Person.objects.filter(pk=certificate.person_id).values_list("org_unit__path", flat=True)
    return path.first() or ""


def certificate_reissue(*, certificate: Certificate, by: Person, reason: str = "") -> Certificate:
    """Issue a fresh certificate (new serial and code, today's name and course title) in
    place of an old one, which stays as history marked replaced (or revoked)."""
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if hasattr(old, "replaced_by"):
            raise CertificateRefused(_("This certificate has already been re-issued."))
        if old.status == CertificateStatus.PENDING:
            raise CertificateRefused(_("This certificate is still being issued."))
        if old.status in LIVE_STATES:
            old.status = CertificateStatus.SUPERSEDED
            old.save(update_fields=["status"])
        _event(old, "replaced", by, reason)
        person = Person.objects.get(pk=old.person_id)
        course = CoursePage.objects.get(pk=old.course_id)
        new = _new_certificate(person=person, course=course, cycle=old.cycle, replaces=old)
        _event(new, "reissued", by, reason)
        audit_record(
            action="certificate.reissue",
            obj=new,
            subject_person_id=person.pk,
            subject_path=person.org_unit.path if person.org_unit_id else "",
            before={"certificate": old.pk, "serial": old.serial, "status": old.status},
            after={"certificate": new.pk, "serial": new.serial, "holder_name": new.holder_name},
            note=reason,
        )
    return certificate_render(certificate=new)


def certificate_retry_failed(*, certificate: Certificate) -> Certificate:
    """After a font was installed or a name corrected: try a failed certificate again."""
    name = Person.objects.values_list("real_name", flat=True).get(pk=certificate.person_id)
    Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.FAILED).update(
        status=CertificateStatus.PENDING, failure="", holder_name=name
    )
    return certificate_render(certificate=certificate)


# --- bulk jobs (HR officers) ------------------------------------------------------------

CHUNK_SIZE = 25  # certificates per worker task: progress steps, and work spread over workers
ZIP_KEEP_DAYS = 7  # a ZIP is a download, not an archive: the PDFs themselves stay
ACTIVE = (BulkJobStatus.QUEUED, BulkJobStatus.RUNNING)


def bulk_job_create(
    *,
    kind: str,
    requested_by: Person,
    visible: QuerySet[Person],
    org_unit: OrgUnit | None = None,
    training_plan: TrainingPlan | None = None,
    course: CoursePage | None = None,
) -> BulkJob:
    """Record a bulk request over a subtree or a plan, within what the officer may see; the
    work itself runs in the background (``bulk_job_start_task`` on commit)."""
    if (org_unit is None) == (training_plan is None):
        raise CertificateRefused(_("Choose either an organisation unit or a training plan."))
    job = BulkJob.objects.create(
        kind=kind,
        requested_by=requested_by,
        org_unit=org_unit,
        training_plan=training_plan,
        course=course,
    )
    job.total = len(bulk_job_targets(job=job, visible=visible))
    job.save(update_fields=["total"])
    return job


def bulk_job_people(*, job: BulkJob, visible: QuerySet[Person]) -> QuerySet[Person]:
    if job.training_plan is not None:
        people = courses_selectors.training_plan_people(job.training_plan)
    else:
        assert job.org_unit is not None
        people = Person.objects.filter(org_unit__path__startswith=job.org_unit.path)
    # A filter can only narrow the officer's scope, never widen it.
    return people.filter(pk__in=visible.values("pk"))


def bulk_job_targets(*, job: BulkJob, visible: QuerySet[Person]) -> list[int]:
    """Ids the job works through: completed enrolments to issue, certificates to re-issue
    or to put in the ZIP."""
    people = bulk_job_people(job=job, visible=visible)
    if job.kind == BulkJobKind.ISSUE:
        enrolments = courses_selectors.completions(people=people, course=job.course)
        if job.training_plan is not None:
            enrolments = enrolments.filter(course__in=job.training_plan.courses.all())
        return list(enrolments.values_list("pk", flat=True))
    certificates = Certificate.objects.filter(person__in=people)
    if job.course is not None:
        certificates = certificates.filter(course=job.course)
    elif job.training_plan is not None:
        certificates = certificates.filter(course__in=job.training_plan.courses.all())
    states = [CertificateStatus.ISSUED]
    if job.kind == BulkJobKind.REISSUE:
        states = [CertificateStatus.ISSUED, CertificateStatus.FAILED]
    return list(
        certificates.filter(status__in=states)
        .order_by("person_id", "pk")
        .values_list("pk", flat=True)
    )


def bulk_job_cancel(*, job: BulkJob) -> BulkJob:
    """Stop a queued or running job: slices not yet started do nothing, a ZIP is not kept.

    Certificates already issued or re-issued stay (each is whole and audited); a slice that
    is running when the job is cancelled finishes its 25 and is counted.
    """
    stopped = BulkJob.objects.filter(pk=job.pk, status__in=ACTIVE).update(
        status=BulkJobStatus.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    if not stopped:
        raise CertificateRefused(_("This job has already finished."))
    return job


def bulk_job_cancelled(job: BulkJob) -> bool:
    return BulkJob.objects.filter(pk=job.pk, status=BulkJobStatus.CANCELLED).exists()


def bulk_chunk_run(*, job: BulkJob, index: int, ids: list[int]) -> BulkJobChunk:
    """Do one slice of a bulk job and count it once; a re-run of a counted slice does nothing."""
    existing = BulkJobChunk.objects.filter(job=job, index=index).first()
    if existing is not None:
        return existing
    if bulk_job_cancelled(job):
        return BulkJobChunk(job=job, index=index)  # not saved: nothing was done
    done = failed = 0
    for target in ids:
        try:
            if job.kind == BulkJobKind.ISSUE:
                enrolment = (
                    Enrolment.objects.select_related("person", "course").filter(pk=target).first()
                )
                if enrolment is None or enrolment.completed_at is None:
                    failed += 1
                    continue
                certificate = certificate_issue(
                    person=enrolment.person,
                    course=enrolment.course,
                    cycle=courses_services.credit_year_of(enrolment.completed_at),
                )
            else:
                old = Certificate.objects.get(pk=target)
                certificate = certificate_reissue(
                    certificate=old, by=job.requested_by, reason=_("Bulk re-issue #%s") % job.pk
                )
        except (CertificateRefused, Certificate.DoesNotExist):
            failed += 1
            continue
        if certificate.status == CertificateStatus.FAILED:
            failed += 1
        else:
            done += 1
    try:
        with transaction.atomic():
            chunk = BulkJobChunk.objects.create(job=job, index=index, done=done, failed=failed)
    except IntegrityError:
        return BulkJobChunk.objects.get(job=job, index=index)
    bulk_job_progress(job=job)
    return chunk


def bulk_job_progress(*, job: BulkJob) -> BulkJob:
    """Recount a job's progress from its finished slices; finish it when all are in."""
    totals = BulkJobChunk.objects.filter(job=job).aggregate(done=Sum("done"), failed=Sum("failed"))
    done, failed = totals["done"] or 0, totals["failed"] or 0
    finished = done + failed >= job.total
    # A cancelled job still counts the slice that was running when it stopped.
    BulkJob.objects.filter(pk=job.pk).update(done=done, failed=failed)
    BulkJob.objects.filter(pk=job.pk, status__in=ACTIVE).update(
        status=BulkJobStatus.DONE if finished else BulkJobStatus.RUNNING,
        finished_at=timezone.now() if finished else None,
    )
    job.refresh_from_db()
    return job


def bulk_zip_build(*, job: BulkJob, visible: QuerySet[Person]) -> BulkJob:
    """Put the issued certificates in scope into one ZIP, named by unit, person and serial."""
    ids = bulk_job_targets(job=job, visible=visible)
    started = BulkJob.objects.filter(pk=job.pk, status__in=ACTIVE).update(
        status=BulkJobStatus.RUNNING, total=len(ids), done=0
    )
    if not started:  # cancelled before a worker got to it
        job.refresh_from_db()
        return job
    certificates = Certificate.objects.filter(pk__in=ids).select_related("person__org_unit")
    with tempfile.TemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            # PDFs are compressed already; storing them keeps the ZIP fast to build.
            for count, certificate in enumerate(certificates.iterator(chunk_size=500), 1):
                with certificate.pdf.open("rb") as pdf:
                    archive.writestr(zip_entry_name(certificate), pdf.read())
                if count % 100 == 0:
                    BulkJob.objects.filter(pk=job.pk).update(done=count)
                    if bulk_job_cancelled(job):
                        job.refresh_from_db()
                        return job  # the half-built ZIP goes with the temporary file
        buffer.seek(0)
        name = job.result.storage.save(private_name("certificate-zips", ".zip"), File(buffer))
    finished = BulkJob.objects.filter(pk=job.pk, status__in=ACTIVE).update(
        result=name, done=len(ids), status=BulkJobStatus.DONE, finished_at=timezone.now()
    )
    if not finished:  # cancelled while the last entries were written
        job.result.storage.delete(name)
    job.refresh_from_db()
    return job


def bulk_zip_downloaded(*, job: BulkJob) -> None:
    """Record that the officer took the ZIP: a bulk download of personal data (audit)."""
    unit = job.org_unit or (job.training_plan.org_unit if job.training_plan else None)
    audit_record(
        action="download.bulk_zip",
        obj=job,
        subject_path=unit.path if unit else "",
        after={"certificates": job.done},
    )


def zip_entry_name(certificate: Certificate) -> str:
    """``<unit>/<name>-<employee number>-<serial>.pdf``, each part made safe: whatever a
    unit or a person is called, an entry never climbs out of the folder it is unpacked in
    (no ``..``, no slashes, no drive letters, no control characters)."""
    org_unit = certificate.person.org_unit if certificate.person.org_unit_id else None
    unit = _zip_part(org_unit.name if org_unit else _("No unit"))
    stem = "-".join(
        _zip_part(part)
        for part in (
            certificate.holder_name,
            certificate.person.employee_number,
            certificate.serial,
        )
    )
    return f"{unit}/{stem}.pdf"


def _zip_part(text: str) -> str:
    cleaned = "".join(
        "_" if char in '/\\:*?"<>|' or not char.isprintable() else char
        for char in unicodedata.normalize("NFC", text)
    )
    # No ".." anywhere; leading dots would make a hidden file, trailing dots and spaces
    # upset Windows.
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(" .")[:60].strip(" .")
    return cleaned or "_"


def bulk_zips_expire(*, now: datetime | None = None) -> int:
    """Delete ZIPs older than ZIP_KEEP_DAYS (the certificates stay); how many went."""
    now = now or timezone.now()
    expired = BulkJob.objects.filter(
        finished_at__lt=now - timedelta(days=ZIP_KEEP_DAYS), status=BulkJobStatus.DONE
    ).exclude(result="")
    count = 0
    for job in expired:
        job.result.delete(save=False)
        job.message = _("The ZIP was deleted after %(days)s days; build a new one if needed.") % {
            "days": ZIP_KEEP_DAYS
        }
        job.save(update_fields=["result", "message"])
        count += 1
    return count
