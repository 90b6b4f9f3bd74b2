"""Pre-aggregated training figures (培训统计) and the HR officers' export jobs.

The figures are derived data: ``dashboards.figures`` computes them from the ledger,
enrolments, attempts and certificates, ``dashboards.refresh`` stores them here (only the
rows that changed), and a nightly check recomputes everything and repairs any difference.
Nothing else writes these tables; a page reads one row per unit instead of grouping
millions of ledger rows per request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.files import private_storage
from org.models import OrgUnit, Person


class Basis(models.TextChoices):
    """What moment a row describes: the year so far (or its end, for a past year), or
    last year as it stood on this day of the year, for the comparison."""

    YEAR = "year", _("The year so far")
    SAME_DAY = "same_day", _("Same day last year")


class PersonYear(models.Model):
    """One active person's figures in one credit year, counted where the person is now."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    # Copies of the unit's path and the person's number and rank, so that a subtree's list
    # is one index range in the order HR reads it (unit, then employee number).
    path = models.CharField(max_length=255)
    employee_number = models.CharField(max_length=32)
    rank = models.CharField(max_length=24)
    hours = models.DecimalField(max_digits=7, decimal_places=1, default=Decimal("0"))
    target = models.DecimalField(max_digits=5, decimal_places=1)
    participated = models.BooleanField(default=False)
    reached = models.BooleanField(default=False)
    # The month (1-12) in which the year's hours first reached the target, else None.
    reached_month = models.PositiveSmallIntegerField(null=True, blank=True)
    mandatory_assigned = models.PositiveIntegerField(default=0)
    mandatory_done = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    exams_passed = models.PositiveIntegerField(default=0)
    certificates = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="person_year_once"),
        ]
        indexes = [
            models.Index(
                fields=["year", "path", "employee_number"],
                name="person_year_by_path",
                opclasses=["int2_ops", "varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}: {self.hours}/{self.target}"


class UnitYear(models.Model):
    """The figures of one unit in one year: of the people sitting directly in it
    (``subtree`` False) or of its whole subtree (True)."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255)
    year = models.PositiveSmallIntegerField()
    basis = models.CharField(max_length=10, choices=Basis.choices)
    subtree = models.BooleanField()
    people = models.PositiveIntegerField(default=0)
    participants = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(max_digits=12, decimal_places=1, default=Decimal("0"))
    mandatory_assigned = models.PositiveIntegerField(default=0)
    mandatory_done = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    exams_passed = models.PositiveIntegerField(default=0)
    certificates = models.PositiveIntegerField(default=0)
    # People by hours: none, then under 25 %, 50 %, 75 %, 100 % of their target, at or above.
    bands = models.JSONField(default=list)
    # Per month 1-12: hours credited in the month (as text, exact), and people whose hours
    # had reached their target by the month's end.
    month_hours = models.JSONField(default=list)
    month_reached = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "year", "basis", "subtree"], name="unit_year_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["year", "basis", "subtree", "path"],
                name="unit_year_by_path",
                opclasses=["int2_ops", "varchar_pattern_ops", "bool_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.year} {self.basis}{' subtree' if self.subtree else ''}"


class Refresh(models.Model):
    """One computation of a year's figures: when, as of when, how long, what changed."""

    year = models.PositiveSmallIntegerField()
    basis = models.CharField(max_length=10, choices=Basis.choices)
    # The moment the figures describe (now, the year's end, or this moment last year).
    as_of = models.DateTimeField()
    computed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0)
    # Rows written because they differed from the stored ones.
    changed = models.PositiveIntegerField(default=0)
    verification = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["year", "basis", "-computed_at"], name="refresh_latest")]

    def __str__(self) -> str:
        return f"{self.year} {self.basis} as of {self.as_of:%Y-%m-%d %H:%M}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A table an HR officer asked to download, written by a worker, for them alone."""

    requested_by = models.ForeignKey(
        Person, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    table = models.CharField(_("table"), max_length=20)
    file_format = models.CharField(_("format"), max_length=4)
    # The request's parameters (year, unit, filters), after validation; and their digest,
    # so that a second click on the same export finds the job the first one started.
    params = models.JSONField(default=dict)
    key = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    result = models.FileField(upload_to="exports/", storage=private_storage, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        constraints = [
            # Two clicks on "export" start one job: one unfinished job per person and key.
            models.UniqueConstraint(
                fields=["requested_by", "key"],
                condition=Q(status__in=["queued", "running"]),
                name="export_once_while_unfinished",
            ),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_latest")]

    def __str__(self) -> str:
        return f"{self.table}.{self.file_format} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return 0 if not self.total else min(99, round(100 * self.done / self.total))

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "percent": self.percent,
            "done": self.done,
            "total": self.total,
            "message": self.message,
        }
