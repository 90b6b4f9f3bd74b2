"""The demo's last year and this year so far: credits, completions, plans and overdue work.

``demo.loader`` reads ``demo/history.yaml`` into the shapes below. ``history_rows`` turns
them into the rows to write, a pure function of the file, the demo people, the courses and
the day (a seeded generator: the same rows on every machine for the same day); ``seed``
writes the rows that are missing, so running it again changes nothing.

The rows are written in bulk, not through ``enrolment_evaluate``: the completion service
sends ``course_completed``, and a certificate for each of some thousand completions would
cost minutes of PDF rendering. What the services would have written is written here too:
completed lessons with their checkpoints, the enrolment's completion and exam pass, one
ledger entry per course and credit year, offline entries naming who entered them. The four
demo accounts get no history: their pages stay as the rest of ``seed_demo`` leaves them.
Called by ``manage.py seed_demo`` after everything else.
"""

from __future__ import annotations

import bisect
import calendar
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Literal, TypeVar

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from courses import services
from courses.demo import Catalogue
from courses.models import (
    CompletionRule,
    CoursePage,
    CreditRecord,
    CreditSource,
    CreditTarget,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    LearningRules,
    LessonPage,
    LessonProgress,
    TrainingPlan,
)
from org.demo_data import OrgData, PersonPlan, org_unit_plan, people_plan
from org.models import OrgUnit, Person

YearKey = Literal["last", "this"]
YEAR_KEYS: tuple[YearKey, ...] = ("last", "this")
MonthDay = tuple[int, int]
BATCH = 500
M = TypeVar("M", bound=models.Model)


# --- the shapes of demo/history.yaml ------------------------------------------------------


@dataclass(frozen=True)
class Shares:
    """Shares of a unit's people: reach their target, started but no hours, not started."""

    reach: Decimal
    started: Decimal
    idle: Decimal


@dataclass(frozen=True)
class Profile:
    last: Shares
    this: Shares

    def of(self, year: YearKey) -> Shares:
        return self.last if year == "last" else self.this


@dataclass(frozen=True)
class HistoryTarget:
    year: YearKey
    unit_code: str
    rank: str  # "" is every rank
    hours: Decimal


@dataclass(frozen=True)
class HistoryPlan:
    name: str  # "{year}" stands for the year
    year: YearKey
    unit_code: str
    ranks: tuple[str, ...]
    assigned: MonthDay
    due: MonthDay
    course_slugs: tuple[str, ...]
    # A closed plan enrols nobody who joins later (is_active false); its enrolments are
    # written here, for the demo's generated people.
    closed: bool = False
    # This year's plan of catalogue.yaml, which courses.demo.seed creates.
    from_catalogue: bool = False
    # While ``due`` is still ahead, the plan is due this many days before the day of
    # seeding instead (and assigned as long before that), so some work is always overdue.
    past_due_days: int | None = None


@dataclass(frozen=True)
class OfflineTraining:
    name: str
    hours: Decimal
    months: tuple[int, ...] = ()  # when it is held; empty is any month


@dataclass(frozen=True)
class YearTurn:
    year: YearKey
    unit_code: str
    moment: tuple[int, int, int, int, int]  # month, day, hour, minute, second


@dataclass(frozen=True)
class History:
    seed: int
    months: tuple[int, ...]  # twelve weights, January first
    targets: tuple[HistoryTarget, ...]
    catalogue_plan_assigned: MonthDay
    plans: tuple[HistoryPlan, ...]
    offline: tuple[OfflineTraining, ...]
    entered_by: tuple[tuple[str, str], ...]  # (scope unit code, account username)
    profiles: dict[str, Profile]
    default_profile: str
    unit_profiles: dict[str, str]  # unit code to profile name
    year_turn: tuple[YearTurn, ...] = ()


# --- the rows to write ----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFacts:
    """What the generator needs of a course (from its page; the catalogue in tests)."""

    slug: str
    hours: Decimal
    lessons: int
    requires_exam: bool = False


@dataclass(frozen=True)
class PlanRows:
    plan: HistoryPlan
    credit_year: int
    name: str
    assigned_at: datetime
    due_date: date


@dataclass(frozen=True)
class Study:
    """One person's work in one course: every lesson done (a completion) or some."""

    employee_number: str
    course: str
    credit_year: int
    enrolled_at: datetime
    lessons_done_at: tuple[datetime, ...]
    completed_at: datetime | None = None  # None: still in progress
    half_studied_at: datetime | None = None  # the next lesson, half studied
    elective: bool = True

    @property
    def last_activity(self) -> datetime:
        return self.completed_at or self.half_studied_at or self.lessons_done_at[-1]


@dataclass(frozen=True)
class OfflineRow:
    employee_number: str
    reason: str
    hours: Decimal
    awarded_on: date
    recorded_at: datetime
    entered_by: str  # username of a demo account


@dataclass(frozen=True)
class HistoryRows:
    years: dict[YearKey, int]
    targets: tuple[tuple[str, str, int, Decimal], ...]  # unit code, rank, year, hours
    plans: tuple[PlanRows, ...]
    studies: tuple[Study, ...]
    offline: tuple[OfflineRow, ...]
    # What the generator decided, for tests and docs: per year, employee number to status
    # ("reach", "partial", "started", "idle") and to the target it aimed at.
    statuses: dict[int, dict[str, str]] = field(default_factory=dict)
    targets_of: dict[int, dict[str, Decimal]] = field(default_factory=dict)


# --- the generator --------------------------------------------------------------------------


def year_of(key: YearKey, today: date) -> int:
    return today.year - 1 if key == "last" else today.year


def resolve_plans(history: History, catalogue: Catalogue, province_code: str) -> list[HistoryPlan]:
    """The history's plans and, as one of them, this year's plan of catalogue.yaml."""
    return [
        *history.plans,
        HistoryPlan(
            name=catalogue.plan.name,
            year="this",
            unit_code=province_code,
            ranks=(),
            assigned=history.catalogue_plan_assigned,
            due=(12, 31),
            course_slugs=catalogue.plan.course_slugs,
            from_catalogue=True,
        ),
    ]


def history_rows(
    *,
    history: History,
    catalogue: Catalogue,
    org: OrgData,
    courses: Sequence[CourseFacts],
    today: date,
    tz: tzinfo,
    default_target: Decimal = Decimal("50"),
) -> HistoryRows:
    """Everything ``seed`` writes for ``today``: a pure function of its arguments."""
    units = {unit.code: unit for unit in org_unit_plan(org)}

    @cache
    def ancestry(code: str) -> tuple[str, ...]:
        parent = units[code].parent_code
        return (*(ancestry(parent) if parent else ()), code)

    province = org.tree.province.code
    years = {key: year_of(key, today) for key in YEAR_KEYS}
    facts = {course.slug: course for course in courses}
    plans = [
        plan
        for plan in resolve_plans(history, catalogue, province)
        if all(slug in facts for slug in plan.course_slugs)
    ]
    people = people_plan(org)
    history_targets = [(t.unit_code, t.rank, years[t.year], t.hours) for t in history.targets]
    targets = [*history_targets, (province, "", years["this"], catalogue.plan.target_hours)]

    def covers(plan: HistoryPlan, person: PersonPlan) -> bool:
        return plan.unit_code in ancestry(person.unit_code) and (
            not plan.ranks or person.rank in plan.ranks
        )

    def target_of(person: PersonPlan, year: int) -> Decimal:
        steps = ancestry(person.unit_code)
        found = [
            (steps.index(unit), rank != "", hours)
            for unit, rank, y, hours in targets
            if y == year and unit in steps and rank in ("", person.rank)
        ]
        return max(found)[2] if found else default_target

    def profile_unit(person: PersonPlan) -> str:
        """The unit whose shares the person's status is drawn from: the deepest listed one,
        else the city or provincial department they work in, so that every one of those
        gets the default shares exactly, not just the province as a whole."""
        steps = ancestry(person.unit_code)
        listed = [code for code in steps if code in history.unit_profiles]
        return listed[-1] if listed else steps[min(1, len(steps) - 1)]

    plan_rows = []
    for plan in plans:
        year = years[plan.year]
        assigned, due = date(year, *plan.assigned), date(year, *plan.due)
        latest = today - timedelta(days=plan.past_due_days or 0)
        if plan.past_due_days and latest.year == year and latest < due:
            assigned, due = max(date(year, 1, 1), latest - (due - assigned)), latest
        plan_rows.append(
            PlanRows(
                plan=plan,
                credit_year=year,
                name=plan.name.replace("{year}", str(year)),
                assigned_at=_at(assigned, time(9, 0), tz),
                due_date=due,
            )
        )

    # A course is a person's once (Enrolment): a plan's courses are never their electives,
    # and a course studied last year is not studied again this year.
    planned_for: dict[str, set[str]] = {
        person.employee_number: {
            slug for plan in plans if covers(plan, person) for slug in plan.course_slugs
        }
        for person in people
    }
    studies: list[Study] = []
    offline: list[OfflineRow] = []
    statuses: dict[int, dict[str, str]] = {}
    targets_of: dict[int, dict[str, Decimal]] = {}
    used: dict[str, set[str]] = {person.employee_number: set() for person in people}
    for key in YEAR_KEYS:
        year = years[key]
        start = _at(date(year, 1, 1), time(0, 0), tz)
        end = (
            _at(today, time(0, 0), tz)
            if key == "this"
            else _at(date(year + 1, 1, 1), time(0, 0), tz)
        )
        if end <= start:
            continue  # the first of January: nothing has happened yet this year
        calendar_ = _Calendar(history.months, year, today if key == "this" else None)
        groups: dict[str, list[PersonPlan]] = {}
        for person in people:
            groups.setdefault(profile_unit(person), []).append(person)
        status_of: dict[str, str] = {}
        for group, members in sorted(groups.items()):
            profile = history.profiles[history.unit_profiles.get(group, history.default_profile)]
            status_of.update(_statuses(history.seed, year, group, members, profile.of(key)))
        statuses[year] = status_of
        targets_of[year] = {}
        year_plans = [row for row in plan_rows if row.credit_year == year]
        for person in people:
            rng = random.Random(f"{history.seed}:{year}:{person.employee_number}")
            person_plans = [row for row in year_plans if covers(row.plan, person)]
            mandatory = [(slug, row) for row in person_plans for slug in row.plan.course_slugs]
            pool = [
                slug
                for slug in facts
                if slug not in planned_for[person.employee_number]
                and slug not in used[person.employee_number]
            ]
            rng.shuffle(pool)
            trainings = list(history.offline)
            rng.shuffle(trainings)
            targets_of[year][person.employee_number] = target_of(person, year)
            work = _Year(
                rng=rng,
                person=person,
                year=year,
                start=start,
                end=end,
                today=_at(today, time(0, 0), tz),
                calendar=calendar_,
                tz=tz,
                facts=facts,
                target=targets_of[year][person.employee_number],
                entered_by=_entered_by(history, ancestry(person.unit_code)),
            )
            work.plan(status_of[person.employee_number], mandatory, pool, trainings)
            used[person.employee_number].update(study.course for study in work.studies)
            studies += work.studies
            offline += work.offline
    studies = _turn_the_year(history, studies, people, years, ancestry, tz, today)
    return HistoryRows(
        years=years,
        targets=tuple(history_targets),
        plans=tuple(plan_rows),
        studies=tuple(studies),
        offline=tuple(offline),
        statuses=statuses,
        targets_of=targets_of,
    )


def _statuses(
    seed: int, year: int, group: str, members: list[PersonPlan], shares: Shares
) -> dict[str, str]:
    """Exactly the profile's shares of one unit's people (rounded), drawn at random."""
    order = sorted(person.employee_number for person in members)
    random.Random(f"{seed}:{year}:group:{group}").shuffle(order)
    counts = [
        ("reach", _count(shares.reach, len(order))),
        ("started", _count(shares.started, len(order))),
        ("idle", _count(shares.idle, len(order))),
    ]
    result: dict[str, str] = {}
    position = 0
    for status, count in counts:
        for number in order[position : position + count]:
            result[number] = status
        position += count
    for number in order[position:]:
        result[number] = "partial"
    return result


def _count(share: Decimal, total: int) -> int:
    return int((share * total).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _entered_by(history: History, steps: tuple[str, ...]) -> str:
    scopes = [(steps.index(code), account) for code, account in history.entered_by if code in steps]
    return max(scopes)[1]


def _at(day: date, moment: time, tz: tzinfo) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment), tz)


class _Calendar:
    """Days of one year weighted by month (history.months) and weekday, up to a day."""

    def __init__(self, months: tuple[int, ...], year: int, before: date | None) -> None:
        self.year = year
        self.days: list[date] = []
        self.cumulative: list[float] = []
        total = 0.0
        day = date(year, 1, 1)
        last = before or date(year + 1, 1, 1)
        while day < last:
            weight = months[day.month - 1] / calendar.monthrange(year, day.month)[1]
            total += weight / 3 if day.weekday() >= 5 else weight
            self.days.append(day)
            self.cumulative.append(total)
            day += timedelta(days=1)

    def pick(self, u: float, low: date, high: date, months: tuple[int, ...] = ()) -> date | None:
        """The day at quantile ``u`` of the weighted days from ``low`` to ``high`` (inclusive)."""
        first = bisect.bisect_left(self.days, low)
        last = bisect.bisect_right(self.days, high)
        if months:
            chosen = [i for i in range(first, last) if self.days[i].month in months]
            if chosen:
                weights = [
                    self.cumulative[i] - (self.cumulative[i - 1] if i else 0) for i in chosen
                ]
                return self.days[chosen[_quantile(u, weights)]]
        if first >= last:
            return None
        below = self.cumulative[first - 1] if first else 0.0
        goal = below + u * (self.cumulative[last - 1] - below)
        return self.days[min(bisect.bisect_left(self.cumulative, goal, first, last), last - 1)]


def _quantile(u: float, weights: list[float]) -> int:
    goal = u * sum(weights)
    running = 0.0
    for index, weight in enumerate(weights):
        running += weight
        if running >= goal:
            return index
    return len(weights) - 1


# Hours of the day people finish a lesson or a course: office hours, a few evenings.
_HOURS = (8, 9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 15, 16, 16, 17, 19, 20, 20, 21)


@dataclass
class _Year:
    """One person's year: the courses finished or begun and the offline hours, with dates."""

    rng: random.Random
    person: PersonPlan
    year: int
    start: datetime
    end: datetime
    today: datetime  # midnight at the start of today: nothing happens from then on
    calendar: _Calendar
    tz: tzinfo
    facts: dict[str, CourseFacts]
    target: Decimal
    entered_by: str
    studies: list[Study] = field(default_factory=list)
    offline: list[OfflineRow] = field(default_factory=list)
    total: Decimal = Decimal("0")

    def plan(
        self,
        status: str,
        mandatory: list[tuple[str, PlanRows]],
        pool: list[str],
        trainings: list[OfflineTraining],
    ) -> None:
        rng = self.rng
        # Each person has a generator of their own, and these draws come first whatever the
        # status: one person's year does not move when another's changes, nor (unless a
        # plan is not yet assigned on the day) when the demo is seeded on another day.
        bonus = Decimal(rng.choice((0, 0, 1, 2, 2, 3, 4, 6)))
        share = Decimal(str(round(rng.uniform(0.15, 0.85), 2)))
        electives = rng.randint(1, 3)
        in_progress = rng.random() < 0.4
        if status == "idle":
            return
        if status == "started":
            slug, row = mandatory[0] if mandatory else (pool[0], None) if pool else (None, None)
            if slug is not None:
                self.begin(slug, row)
            return
        reach = status == "reach"
        goal = self.target + bonus if reach else _half(self.target * share)
        ceiling = goal if reach else min(goal, self.target - Decimal("0.5"))
        begun: str | None = None
        for slug, row in mandatory:
            hours = self.facts[slug].hours
            if reach or (rng.random() < 0.6 and self.total + hours <= ceiling):
                self.finish(slug, row, on_time=0.85 if reach else 0.6)
            elif begun is None:
                begun = slug
        taken = 0
        for slug in pool:
            if taken >= electives:
                break
            if self.total + self.facts[slug].hours <= ceiling:
                self.finish(slug, None)
                taken += 1
        for training in trainings:
            if reach and self.total >= goal:
                break
            if reach or self.total + training.hours <= ceiling:
                self.attend(training)
        if reach and self.total < self.target:
            raise ValueError(
                f"demo/history.yaml: the offline trainings cannot bring "
                f"{self.person.employee_number} to {self.target} 学时 in {self.year}."
            )
        if not reach and in_progress:
            spare = [slug for slug in pool if slug not in {s.course for s in self.studies}]
            if begun is not None:
                self.begin(begun, dict(mandatory)[begun])
            elif spare:
                self.begin(spare[0], None)

    def window(self, row: PlanRows | None, on_time: float) -> tuple[date, date]:
        low = self.start.date()
        high = (self.end - timedelta(seconds=1)).astimezone(self.tz).date()
        if row is None:
            return low, high
        low = max(low, row.assigned_at.astimezone(self.tz).date())
        late = self.rng.random() >= on_time
        if late and row.due_date < high:
            return max(low, row.due_date + timedelta(days=1)), high
        return low, min(high, row.due_date)

    def moment(self, low: date, high: date, months: tuple[int, ...] = ()) -> datetime | None:
        u = self.rng.random()
        hour = self.rng.choice(_HOURS)
        minute, second = self.rng.randrange(60), self.rng.randrange(60)
        day = self.calendar.pick(u, low, high, months) if low <= high else None
        if day is None:
            return None
        return _at(day, time(hour, minute, second), self.tz)

    def enrolled(self, row: PlanRows | None, until: datetime) -> datetime:
        """A plan's people are enrolled on its day; an elective a few days before the end.

        An elective's enrolment lies whole days and one of a few set hours before the moment
        it ends: the writer dates rows by their distance from it, one query per distance.
        """
        days, hours = self.rng.randint(0, 20), self.rng.choice((1, 3, 6))
        if row is not None:
            return row.assigned_at
        return until - timedelta(days=days, hours=hours)

    def lessons(self, enrolled: datetime, until: datetime, count: int) -> tuple[datetime, ...]:
        """``count`` moments evenly from soon after enrolling (at most some weeks) to ``until``."""
        span = timedelta(seconds=self.rng.randint(2 * 3600, 20 * 86400))
        first = max(until - span, enrolled + timedelta(minutes=5))
        if count == 1 or first >= until:
            return tuple(until for _ in range(count))
        step = (until - first) // (count - 1)
        moments = [first + step * index for index in range(count - 1)]
        # Nobody studies at four in the morning: a small-hours lesson was the evening before.
        moments = [
            max(t - timedelta(hours=t.astimezone(self.tz).hour + 3), first)
            if t.astimezone(self.tz).hour < 7
            else t
            for t in moments
        ]
        return (*sorted(m.replace(microsecond=0) for m in moments), until)

    def finish(self, slug: str, row: PlanRows | None, on_time: float = 1.0) -> None:
        course = self.facts[slug]
        low, high = self.window(row, on_time)
        completed = self.moment(low, high)
        # The exam comes after the lessons: the course completes when it is passed.
        gap = timedelta(minutes=self.rng.randint(20, 600) if course.requires_exam else 0)
        if completed is None:
            return
        enrolled = self.enrolled(row, completed)
        last_lesson = max(completed - gap, enrolled + timedelta(minutes=10))
        lessons = self.lessons(enrolled, last_lesson, course.lessons)
        self.studies.append(
            Study(
                employee_number=self.person.employee_number,
                course=slug,
                credit_year=self.year,
                enrolled_at=enrolled,
                lessons_done_at=lessons,
                completed_at=max(completed, last_lesson),
                elective=row is None,
            )
        )
        self.total += course.hours

    def begin(self, slug: str, row: PlanRows | None) -> None:
        course = self.facts[slug]
        low, high = self.window(row, 1.0)
        done = self.rng.randrange(course.lessons)
        half = self.moment(low, high)
        if half is None:
            return
        enrolled = self.enrolled(row, half)
        half = max(half, enrolled + timedelta(minutes=10))
        lessons = self.lessons(enrolled, half, done + 1)
        self.studies.append(
            Study(
                employee_number=self.person.employee_number,
                course=slug,
                credit_year=self.year,
                enrolled_at=enrolled,
                lessons_done_at=lessons[:-1],
                half_studied_at=lessons[-1],
                elective=row is None,
            )
        )

    def attend(self, training: OfflineTraining) -> None:
        low, high = self.window(None, 1.0)
        held = self.moment(low, high, training.months)
        delay = timedelta(days=self.rng.randint(1, 12), hours=self.rng.randint(1, 8))
        if held is None:
            return
        awarded_on = held.date()
        # Entered by HR a few days after the training, never later than yesterday evening.
        recorded = min(
            _at(awarded_on, time(9, 0), self.tz) + delay, self.today - timedelta(hours=6)
        )
        self.offline.append(
            OfflineRow(
                employee_number=self.person.employee_number,
                reason=training.name,
                hours=training.hours,
                awarded_on=awarded_on,
                recorded_at=max(recorded, _at(awarded_on, time(0, 0), self.tz)),
                entered_by=self.entered_by,
            )
        )
        self.total += training.hours


def _half(hours: Decimal) -> Decimal:
    return (hours * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2


def _turn_the_year(
    history: History,
    studies: list[Study],
    people: list[PersonPlan],
    years: dict[YearKey, int],
    steps_of: Callable[[str], tuple[str, ...]],
    tz: tzinfo,
    today: date,
) -> list[Study]:
    """Move one elective completion a year_turn entry names to its moment."""
    unit_of = {person.employee_number: person.unit_code for person in people}
    now = _at(today, time(0, 0), tz)
    for turn in history.year_turn:
        year = years[turn.year]
        month, day, hour, minute, second = turn.moment
        moment = _at(date(year, month, day), time(hour, minute, second), tz)
        if moment >= now:
            continue
        candidates = sorted(
            (
                (study.employee_number, abs((study.completed_at - moment).total_seconds()), index)
                for index, study in enumerate(studies)
                if study.completed_at is not None
                and study.elective
                and study.credit_year == year
                and turn.unit_code in steps_of(unit_of[study.employee_number])
            ),
        )
        if not candidates:
            raise ValueError(
                f"demo/history.yaml: year_turn: nobody under {turn.unit_code} completes an "
                f"elective in {year}."
            )
        index = candidates[0][2]
        study = studies[index]
        # A late-night run through the lessons, some forty minutes each.
        count = len(study.lessons_done_at)
        lessons = tuple(moment - timedelta(minutes=40 * (count - 1 - i)) for i in range(count))
        studies[index] = replace(
            study,
            completed_at=moment,
            lessons_done_at=lessons,
            enrolled_at=lessons[0] - timedelta(minutes=3),
        )
    return studies


# --- the writer -----------------------------------------------------------------------------


@dataclass
class Written:
    """What ``seed`` added (all zero on a second run)."""

    plans: int = 0
    targets: int = 0
    enrolments: int = 0
    completions: int = 0
    lesson_progress: int = 0
    credit_records: int = 0
    # (person pk, course pk, passed at) of the course exams passed, for the exams app.
    exam_passes: list[tuple[int, int, datetime]] = field(default_factory=list)


@transaction.atomic
def seed(
    *,
    history: History,
    catalogue: Catalogue,
    org: OrgData,
    today: date | None = None,
) -> Written:
    """Write last year's and this year's history for the demo's generated people."""
    tz = timezone.get_default_timezone()
    today = today or timezone.localdate(timezone=tz)
    pages = {
        page.slug: page
        for page in CoursePage.objects.live().filter(slug__in=[c.slug for c in catalogue.courses])
    }
    lessons = {
        slug: list(LessonPage.objects.child_of(page).live().order_by("path"))
        for slug, page in pages.items()
    }
    courses = [
        CourseFacts(
            slug=slug,
            hours=page.credit_hours,
            lessons=len(lessons[slug]),
            requires_exam=page.completion_rule == CompletionRule.LESSONS_AND_EXAM,
        )
        for slug, page in pages.items()
        if lessons[slug] and page.credit_hours > 0
    ]
    rows = history_rows(
        history=history,
        catalogue=catalogue,
        org=org,
        courses=courses,
        today=today,
        tz=tz,
        default_target=LearningRules.load().default_annual_target_hours,
    )
    written = Written()
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=_unit_codes(rows, org))}
    people = {
        person.employee_number: person
        for person in Person.objects.filter(
            employee_number__in=[p.employee_number for p in people_plan(org)]
        ).select_related("org_unit")
    }
    numbers = {account.employee_number: account.username for account in org.accounts}
    accounts = {
        numbers[person.employee_number]: person
        for person in Person.objects.filter(employee_number__in=list(numbers))
    }
    for unit_code, rank, year, hours in rows.targets:
        _target, created = CreditTarget.objects.get_or_create(
            org_unit=units[unit_code], rank=rank, credit_year=year, defaults={"hours": hours}
        )
        written.targets += created
    demo_people = [*people, *(account.employee_number for account in org.accounts)]
    planner = _entered_by(history, (org.tree.province.code,))
    for row in rows.plans:
        _plan(row, units, pages, people, accounts, planner, demo_people, written)
    _studies(rows, pages, lessons, people, written)
    _offline(rows, people, accounts, written)
    return written


def _unit_codes(rows: HistoryRows, org: OrgData) -> set[str]:
    return (
        {code for code, _r, _y, _h in rows.targets}
        | {row.plan.unit_code for row in rows.plans}
        | {org.tree.province.code}
    )


def _plan(
    row: PlanRows,
    units: dict[str, OrgUnit],
    pages: dict[str, CoursePage],
    people: dict[str, Person],
    accounts: dict[str, Person],
    planner: str,
    demo_people: list[str],
    written: Written,
) -> None:
    """The plan, found by name and year or created, with its enrolments dated to its day."""
    plan = TrainingPlan.objects.filter(name=row.name, credit_year=row.credit_year).first()
    if plan is None:
        if row.plan.from_catalogue:
            return  # courses.demo.seed makes it; nothing to date without it
        plan = TrainingPlan.objects.create(
            name=row.name,
            org_unit=units[row.plan.unit_code],
            ranks=list(row.plan.ranks),
            credit_year=row.credit_year,
            due_date=row.due_date,
            mandatory=True,
            is_active=not row.plan.closed,
            # Provincial plans are the work of whoever enters hours for the whole province.
            created_by=accounts.get(planner),
        )
        plan.courses.set([pages[slug] for slug in row.plan.course_slugs])
        written.plans += 1
    if plan.is_active:
        written.enrolments += services.training_plan_apply(plan=plan)
    elif row.plan.closed:
        covered = [
            person
            for person in people.values()
            if person.is_active
            and person.org_unit.path.startswith(plan.org_unit.path)
            and (not plan.ranks or person.rank in plan.ranks)
        ]
        for slug in row.plan.course_slugs:
            course = pages[slug]
            enrolled = set(
                Enrolment.objects.filter(course=course, person__in=covered).values_list(
                    "person_id", flat=True
                )
            )
            new = [
                Enrolment(
                    person=person,
                    course=course,
                    source=EnrolmentSource.PLAN,
                    training_plan=plan,
                    mandatory=True,
                    due_date=plan.due_date,
                )
                for person in covered
                if person.pk not in enrolled
            ]
            Enrolment.objects.bulk_create(new, batch_size=BATCH)
            written.enrolments += len(new)
    # A plan assigned in January was not assigned today: date it, and the enrolments of the
    # demo's people, who were all there on the day (not those of people added since).
    if row.assigned_at < timezone.now():
        TrainingPlan.objects.filter(pk=plan.pk, created_at__gt=row.assigned_at).update(
            created_at=row.assigned_at
        )
        Enrolment.objects.filter(
            training_plan=plan,
            enrolled_at__gt=row.assigned_at,
            person__employee_number__in=demo_people,
        ).update(enrolled_at=row.assigned_at)


def _studies(
    rows: HistoryRows,
    pages: dict[str, CoursePage],
    lessons: dict[str, list[LessonPage]],
    people: dict[str, Person],
    written: Written,
) -> None:
    """Enrolments finished or begun, their lessons, and a ledger entry for each finished."""
    studies = [s for s in rows.studies if s.employee_number in people and s.course in pages]
    existing = {
        (e.person_id, e.course_id): e
        for e in Enrolment.objects.filter(person__in=list(people.values()))
    }
    studied = set(
        LessonProgress.objects.filter(enrolment__person__in=list(people.values())).values_list(
            "enrolment_id", flat=True
        )
    )
    new: list[tuple[Enrolment, Study]] = []
    changed: list[tuple[Enrolment, Study]] = []
    for study in studies:
        person, course = people[study.employee_number], pages[study.course]
        enrolment = existing.get((person.pk, course.pk))
        if enrolment is None:
            enrolment = Enrolment(person=person, course=course, source=EnrolmentSource.ELECTIVE)
            new.append((enrolment, study))
        elif enrolment.pk is None or enrolment.completed_at is not None or enrolment.pk in studied:
            continue  # studied already (the certificates' demo, or a row of this run)
        else:
            changed.append((enrolment, study))
        existing[(person.pk, course.pk)] = enrolment
        _apply(enrolment, study, lessons[study.course], course)
    Enrolment.objects.bulk_create([e for e, _s in new], batch_size=BATCH)
    # One UPDATE a row: bulk_update would build a CASE branch per row and field, slower
    # for four fields. A plan's enrolments keep their plan's day (see _plan).
    for enrolment, _study in changed:
        Enrolment.objects.filter(pk=enrolment.pk).update(
            status=enrolment.status,
            completed_at=enrolment.completed_at,
            exam_passed_at=enrolment.exam_passed_at,
            last_lesson=enrolment.last_lesson,
        )
    _restamp(Enrolment, [(e, s.enrolled_at) for e, s in new], "enrolled_at", "completed_at")
    written.enrolments += len(new)

    checkpoints = {
        lesson.pk: list(lesson.checkpoints()) for course in lessons.values() for lesson in course
    }
    progress: list[tuple[LessonProgress, datetime]] = []
    credits: list[tuple[CreditRecord, datetime]] = []
    reason = gettext("Completed the course “%s”")
    for enrolment, study in new + changed:
        course = pages[study.course]
        for lesson, done_at in zip(lessons[study.course], study.lessons_done_at, strict=False):
            row = LessonProgress(
                enrolment=enrolment,
                lesson=lesson,
                engaged_seconds=lesson.required_seconds + done_at.second * 3,
                checkpoints_passed=checkpoints[lesson.pk],
                completed_at=done_at,
            )
            progress.append((row, done_at))
        if study.half_studied_at is not None:
            lesson = lessons[study.course][len(study.lessons_done_at)]
            row = LessonProgress(
                enrolment=enrolment, lesson=lesson, engaged_seconds=lesson.required_seconds // 2
            )
            progress.append((row, study.half_studied_at))
        if study.completed_at is None:
            continue
        written.completions += 1
        if enrolment.exam_passed_at is not None:
            written.exam_passes.append((enrolment.person_id, course.pk, enrolment.exam_passed_at))
        record = CreditRecord(
            person_id=enrolment.person_id,
            course=course,
            source=CreditSource.COURSE,
            credit_year=services.credit_year_of(study.completed_at),
            hours=course.credit_hours,
            awarded_at=study.completed_at,
            reason=(reason % course.title)[:300],
            reference=f"enrolment:{enrolment.pk}",
        )
        credits.append((record, study.completed_at))
    LessonProgress.objects.bulk_create([p for p, _at in progress], batch_size=BATCH)
    _restamp(LessonProgress, progress, "updated_at", "completed_at")
    credited = set(
        CreditRecord.objects.filter(
            source=CreditSource.COURSE, person__in=list(people.values())
        ).values_list("person_id", "course_id", "credit_year")
    )
    credits = [
        (c, at) for c, at in credits if (c.person_id, c.course_id, c.credit_year) not in credited
    ]
    CreditRecord.objects.bulk_create([c for c, _at in credits], batch_size=BATCH)
    _restamp(CreditRecord, credits, "created_at", "awarded_at")
    written.lesson_progress += len(progress)
    written.credit_records += len(credits)


def _apply(
    enrolment: Enrolment, study: Study, lessons: list[LessonPage], course: CoursePage
) -> None:
    done = len(study.lessons_done_at)
    if study.half_studied_at is not None:
        enrolment.last_lesson = lessons[done]
    else:
        enrolment.last_lesson = lessons[done - 1]
    enrolment.enrolled_at = study.enrolled_at
    if study.completed_at is not None:
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_at = study.completed_at
        if course.completion_rule == CompletionRule.LESSONS_AND_EXAM:
            enrolment.exam_passed_at = study.completed_at


def _restamp(model: type[M], rows: list[tuple[M, datetime]], stamp: str, anchor: str) -> None:
    """Put back the times auto_now and auto_now_add overwrote on insert.

    A row's time is written as its distance from another of its fields (``anchor``), so
    rows the same distance away share one UPDATE: a handful of queries for thousands of
    rows, where bulk_update would build a CASE branch for each row. Rows without the
    anchor go through bulk_update.
    """
    by_distance: dict[timedelta, list[int]] = defaultdict(list)
    loose = []
    for row, wanted in rows:
        setattr(row, stamp, wanted)
        base = getattr(row, anchor)
        if base is None:
            loose.append(row)
        else:
            by_distance[wanted - base].append(row.pk)
    for distance, pks in by_distance.items():
        value = F(anchor) + distance if distance else F(anchor)
        for first in range(0, len(pks), BATCH):
            model._default_manager.filter(pk__in=pks[first : first + BATCH]).update(
                **{stamp: value}
            )
    model._default_manager.bulk_update(loose, [stamp], batch_size=BATCH)


def _offline(
    rows: HistoryRows, people: dict[str, Person], accounts: dict[str, Person], written: Written
) -> None:
    """Offline hours as HR enters them (credit_record_offline), found by person, year, reason."""
    entered = set(
        CreditRecord.objects.filter(
            source=CreditSource.OFFLINE, person__in=list(people.values())
        ).values_list("person_id", "credit_year", "reason")
    )
    records = []
    tz = timezone.get_default_timezone()
    for row in rows.offline:
        person = people.get(row.employee_number)
        if person is None or (person.pk, row.awarded_on.year, row.reason) in entered:
            continue
        record = CreditRecord(
            person=person,
            source=CreditSource.OFFLINE,
            credit_year=row.awarded_on.year,
            hours=row.hours,
            reason=row.reason[:300],
            # What credit_record_offline writes: the day's first moment.
            awarded_at=_at(row.awarded_on, time(0, 0), tz),
            entered_by=accounts[row.entered_by],
        )
        records.append((record, row.recorded_at))
    CreditRecord.objects.bulk_create([r for r, _at in records], batch_size=BATCH)
    _restamp(CreditRecord, records, "created_at", "awarded_at")
    written.credit_records += len(records)
