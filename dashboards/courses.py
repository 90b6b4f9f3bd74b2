"""The courses table of the training dashboards (/hr/courses/): per course, the year's figures
of the people under a node, computed from the raw rows as the page opens.

For the active people under the node (``node.scope`` narrowed to the node's unit; people
counted where they sit now, as on the home page), per course and credit year ``year``
(Asia/Shanghai, ``figures.year_start``/``year_end``):

* enrolled: enrolments active at some time in the year (enrolled before the year's end and
  not completed before its start);
* completed: enrolments completed in the year; completion rate = completed / enrolled;
* median days: the median of (completed_at - enrolled_at) in days over the year's completions;
* exam takers: distinct people with a graded attempt in the year at an exam of the course;
  exam passed: those of them with a passed one; pass rate = passed / takers;
* mean score: the mean over takers of their best graded attempt's score / max_score, in %;
* certificates: valid (issued) certificates of the course issued in the year.

A course is listed when someone under the node has an enrolment in it (by the year's end)
and it has a figure in the year. Five queries (four on PostgreSQL) whatever the number of
courses and people: enrolments grouped by course, the completions' durations (SQLite only),
best attempts grouped by course and person, certificates grouped by course, the courses.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import django
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from certificates.models import Certificate, CertificateStatus
from courses.models import CoursePage, Enrolment
from dashboards.figures import year_end, year_start
from dashboards.selectors import Node
from exams.models import Attempt, AttemptState

TENTH = Decimal("0.1")
SECONDS_PER_DAY = 86_400


# --- the median in PostgreSQL ----------------------------------------------------------------
#
# A hand-written aggregate: percentile_cont(0.5) WITHIN GROUP (ORDER BY ...), PostgreSQL's
# exact median (linear interpolation between the two middle values, as statistics.median).
# Written against Django 5.2's Aggregate, whose ``filter_template`` wraps our template in
# "... FILTER (WHERE ...)"; checked below at import. Where the check fails, and on SQLite
# (which has no ordered-set aggregates), the portable path fetches the year's completions and
# takes the median in Python: ``median_in_database`` chooses, and tests/dashboards/
# test_courses.py compares both paths on the same data on PostgreSQL.


class Median(Aggregate):
    """The median of a float expression over a group (PostgreSQL only)."""

    function = "percentile_cont"
    name = "Median"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class DaysBetween(Func):
    """(later - earlier) in days as a float (PostgreSQL: timestamptz - timestamptz is an
    interval, whose EXTRACT(EPOCH) is exact seconds)."""

    arg_joiner = " - "
    template = (
        f"CAST(EXTRACT(EPOCH FROM (%(expressions)s)) / {SECONDS_PER_DAY}.0 AS double precision)"
    )
    output_field = FloatField()


MEDIAN_AGGREGATE_FITS = (
    django.VERSION[:2] >= (5, 2)
    and getattr(Aggregate, "filter_template", None) == "%s FILTER (WHERE %%(filter)s)"
)


def median_in_database() -> bool:
    """Whether the median is computed by the database (PostgreSQL) or in Python."""
    return MEDIAN_AGGREGATE_FITS and connection.vendor == "postgresql"


# --- the rows ----------------------------------------------------------------------------------


@dataclass
class CourseRow:
    """One course's figures for a year; rates and means are None where nobody counts."""

    course: CoursePage
    enrolled: int
    completed: int
    completion_rate: Decimal | None  # percent
    median_days: Decimal | None
    exam_takers: int
    exam_passed: int
    pass_rate: Decimal | None  # percent
    mean_score: Decimal | None  # percent of the maximum score
    certificates: int


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(TENTH)


def tenths(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(TENTH)


SORTS: dict[str, Callable[[CourseRow], Any]] = {
    "course": lambda row: row.course.title,
    "enrolled": lambda row: row.enrolled,
    "completed": lambda row: row.completed,
    "completion": lambda row: row.completion_rate,
    "median": lambda row: row.median_days,
    "takers": lambda row: row.exam_takers,
    "passed": lambda row: row.exam_passed,
    "pass_rate": lambda row: row.pass_rate,
    "score": lambda row: row.mean_score,
    "certificates": lambda row: row.certificates,
}
DEFAULT_SORT = "enrolled"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """A sort key and whether it is descending ("-enrolled"); unknown keys: the default."""
    text = (raw or "").strip()
    key = text.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT, True
    return key, text.startswith("-")


def sort_rows(rows: list[CourseRow], sort: str | None) -> list[CourseRow]:
    """Rows in the asked order, rows without the figure last, ties by title."""
    key, descending = parse_sort(sort)
    by_title = sorted(rows, key=lambda row: (row.course.title, row.course.pk))
    present = [row for row in by_title if SORTS[key](row) is not None]
    missing = [row for row in by_title if SORTS[key](row) is None]
    present.sort(key=SORTS[key], reverse=descending)
    return present + missing


def _under_node(queryset: QuerySet[Any], node: Node, *, via: str) -> QuerySet[Any]:
    """Rows of active people under the node: the scope, then the node's unit."""
    rows = node.scope.narrow(queryset, via=f"{via}__org_unit").filter(**{f"{via}__is_active": True})
    if node.unit is not None:
        rows = rows.filter(**{f"{via}__org_unit__path__startswith": node.unit.path})
    return rows


def course_rows(node: Node, year: int, *, sort: str | None = None) -> list[CourseRow]:
    """Per course taken under the node: the year's enrolments, completions, median days to
    complete, exam takers, passes and mean best score, and certificates (see the module)."""
    start, end = year_start(year), year_end(year)
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    in_database = median_in_database()

    completed_in_year = Q(completed_at__gte=start, completed_at__lte=end)
    enrolled_in_year = Q(completed_at__isnull=True) | Q(completed_at__gte=start)
    counts: dict[str, Any] = {
        "total": Count("pk"),
        "enrolled": Count("pk", filter=enrolled_in_year),
        "completed": Count("pk", filter=completed_in_year),
    }
    if in_database:
        counts["median"] = Median(
            DaysBetween(F("completed_at"), F("enrolled_at")), filter=completed_in_year
        )
    enrolments = _under_node(Enrolment.objects.filter(enrolled_at__lte=end), node, via="person")
    by_course = {
        row["course_id"]: row
        for row in enrolments.order_by().values("course_id").annotate(**counts)
    }
    if in_database:
        medians = {pk: tenths(row["median"]) for pk, row in by_course.items()}
    else:
        medians = _medians_in_python(enrolments.filter(completed_in_year))

    best = _under_node(
        Attempt.objects.filter(
            state=AttemptState.GRADED,
            graded_at__gte=start,
            graded_at__lte=end,
            exam__course__isnull=False,
        ),
        node,
        via="person",
    )
    percent = Cast("score", FloatField()) * Value(100.0) / Cast("max_score", FloatField())
    takers: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # takers, passed
    scores: dict[int, list[float]] = defaultdict(list)
    for course_id, _person, score, passed in (
        best.order_by()
        .values("exam__course_id", "person_id")
        .annotate(
            best=Max(Case(When(max_score__gt=0, then=percent), output_field=FloatField())),
            passed_any=Max(
                Case(When(passed=True, then=Value(1)), default=Value(0)),
                output_field=IntegerField(),
            ),
        )
        .values_list("exam__course_id", "person_id", "best", "passed_any")
        .iterator(chunk_size=10_000)
    ):
        takers[course_id][0] += 1
        takers[course_id][1] += passed
        if score is not None:
            scores[course_id].append(score)

    certificates = dict(
        _under_node(
            Certificate.objects.filter(
                status=CertificateStatus.ISSUED,
                issued_on__gte=first_day,
                issued_on__lte=last_day,
            ),
            node,
            via="person",
        )
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values_list("course_id", "n")
    )

    shown = [
        pk
        for pk, row in by_course.items()
        if row["total"] and (row["enrolled"] or pk in takers or certificates.get(pk))
    ]
    rows = []
    for course in CoursePage.objects.filter(pk__in=shown):
        counted = by_course[course.pk]
        taken, passed = takers.get(course.pk, (0, 0))
        course_scores = scores.get(course.pk)
        rows.append(
            CourseRow(
                course=course,
                enrolled=counted["enrolled"],
                completed=counted["completed"],
                completion_rate=rate(counted["completed"], counted["enrolled"]),
                median_days=medians.get(course.pk),
                exam_takers=taken,
                exam_passed=passed,
                pass_rate=rate(passed, taken),
                mean_score=tenths(statistics.fmean(course_scores)) if course_scores else None,
                certificates=certificates.get(course.pk, 0),
            )
        )
    return sort_rows(rows, sort)


def _medians_in_python(completions: QuerySet[Enrolment]) -> dict[int, Decimal | None]:
    """The portable median: every completion's duration, fetched, per course."""
    durations: dict[int, list[float]] = defaultdict(list)
    for course_id, enrolled_at, completed_at in completions.values_list(
        "course_id", "enrolled_at", "completed_at"
    ).iterator(chunk_size=10_000):
        if completed_at is None:  # the filter rules it out; the type does not know
            continue
        spent: timedelta = completed_at - enrolled_at
        durations[course_id].append(spent.total_seconds() / SECONDS_PER_DAY)
    return {pk: tenths(statistics.median(days)) for pk, days in durations.items()}
