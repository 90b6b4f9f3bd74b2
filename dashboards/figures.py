"""The figures of the training dashboards (培训统计): one definition, computed from raw rows.

Everything a dashboard shows is a sum of per-person figures, and this module is the one
place that says what a person's figures are for a credit year ``year`` as of a moment
``as_of`` (now for the year so far; this moment last year for the comparison):

* counted: active people, where they sit now (a person who moved counts in the new unit);
* hours: the ledger's records of the credit year awarded by ``as_of``;
* target: the person's own target (``courses.selectors.credit_target_for``'s rule: the
  deepest unit above the person with a target, a rank match first; else the default);
* participated (参训): a ledger record counted, or lesson time recorded in the year;
* reached (达标): hours at or above the target; ``reached_month`` the month it happened;
* mandatory: mandatory enrolments due in the year, assigned by ``as_of``; done if completed
  by then; overdue if the due date had passed by then without completion;
* exams passed: distinct exams passed (graded) in the year by ``as_of``;
* certificates: valid certificates issued in the year by ``as_of``.

``person_figures`` reads each source once, grouped by person, in a fixed number of queries
whatever the size of the province; ``unit_totals`` sums them per unit and per subtree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus
from courses.models import CreditRecord, CreditTarget, Enrolment, LearningRules, LessonProgress
from exams.models import Attempt
from org.models import OrgUnit, Person

STEPLEN = OrgUnit.steplen
# People by their hours against their own target: none, under a quarter, a half, three
# quarters, the whole, then at or above it.
BANDS = 6
MONTHS = 12


def year_start(year: int) -> datetime:
    """Midnight of 1 January in Asia/Shanghai (TIME_ZONE): where a credit year begins."""
    return timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))


def year_end(year: int) -> datetime:
    """The last microsecond of 31 December in Asia/Shanghai."""
    return year_start(year + 1) - timedelta(microseconds=1)


def same_moment_a_year_before(moment: datetime) -> datetime:
    """This moment last year (29 February becomes 28 February)."""
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year - 1)
    except ValueError:
        return local.replace(year=local.year - 1, day=28)


@dataclass(slots=True)
class PersonFigures:
    person_id: int
    unit_id: int
    path: str
    employee_number: str
    rank: str
    target_tenths: int
    hours_tenths: int = 0
    month_tenths: list[int] = field(default_factory=lambda: [0] * MONTHS)
    participated: bool = False
    mandatory_assigned: int = 0
    mandatory_done: int = 0
    overdue: int = 0
    exams_passed: int = 0
    certificates: int = 0

    @property
    def reached(self) -> bool:
        return self.hours_tenths >= self.target_tenths

    @property
    def reached_month(self) -> int | None:
        if not self.reached:
            return None
        total = 0
        for month, tenths in enumerate(self.month_tenths, start=1):
            total += tenths
            if total >= self.target_tenths:
                return month
        return MONTHS

    @property
    def band(self) -> int:
        """0 for no hours; 1-4 for under 25/50/75/100 % of the target; 5 at or above it."""
        if self.hours_tenths <= 0:
            return 0
        if self.reached:
            return BANDS - 1
        return 1 + min(3, (self.hours_tenths * 4) // max(1, self.target_tenths))


def tenths(hours: Decimal | int | None) -> int:
    return int((Decimal(hours or 0) * 10).to_integral_value())


def targets_resolver(year: int) -> TargetResolver:
    return TargetResolver(
        {
            (path, rank): tenths(hours)
            for path, rank, hours in CreditTarget.objects.filter(credit_year=year).values_list(
                "org_unit__path", "rank", "hours"
            )
        },
        tenths(LearningRules.load().default_annual_target_hours),
    )


class TargetResolver:
    """A person's target from the targets of one year, by unit path and rank (cached)."""

    def __init__(self, targets: dict[tuple[str, str], int], default: int) -> None:
        self.targets = targets
        self.default = default
        self.cache: dict[tuple[str, str], int] = {}

    def __call__(self, path: str, rank: str) -> int:
        key = (path, rank)
        found = self.cache.get(key)
        if found is None:
            found = self.default
            for end in range(len(path), 0, -STEPLEN):
                step = path[:end]
                if (step, rank) in self.targets:
                    found = self.targets[(step, rank)]
                    break
                if (step, "") in self.targets:
                    found = self.targets[(step, "")]
                    break
            self.cache[key] = found
        return found


def person_figures(
    year: int, as_of: datetime, *, people: Iterable[int] | None = None
) -> dict[int, PersonFigures]:
    """Every active person's figures for ``year`` as of ``as_of`` (or only ``people``)."""
    start = year_start(year)
    moment = min(as_of, year_end(year))
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    today = timezone.localtime(moment).date()
    target_of = targets_resolver(year)

    persons = Person.objects.filter(is_active=True)
    ids = None if people is None else sorted(set(people))
    if ids is not None:
        persons = persons.filter(pk__in=ids)
    figures: dict[int, PersonFigures] = {}
    for pk, unit_id, path, number, rank in persons.values_list(
        "pk", "org_unit_id", "org_unit__path", "employee_number", "rank"
    ).iterator(chunk_size=10_000):
        figures[pk] = PersonFigures(
            person_id=pk,
            unit_id=unit_id,
            path=path,
            employee_number=number,
            rank=rank,
            target_tenths=target_of(path, rank),
        )

    def of_people(queryset: QuerySet[Any], lookup: str = "person_id") -> QuerySet[Any]:
        queryset = queryset.filter(**{f"{lookup.removesuffix('_id')}__is_active": True})
        return queryset if ids is None else queryset.filter(**{f"{lookup}__in": ids})

    credits = (
        of_people(CreditRecord.objects.filter(credit_year=year, awarded_at__lte=moment))
        .annotate(y=ExtractYear("awarded_at"), m=ExtractMonth("awarded_at"))
        .values("person_id", "y", "m")
        .annotate(total=Sum("hours"))
        .values_list("person_id", "y", "m", "total")
    )
    for person_id, y, m, total in credits.iterator(chunk_size=10_000):
        person = figures.get(person_id)
        if person is None:
            continue
        # A record's credit year is the year of its award in Shanghai; should one ever lie
        # outside it, it counts in the nearest month of its credit year.
        month = m if y == year else (1 if y < year else MONTHS)
        amount = tenths(total)
        person.month_tenths[month - 1] += amount
        person.hours_tenths += amount
        if amount > 0:
            person.participated = True

    studied = of_people(
        LessonProgress.objects.filter(
            updated_at__gte=start, updated_at__lte=moment, engaged_seconds__gt=0
        ),
        "enrolment__person_id",
    ).values_list("enrolment__person_id", flat=True)
    for person_id in studied.distinct().iterator(chunk_size=10_000):
        if person_id in figures:
            figures[person_id].participated = True

    not_done_by_then = Q(completed_at__isnull=True) | Q(completed_at__gt=moment)
    mandatory = (
        of_people(
            Enrolment.objects.filter(
                mandatory=True,
                due_date__gte=first_day,
                due_date__lte=last_day,
                enrolled_at__lte=moment,
            )
        )
        .values("person_id")
        .annotate(
            assigned=Count("pk"),
            done=Count("pk", filter=Q(completed_at__lte=moment)),
            late=Count("pk", filter=Q(due_date__lt=today) & not_done_by_then),
        )
        .values_list("person_id", "assigned", "done", "late")
    )
    for person_id, assigned, done, late in mandatory.iterator(chunk_size=10_000):
        if person_id in figures:
            person = figures[person_id]
            person.mandatory_assigned, person.mandatory_done, person.overdue = assigned, done, late

    passed = (
        of_people(Attempt.objects.filter(passed=True, graded_at__gte=start, graded_at__lte=moment))
        .values("person_id")
        .annotate(exams=Count("exam_id", distinct=True))
        .values_list("person_id", "exams")
    )
    for person_id, exams in passed.iterator(chunk_size=10_000):
        if person_id in figures:
            figures[person_id].exams_passed = exams

    issued = (
        of_people(
            Certificate.objects.filter(
                status=CertificateStatus.ISSUED, issued_on__gte=first_day, issued_on__lte=today
            )
        )
        .values("person_id")
        .annotate(n=Count("pk"))
        .values_list("person_id", "n")
    )
    for person_id, n in issued.iterator(chunk_size=10_000):
        if person_id in figures:
            figures[person_id].certificates = n
    return figures


# --- sums per unit --------------------------------------------------------------------------

# The layout of a unit's totals: one list of integers (hours in tenths), so that sums are
# exact and a stored row compares with a fresh one by equality.
FIELDS = (
    "people",
    "participants",
    "reached",
    "hours_tenths",
    "mandatory_assigned",
    "mandatory_done",
    "overdue",
    "exams_passed",
    "certificates",
)
BANDS_AT = len(FIELDS)
MONTH_HOURS_AT = BANDS_AT + BANDS
MONTH_REACHED_AT = MONTH_HOURS_AT + MONTHS
WIDTH = MONTH_REACHED_AT + MONTHS


def empty_totals() -> list[int]:
    return [0] * WIDTH


def add_person(totals: list[int], person: PersonFigures) -> None:
    totals[0] += 1
    totals[1] += person.participated
    totals[2] += person.reached
    totals[3] += person.hours_tenths
    totals[4] += person.mandatory_assigned
    totals[5] += person.mandatory_done
    totals[6] += person.overdue
    totals[7] += person.exams_passed
    totals[8] += person.certificates
    totals[BANDS_AT + person.band] += 1
    for month, amount in enumerate(person.month_tenths):
        totals[MONTH_HOURS_AT + month] += amount
    reached_month = person.reached_month
    if reached_month is not None:
        for month in range(reached_month - 1, MONTHS):
            totals[MONTH_REACHED_AT + month] += 1


def unit_totals(
    figures: dict[int, PersonFigures], units: Iterable[tuple[int, str]]
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Per unit id: the totals of the people sitting directly in it, and of its subtree.
    ``units`` is every (id, path) of the tree; units without people get zeros."""
    direct: dict[int, list[int]] = defaultdict(empty_totals)
    for person in figures.values():
        add_person(direct[person.unit_id], person)
    by_path = {path: pk for pk, path in units}
    subtree = {pk: empty_totals() for pk in by_path.values()}
    for path, pk in by_path.items():
        own = direct.get(pk)
        if own is None:
            continue
        for end in range(STEPLEN, len(path) + 1, STEPLEN):
            ancestor = by_path.get(path[:end])
            if ancestor is not None:
                target = subtree[ancestor]
                for index, value in enumerate(own):
                    if value:
                        target[index] += value
    return {pk: direct.get(pk) or empty_totals() for pk in by_path.values()}, subtree


def person_row(person: PersonFigures) -> dict[str, object]:
    """The stored form of a person's figures (dashboards.models.PersonYear's fields)."""
    return {
        "org_unit_id": person.unit_id,
        "path": person.path,
        "employee_number": person.employee_number,
        "rank": person.rank,
        "hours": Decimal(person.hours_tenths) / 10,
        "target": Decimal(person.target_tenths) / 10,
        "participated": person.participated,
        "reached": person.reached,
        "reached_month": person.reached_month,
        "mandatory_assigned": person.mandatory_assigned,
        "mandatory_done": person.mandatory_done,
        "overdue": person.overdue,
        "exams_passed": person.exams_passed,
        "certificates": person.certificates,
    }


def unit_row(totals: list[int]) -> dict[str, object]:
    """The stored form of a unit's totals (dashboards.models.UnitYear's figure fields)."""
    return {
        "people": totals[0],
        "participants": totals[1],
        "reached": totals[2],
        "hours": Decimal(totals[3]) / 10,
        "mandatory_assigned": totals[4],
        "mandatory_done": totals[5],
        "overdue": totals[6],
        "exams_passed": totals[7],
        "certificates": totals[8],
        "bands": totals[BANDS_AT:MONTH_HOURS_AT],
        "month_hours": [str(Decimal(v) / 10) for v in totals[MONTH_HOURS_AT:MONTH_REACHED_AT]],
        "month_reached": totals[MONTH_REACHED_AT:WIDTH],
    }


def totals_of_row(row: Any) -> list[int]:
    """A stored UnitYear back as totals (to compare with a fresh computation, or to add)."""
    values = [
        row.people,
        row.participants,
        row.reached,
        tenths(row.hours),
        row.mandatory_assigned,
        row.mandatory_done,
        row.overdue,
        row.exams_passed,
        row.certificates,
    ]
    values += list(row.bands or [0] * BANDS)
    values += [tenths(Decimal(v)) for v in (row.month_hours or ["0"] * MONTHS)]
    values += list(row.month_reached or [0] * MONTHS)
    return values
