"""Keeping the stored figures true: recompute, write what changed, check nightly.

``refresh`` recomputes one year's figures from the raw rows (``dashboards.figures``) and
writes only the rows that differ from the stored ones, in one transaction, so a page reads
either the old figures or the new, never half of each. ``refresh_due`` (beat, every
``DASHBOARD_REFRESH_MINUTES``) refreshes every year with data and last year's same-day
comparison, so no figure is older than ``DASHBOARD_MAX_AGE_MINUTES``. ``verify`` (nightly)
recomputes everything, repairs any difference and logs it: a difference means the stored
figures had drifted from the rows (a failed write, an edit by hand).
"""

from __future__ import annotations

import logging
import time as clock
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from courses.models import CreditRecord, TrainingPlan
from dashboards import figures
from dashboards.models import Basis, PersonYear, Refresh, UnitYear
from org.models import OrgUnit

log = logging.getLogger(__name__)

BATCH = 2_000
PERSON_FIELDS = (
    "org_unit_id",
    "path",
    "employee_number",
    "rank",
    "hours",
    "target",
    "participated",
    "reached",
    "reached_month",
    "mandatory_assigned",
    "mandatory_done",
    "overdue",
    "exams_passed",
    "certificates",
)
UPDATE_FIELDS = [
    name.removesuffix("_id") if name == "org_unit_id" else name for name in PERSON_FIELDS
]


def as_of_for(year: int, basis: str, now: datetime) -> datetime:
    """The moment a row of ``basis`` describes, at ``now``."""
    if basis == Basis.SAME_DAY:
        return figures.same_moment_a_year_before(now)
    return min(now, figures.year_end(year))


def years_with_data(now: datetime | None = None) -> list[int]:
    """The credit years a dashboard can show: from the first year with credits or plans
    to this year (Asia/Shanghai), newest first."""
    this_year = timezone.localtime(now or timezone.now()).year
    bounds = [
        CreditRecord.objects.aggregate(first=Min("credit_year"), last=Max("credit_year")),
        TrainingPlan.objects.aggregate(first=Min("credit_year"), last=Max("credit_year")),
    ]
    first = min([this_year, *(b["first"] for b in bounds if b["first"])])
    return list(range(this_year, first - 1, -1))


def years_shown(now: datetime | None = None) -> list[int]:
    """The years a page offers: this year and every year that has been computed, newest
    first. Read from the small table of computations, never from the ledger, so a page
    pays nothing for it at any size."""
    this_year = timezone.localtime(now or timezone.now()).year
    computed = Refresh.objects.filter(basis=Basis.YEAR).values_list("year", flat=True)
    return sorted({this_year, *computed.distinct()}, reverse=True)


def latest(year: int, basis: str = Basis.YEAR) -> Refresh | None:
    return Refresh.objects.filter(year=year, basis=basis).order_by("-computed_at").first()


def refresh(
    year: int, basis: str = Basis.YEAR, *, now: datetime | None = None, verification: bool = False
) -> Refresh:
    """Recompute ``year`` as of ``basis``'s moment and store what changed."""
    started = clock.monotonic()
    now = now or timezone.now()
    as_of = as_of_for(year, basis, now)
    people = figures.person_figures(year, as_of)
    units = list(OrgUnit.objects.values_list("pk", "path").order_by("path"))
    direct, subtree = figures.unit_totals(people, units)
    paths = dict(units)
    with transaction.atomic():
        changed = _store_units(year, basis, direct, subtree, paths)
        if basis == Basis.YEAR:
            changed += _store_people(year, people)
        record = Refresh.objects.create(
            year=year,
            basis=basis,
            as_of=as_of,
            computed_at=now,
            seconds=round(clock.monotonic() - started, 3),
            changed=changed,
            verification=verification,
        )
    # The record of each computation is kept a day (the nightly checks a month).
    Refresh.objects.filter(
        year=year, basis=basis, verification=False, computed_at__lt=now - timedelta(days=1)
    ).delete()
    Refresh.objects.filter(
        year=year, basis=basis, verification=True, computed_at__lt=now - timedelta(days=31)
    ).delete()
    if verification and changed:
        log.warning(
            "Dashboard figures of %s (%s) differed from a full recomputation in %d rows; repaired.",
            year,
            basis,
            changed,
        )
    return record


def _store_units(
    year: int,
    basis: str,
    direct: dict[int, list[int]],
    subtree: dict[int, list[int]],
    paths: dict[int, str],
) -> int:
    stored = {
        (row.org_unit_id, row.subtree): row
        for row in UnitYear.objects.filter(year=year, basis=basis).iterator(chunk_size=BATCH)
    }
    creates: list[UnitYear] = []
    updates: list[UnitYear] = []
    for is_subtree, table in ((False, direct), (True, subtree)):
        for unit_id, totals in table.items():
            row = stored.pop((unit_id, is_subtree), None)
            values = figures.unit_row(totals)
            if row is None:
                creates.append(
                    UnitYear(
                        org_unit_id=unit_id,
                        path=paths[unit_id],
                        year=year,
                        basis=basis,
                        subtree=is_subtree,
                        **values,
                    )
                )
            elif figures.totals_of_row(row) != totals or row.path != paths[unit_id]:
                for name, value in values.items():
                    setattr(row, name, value)
                row.path = paths[unit_id]
                updates.append(row)
    UnitYear.objects.bulk_create(creates, batch_size=BATCH)
    UnitYear.objects.bulk_update(
        updates, ["path", *figures.unit_row(figures.empty_totals())], batch_size=BATCH
    )
    gone = [row.pk for row in stored.values()]
    for start in range(0, len(gone), BATCH):
        UnitYear.objects.filter(pk__in=gone[start : start + BATCH]).delete()
    return len(creates) + len(updates) + len(gone)


def _store_people(year: int, people: dict[int, figures.PersonFigures]) -> int:
    stored = {
        values[0]: values[1:]
        for values in PersonYear.objects.filter(year=year)
        .values_list("person_id", *PERSON_FIELDS)
        .iterator(chunk_size=10_000)
    }
    creates: list[PersonYear] = []
    updates: list[PersonYear] = []
    for person_id, person in people.items():
        values = figures.person_row(person)
        fresh = tuple(values[name] for name in PERSON_FIELDS)
        old = stored.pop(person_id, None)
        if old is None:
            creates.append(PersonYear(person_id=person_id, year=year, **values))
        elif old != fresh:
            updates.append(PersonYear(person_id=person_id, year=year, **values))
    PersonYear.objects.bulk_create(creates, batch_size=BATCH)
    if updates:
        ids = {
            person_id: pk
            for pk, person_id in PersonYear.objects.filter(
                year=year, person_id__in=[row.person_id for row in updates]
            ).values_list("pk", "person_id")
        }
        for row in updates:
            row.pk = ids[row.person_id]
        PersonYear.objects.bulk_update(updates, UPDATE_FIELDS, batch_size=BATCH)
    gone = list(stored)
    for start in range(0, len(gone), BATCH):
        PersonYear.objects.filter(year=year, person_id__in=gone[start : start + BATCH]).delete()
    return len(creates) + len(updates) + len(gone)


def refresh_due(*, now: datetime | None = None, verification: bool = False) -> list[Refresh]:
    """Every year with data, and last year as it stood a year ago today (the comparison)."""
    now = now or timezone.now()
    years = years_with_data(now)
    done = [refresh(year, Basis.YEAR, now=now, verification=verification) for year in years]
    if len(years) > 1:
        done.append(refresh(years[1], Basis.SAME_DAY, now=now, verification=verification))
    return done


def verify(*, now: datetime | None = None) -> int:
    """The nightly proof: a full recomputation of every year; returns the rows repaired."""
    return sum(record.changed for record in refresh_due(now=now, verification=True))


def max_age() -> timedelta:
    return timedelta(minutes=settings.DASHBOARD_MAX_AGE_MINUTES)


def is_stale(record: Refresh | None, *, now: datetime | None = None) -> bool:
    return record is None or (now or timezone.now()) - record.computed_at > max_age()


LOCK = "dashboards:refresh-running"


def ensure_fresh(year: int, *, now: datetime | None = None) -> Refresh | None:
    """The latest computation of ``year`` for a page, recomputed first when it is older
    than the allowed age: in the request where tasks run eagerly (the embedded default,
    small data), else by the worker while the page shows the figures it has (and says
    when they were computed)."""
    now = now or timezone.now()
    record = latest(year)
    if not is_stale(record, now=now):
        return record
    from dashboards import tasks  # the task module imports this one

    if settings.CELERY_TASK_ALWAYS_EAGER:
        refresh_due(now=now)
        return latest(year)
    if cache.add(LOCK, "1", timeout=int(max_age().total_seconds())):
        tasks.dashboards_refresh.delay()
    return record


def comparison_basis(year: int, now: datetime | None = None) -> tuple[int, str]:
    """What a year's figures compare with: last year on the same day while the year runs,
    the whole of last year once it has ended."""
    this_year = timezone.localtime(now or timezone.now()).year
    return year - 1, (Basis.SAME_DAY if year == this_year else Basis.YEAR)


def describe(record: Refresh | None) -> dict[str, Any]:
    return {
        "computed_at": record.computed_at if record else None,
        "as_of": record.as_of if record else None,
    }
