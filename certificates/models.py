"""Certificates (结业证书): templates trainers design, and certificates issued once per person,
course and cycle, each with a yearly serial number and an opaque verification code."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import PreviewableMixin

from certificates.wording import CompletionBasis, achievement
from courses.models import CoursePage, TrainingPlan
from org.files import private_storage
from org.models import OrgUnit, Person


class Orientation(models.TextChoices):
    LANDSCAPE = "landscape", _("A4 landscape")
    PORTRAIT = "portrait", _("A4 portrait")


class CertificateTemplate(PreviewableMixin, models.Model):
    """What a course's certificate says and looks like; one per course, or the default."""

    name = models.CharField(_("name"), max_length=120)
    course = models.OneToOneField(
        CoursePage,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="certificate_template",
        help_text=_("Leave empty for the default template, used by courses without their own."),
    )
    title = models.CharField(_("title"), max_length=40, default="结业证书")
    body = models.TextField(
        _("body"),
        help_text=_(
            "Placeholders: {name} {course} {hours}, {completed} (the completion date), "
            "{achievement} (what was achieved, worded by the course's completion rule), "
            "{date} (the issue date), {serial} {issuer}. Each line is a paragraph."
        ),
    )
    issuer = models.CharField(
        _("issuing body"),
        max_length=120,
        blank=True,
        help_text=_("Leave empty for the portal's issuing body (the CERTIFICATE_ISSUER setting)."),
    )
    orientation = models.CharField(
        _("page"), max_length=10, choices=Orientation.choices, default=Orientation.LANDSCAPE
    )
    background = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("background image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    seal = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("seal image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    serial_prefix = models.CharField(
        _("serial prefix"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{1,8}$", _("One to eight capital letters."))],
        help_text=_(
            "Serial numbers read PREFIX-YEAR-NUMBER, e.g. ZJ-2026-000123. Leave empty for the "
            "portal's prefix (the CERTIFICATE_SERIAL_PREFIX setting)."
        ),
    )
    valid_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("For training that must be renewed, e.g. 12; empty means no expiry."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")
        constraints = [
            # Exactly one default: the template of every course without its own.
            models.UniqueConstraint(
                Coalesce("course", Value(0)),
                condition=Q(course__isnull=True),
                name="certificate_template_one_default",
                violation_error_message=_("There is already a default template."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_issuer(self) -> str:
        return self.issuer or settings.CERTIFICATE_ISSUER

    @property
    def effective_serial_prefix(self) -> str:
        return self.serial_prefix or settings.CERTIFICATE_SERIAL_PREFIX

    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        """The admin's live preview: the unsaved template as a PDF with a sample holder."""
        from certificates import services

        try:
            pdf = services.template_preview_pdf(template=self)
        except ValueError as error:  # a wrong placeholder, or glyphs no font has
            return HttpResponse(str(error), content_type="text/plain; charset=utf-8", status=400)
        return HttpResponse(pdf, content_type="application/pdf")


class CertificateStatus(models.TextChoices):
    PENDING = "pending", _("Being issued")
    ISSUED = "issued", _("Valid")
    FAILED = "failed", _("Could not be issued")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Replaced by a re-issue")


# A person holds at most one live certificate per course and cycle; revoked and replaced
# ones stay as history.
LIVE_STATES = [CertificateStatus.PENDING, CertificateStatus.ISSUED, CertificateStatus.FAILED]


class Certificate(models.Model):
    """One certificate. Holder, course and hours are copied at issue: later renames of a
    person or course do not change a certificate already in someone's hands."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="certificates"
    )
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.PROTECT, related_name="+"
    )
    cycle = models.PositiveSmallIntegerField(
        _("cycle"), help_text=_("The credit year in which the course was completed.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CertificateStatus.choices, default="pending"
    )
    serial = models.CharField(_("serial number"), max_length=24, unique=True)
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    holder_name = models.CharField(_("holder"), max_length=60)
    course_title = models.CharField(_("course title"), max_length=255)
    credit_hours = models.DecimalField(_("credit hours"), max_digits=5, decimal_places=1)
    issuer = models.CharField(_("issuing body"), max_length=120)
    issued_on = models.DateField(_("issued on"))
    # The day the course was completed (the enrolment's and the ledger's date), and what the
    # completion rule asked for: what the certificate states, copied at issue (wording.py).
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    basis = models.CharField(
        _("issued for"),
        max_length=20,
        choices=CompletionBasis.choices,
        default=CompletionBasis.LESSONS,
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    template = models.ForeignKey(
        CertificateTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Private: never under MEDIA_ROOT, unguessable names, served by views (org/files.py).
    pdf = models.FileField(
        _("PDF"), upload_to="certificates/%Y/", storage=private_storage, blank=True
    )
    failure = models.TextField(_("why it could not be issued"), blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course", "cycle"],
                condition=Q(status__in=LIVE_STATES),
                name="certificate_once_per_person_course_cycle",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_at__isnull=False) & ~Q(revoke_reason=""),
                name="certificate_revoked_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | ~Q(pdf=""), name="certificate_issued_has_pdf"
            ),
        ]
        indexes = [models.Index(fields=["person", "status"], name="certificate_person_status")]

    def __str__(self) -> str:
        return self.serial

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()

    @property
    def achievement(self) -> str:
        return achievement(self.basis)


class SerialCounter(models.Model):
    """The last serial number used per prefix and year; a row lock hands out the next."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="serial_counter_once"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class CertificateEvent(models.Model):
    """The audit trail: issued, failed, revoked, re-issued, downloaded in bulk — who and why."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.action}"


class BulkJobKind(models.TextChoices):
    ISSUE = "issue", _("Issue missing certificates")
    REISSUE = "reissue", _("Re-issue certificates")
    ZIP = "zip", _("Download as ZIP")


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class BulkJob(models.Model):
    """An HR officer's bulk request over a training plan or an org subtree, run by a worker."""

    kind = models.CharField(_("action"), max_length=10, choices=BulkJobKind.choices)
    requested_by = models.ForeignKey(
        Person, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    training_plan = models.ForeignKey(
        TrainingPlan,
        verbose_name=_("training plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    course = models.ForeignKey(
        CoursePage,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BulkJobStatus.choices, default="queued"
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    result = models.FileField(upload_to="certificate-zips/", storage=private_storage, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulk certificate job")
        verbose_name_plural = _("bulk certificate jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(org_unit__isnull=False) | Q(training_plan__isnull=False),
                name="bulk_job_has_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * (self.done + self.failed) / self.total)


class BulkJobChunk(models.Model):
    """One finished slice of a bulk job: progress counts each slice once, however often a
    worker ran it."""

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="bulk_chunk_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index}"
