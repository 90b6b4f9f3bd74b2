"""Reads of the learning flow: catalogue, course and lesson pages, My learning, credits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.http import HttpRequest
from django.utils import timezone
from wagtail.query import PageQuerySet

from courses.models import (
    CourseCategory,
    CourseIndexPage,
    CoursePage,
    CreditRecord,
    CreditSource,
    CreditTarget,
    Enrolment,
    EnrolmentStatus,
    LearningRules,
    LessonPage,
    LessonProgress,
    TrainingPlan,
)
from org.access import access
from org.models import OrgUnit, Person, Rank
from org.selectors import Scope, org_unit_labels

# --- catalogue and course pages -------------------------------------------------------


def published_courses() -> PageQuerySet:
    return CoursePage.objects.live().public().select_related("category", "cover_image")


def catalogue(index: CourseIndexPage, *, request: HttpRequest) -> dict[str, Any]:
    """Published courses under the catalogue, narrowed by ``?category=`` and ``?q=``."""
    courses = published_courses().child_of(index).order_by("path")
    categories = list(CourseCategory.objects.all())
    category = next((c for c in categories if c.slug == request.GET.get("category")), None)
    if category is not None:
        courses = courses.filter(category=category)
    query = request.GET.get("q", "").strip()[:100]
    results = list(courses)
    if query:
        matched = _search(courses, query)
        results = [course for course in results if course.pk in matched]
    person, _scope = access(request)
    enrolled = {}
    if person is not None:
        enrolled = dict(
            Enrolment.objects.filter(
                person=person, course_id__in=[c.pk for c in results]
            ).values_list("course_id", "status")
        )
    for course in results:
        course.enrolment_status = enrolled.get(course.pk)
    return {"courses": results, "categories": categories, "category": category, "query": query}


def _search(courses: PageQuerySet, query: str) -> set[int]:
    """Ids of courses matching every word of the query.

    Wagtail's search indexes words, but Chinese is written without spaces, so "电子政务"
    is no word of "电子政务概论"; a substring match on title and summary catches those.
    """
    found = {page.pk for page in courses.search(query, operator="and")}
    substring = Q()
    for term in query.split():
        substring &= Q(title__icontains=term) | Q(summary__icontains=term)
    found.update(courses.filter(substring).values_list("pk", flat=True))
    return found


@dataclass
class LessonLine:
    lesson: LessonPage
    engaged_seconds: int = 0
    completed: bool = False


@dataclass
class CourseProgress:
    lessons: list[LessonLine] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for line in self.lessons if line.completed)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / len(self.lessons)) if self.lessons else 0


def course_lessons(course: CoursePage) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).live().order_by("path"))


def course_progress(course: CoursePage, enrolment: Enrolment | None) -> CourseProgress:
    """The course's lessons with the learner's progress in each, in one query."""
    lessons = LessonPage.objects.child_of(course).live().order_by("path")
    if enrolment is None:
        return CourseProgress(lessons=[LessonLine(lesson=lesson) for lesson in lessons])
    mine = LessonProgress.objects.filter(enrolment=enrolment, lesson=OuterRef("pk"))
    lessons = lessons.annotate(
        engaged=Subquery(mine.values("engaged_seconds")[:1]),
        done_at=Subquery(mine.values("completed_at")[:1]),
    )
    return CourseProgress(
        lessons=[
            LessonLine(
                lesson=lesson,
                engaged_seconds=lesson.engaged or 0,
                completed=lesson.done_at is not None,
            )
            for lesson in lessons
        ]
    )


def enrolment_for(user: Any, course: CoursePage) -> Enrolment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Enrolment.objects.filter(person__user_id=user.pk, course=course)
        .select_related("person", "last_lesson")
        .first()
    )


def missing_prerequisites(*, person: Person, course: CoursePage) -> list[CoursePage]:
    required = list(course.prerequisites.all())
    if not required:
        return []
    done = set(
        Enrolment.objects.filter(
            person=person, course__in=required, status=EnrolmentStatus.COMPLETED
        ).values_list("course_id", flat=True)
    )
    return [c for c in required if c.pk not in done]


def course_detail(course: CoursePage, *, user: Any) -> dict[str, Any]:
    enrolment = enrolment_for(user, course)
    progress = course_progress(course, enrolment)
    resume = None
    if enrolment is not None:
        resume = next(
            (
                line.lesson
                for line in progress.lessons
                if line.lesson.pk == enrolment.last_lesson_id
            ),
            None,
        ) or next((line.lesson for line in progress.lessons if not line.completed), None)
    return {
        "enrolment": enrolment,
        "progress": progress,
        "resume_lesson": resume,
        "prerequisites": list(course.prerequisites.live()),
    }


@dataclass(frozen=True)
class LessonState:
    engaged_seconds: int = 0
    completed_at: Any = None
    checkpoints_passed: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyTime:
    """The study time the server counted in a lesson, as the bar and the sentence show it.

    One set of figures for both (the page and player.js, from the heartbeat's answer): a
    bar at 50% next to "0 minutes counted" looked like the page was lying.
    """

    engaged_seconds: int
    required_seconds: int
    completed: bool = False

    @property
    def percent(self) -> int:
        if self.completed:
            return 100
        return min(100, 100 * self.engaged_seconds // max(1, self.required_seconds))

    @property
    def minutes(self) -> int:
        return self.engaged_seconds // 60

    @property
    def seconds(self) -> int:
        return self.engaged_seconds % 60

    @property
    def required_minutes(self) -> int:
        return -(-self.required_seconds // 60)


def lesson_state(*, enrolment: Enrolment, lesson: LessonPage) -> LessonState:
    """The learner's progress in one lesson (one query)."""
    row = (
        LessonProgress.objects.filter(enrolment=enrolment, lesson=lesson)
        .values("engaged_seconds", "completed_at", "checkpoints_passed")
        .first()
    )
    if row is None:
        return LessonState()
    return LessonState(
        engaged_seconds=row["engaged_seconds"],
        completed_at=row["completed_at"],
        checkpoints_passed=tuple(row["checkpoints_passed"] or ()),
    )


def lesson_detail(
    lesson: LessonPage, *, user: Any, enrolment: Enrolment | None = None
) -> dict[str, Any]:
    """A lesson with its neighbours for previous/next and the learner's state in it."""
    course = lesson.get_parent().specific
    enrolment = enrolment or enrolment_for(user, course)
    siblings = LessonPage.objects.child_of(course).live().order_by("path")
    if enrolment is not None:
        # The learner's progress rides along on the siblings query: one query for both.
        mine = LessonProgress.objects.filter(enrolment=enrolment, lesson=OuterRef("pk"))
        siblings = siblings.annotate(
            engaged=Subquery(mine.values("engaged_seconds")[:1]),
            done_at=Subquery(mine.values("completed_at")[:1]),
            passed=Subquery(mine.values("checkpoints_passed")[:1]),
        )
    lessons = list(siblings.defer("body"))
    index = next((i for i, item in enumerate(lessons) if item.pk == lesson.pk), 0)
    state = LessonState()
    if enrolment is not None and lessons:
        current: Any = lessons[index]
        passed = current.passed
        if isinstance(passed, str):  # SQLite hands JSON from a subquery back as text
            passed = json.loads(passed)
        state = LessonState(
            engaged_seconds=current.engaged or 0,
            completed_at=current.done_at,
            checkpoints_passed=tuple(passed or ()),
        )
    return {
        "course": course,
        "enrolment": enrolment,
        "lesson_progress": state,
        "study_time": StudyTime(
            engaged_seconds=state.engaged_seconds,
            required_seconds=lesson.required_seconds,
            completed=state.completed_at is not None,
        ),
        "checkpoints_passed": set(state.checkpoints_passed),
        "previous_lesson": lessons[index - 1] if index > 0 else None,
        "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
        "lesson_number": index + 1,
        "lesson_count": len(lessons),
    }


# --- My learning ---------------------------------------------------------------------


@dataclass
class EnrolmentLine:
    enrolment: Enrolment
    lessons_total: int
    lessons_done: int
    overdue: bool

    @property
    def percent(self) -> int:
        if self.enrolment.status == "completed":
            return 100
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0


def my_learning(person: Person, *, today: date | None = None) -> dict[str, Any]:
    """The learner's enrolments with progress, and this year's credit hours against target.

    A fixed number of queries whatever the number of enrolments.
    """
    today = today or timezone.localdate()
    enrolments = list(
        Enrolment.objects.filter(person=person)
        .select_related("course", "course__category", "training_plan")
        .order_by("status", "due_date", "-enrolled_at")
    )
    course_paths = {e.course.path for e in enrolments}
    lesson_counts: dict[str, int] = {}
    if course_paths:
        depth_length = len(next(iter(course_paths)))
        lesson_counts = dict(
            LessonPage.objects.live()
            .annotate(course_path=Substr("path", 1, depth_length))
            .filter(course_path__in=course_paths)
            .order_by()  # tree order would split the groups
            .values("course_path")
            .annotate(total=Count("pk"))
            .values_list("course_path", "total")
        )
    done = dict(
        LessonProgress.objects.filter(enrolment__in=enrolments, completed_at__isnull=False)
        .values("enrolment_id")
        .annotate(total=Count("pk"))
        .values_list("enrolment_id", "total")
    )
    lines = [
        EnrolmentLine(
            enrolment=e,
            lessons_total=lesson_counts.get(e.course.path, 0),
            lessons_done=done.get(e.pk, 0),
            overdue=e.is_overdue(today),
        )
        for e in enrolments
    ]
    return {
        "assigned": [line for line in lines if line.enrolment.training_plan_id is not None],
        "electives": [line for line in lines if line.enrolment.training_plan_id is None],
        "credits": credit_summary(person, year=today.year),
    }


# --- credit hours ----------------------------------------------------------------------


@dataclass
class CreditSummary:
    year: int
    earned: Decimal
    target: Decimal
    records: list[Any]

    @property
    def percent(self) -> int:
        if self.target <= 0:
            return 100
        return min(100, int(self.earned * 100 / self.target))

    @property
    def remaining(self) -> Decimal:
        return max(Decimal("0"), self.target - self.earned)


def credit_summary(person: Person, *, year: int) -> CreditSummary:
    records = list(
        CreditRecord.objects.filter(person=person, credit_year=year)
        .select_related("course", "entered_by")
        .order_by("-awarded_at")
    )
    earned = sum((r.hours for r in records), Decimal("0.0"))
    return CreditSummary(
        year=year, earned=earned, target=credit_target_for(person, year=year), records=records
    )


def credit_target_for(person: Person, *, year: int) -> Decimal:
    """The most specific target: the deepest unit above the person, a rank match first."""
    path = person.org_unit.path
    steps = [path[:end] for end in range(OrgUnit.steplen, len(path) + 1, OrgUnit.steplen)]
    targets = list(
        CreditTarget.objects.filter(
            org_unit__path__in=steps, credit_year=year, rank__in=[person.rank, ""]
        ).select_related("org_unit")
    )
    if targets:
        best = max(targets, key=lambda t: (len(t.org_unit.path), t.rank != ""))
        return Decimal(best.hours)
    return Decimal(LearningRules.load().default_annual_target_hours)


def credits_by_year(person: Person) -> list[tuple[int, Decimal]]:
    return list(
        CreditRecord.objects.filter(person=person)
        .values("credit_year")
        .annotate(total=Sum("hours"))
        .order_by("-credit_year")
        .values_list("credit_year", "total")
    )


# --- training plans ----------------------------------------------------------------------


def training_plan_people(plan: TrainingPlan) -> QuerySet[Person]:
    """Active people in the plan's subtree, of its ranks if it names any."""
    people = Person.objects.filter(
        is_active=True, org_unit__path__startswith=plan.org_unit.path
    ).order_by("pk")
    if plan.ranks:
        people = people.filter(rank__in=plan.ranks)
    return people


def training_plans_covering(person: Person) -> list[TrainingPlan]:
    path = person.org_unit.path
    steps = [path[:end] for end in range(OrgUnit.steplen, len(path) + 1, OrgUnit.steplen)]
    plans = TrainingPlan.objects.filter(is_active=True, org_unit__path__in=steps)
    return [plan for plan in plans if not plan.ranks or person.rank in plan.ranks]


def visible_training_plans(scope: Scope) -> QuerySet[TrainingPlan]:
    """Plans an officer answers for: assigned to a unit in scope, or higher up to a unit
    above a scope root (a provincial plan covers a city's people too). Admins: all.

    The counts are of the officer's own people only; a plan assigned above is watched
    here, never edited (``plan.owned`` is False for it).
    """
    in_scope = scope.path_q("org_unit__path")
    above: Q = Q(pk__in=[])
    if scope.roots:
        ancestors = {
            root.path[:end]
            for root in scope.roots
            for end in range(root.steplen, len(root.path), root.steplen)
        }
        above = Q(org_unit__path__in=sorted(ancestors))
    plans = TrainingPlan.objects.select_related("org_unit").annotate(
        enrolment_count=Count(
            "enrolments",
            filter=scope.path_q("enrolments__person__org_unit__path"),
            distinct=True,
        ),
        course_count=Count("courses", distinct=True),
        # The whole tree owns everything (and an empty Q cannot be a When condition).
        owned=Value(True)
        if scope.everything
        else Case(When(in_scope, then=Value(True)), default=Value(False)),
    )
    if scope.roots is None:
        return plans.order_by("-credit_year", "name")
    return plans.filter(in_scope | above).order_by("-credit_year", "name")


PLAN_OVERDUE_PAGE_SIZE = 25


@dataclass
class PlanUnitRow:
    """A plan's people in one unit's subtree (or, ``own``, sitting directly in the unit)."""

    unit: OrgUnit
    enrolled: int = 0  # people with an enrolment of the plan
    completed: int = 0  # of them, people whose every enrolment of the plan is completed
    overdue: int = 0  # of them, people with an enrolment past its due date, not completed
    own: bool = False

    @property
    def completion_rate(self) -> Decimal | None:
        if not self.enrolled:
            return None
        return (Decimal(self.completed) * 100 / self.enrolled).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class PlanOverdue:
    """One enrolment of the plan past its due date and not completed."""

    enrolment: Enrolment
    unit_label: str
    days_overdue: int


def training_plan_status(
    plan: TrainingPlan,
    *,
    scope: Scope,
    unit: OrgUnit | None = None,
    page: int = 1,
    today: date | None = None,
) -> dict[str, Any]:
    """One plan's figures, counting only the active people in ``scope`` (an officer below a
    provincial plan sees their own) and under ``unit`` (a unit of the scope, else the part
    of the scope the plan covers): per course (enrolled, completed, overdue), per child unit
    (people enrolled, completed, overdue) and the overdue enrolments, one page of them.

    A fixed number of queries whatever the number of people, courses and units: the child
    units' figures are one GROUP BY on the prefix of the people's unit paths."""
    today = today or timezone.localdate()
    start, roots = _plan_start(plan, scope=scope)
    node = unit or start
    row_units = roots
    if node is not None:
        row_units = list(
            OrgUnit.objects.filter(path__startswith=node.path, depth=node.depth + 1).order_by(
                "path"
            )
        )
    enrolments = scope.narrow(
        Enrolment.objects.filter(training_plan=plan, person__is_active=True),
        via="person__org_unit",
    )
    people = scope.narrow(training_plan_people(plan), via="org_unit")
    if node is not None:
        enrolments = enrolments.filter(person__org_unit__path__startswith=node.path)
        people = people.filter(org_unit__path__startswith=node.path)
    late = Q(status=EnrolmentStatus.ACTIVE, due_date__lt=today)

    rows = (
        enrolments.order_by()
        .values("course_id")
        .annotate(
            enrolled=Count("pk"),
            completed=Count("pk", filter=Q(status=EnrolmentStatus.COMPLETED)),
            overdue=Count("pk", filter=late),
        )
    )
    by_course = {row["course_id"]: row for row in rows}
    courses = list(plan.courses.order_by("path"))
    course_rows = []
    for course in courses:
        row = by_course.get(course.pk, {"enrolled": 0, "completed": 0, "overdue": 0})
        row["completion_rate"] = (
            (Decimal(row["completed"]) * 100 / row["enrolled"]).quantize(Decimal("0.1"))
            if row["enrolled"]
            else None
        )
        course_rows.append((course, row))

    unit_rows = _plan_unit_rows(enrolments, node=node, units=row_units, late=late)
    total = PlanUnitRow(
        unit=node or plan.org_unit,
        enrolled=sum(row.enrolled for row in unit_rows),
        completed=sum(row.completed for row in unit_rows),
        overdue=sum(row.overdue for row in unit_rows),
    )

    overdue = enrolments.filter(late).select_related("person", "person__org_unit", "course")
    paginator = Paginator(
        overdue.order_by("due_date", "person__org_unit__path", "person__employee_number", "pk"),
        PLAN_OVERDUE_PAGE_SIZE,
    )
    try:
        overdue_page = paginator.page(page)
    except (EmptyPage, PageNotAnInteger):
        # Past the end (or nonsense): the first page, as every list of the dashboards does.
        overdue_page = paginator.page(1)
    lines = list(overdue_page.object_list)
    labels = org_unit_labels({line.person.org_unit for line in lines}, roots=scope.roots)
    overdue_lines = [
        PlanOverdue(
            enrolment=line,
            unit_label=labels[line.person.org_unit_id],
            days_overdue=(today - line.due_date).days if line.due_date else 0,
        )
        for line in lines
    ]

    return {
        "course_rows": course_rows,
        "people_in_scope": people.count(),
        "plan_unit_label": org_unit_labels([plan.org_unit])[plan.org_unit.pk],
        "rank_names": [str(Rank(rank).label) for rank in plan.ranks if rank in Rank.values],
        "node": node,
        "trail": _plan_trail(start, scope=scope, node=unit) if unit is not None else [],
        "several_roots": node is None,
        "unit_rows": unit_rows,
        "unit_total": total,
        "overdue_page": overdue_page,
        "overdue_lines": overdue_lines,
    }


def _plan_start(plan: TrainingPlan, *, scope: Scope) -> tuple[OrgUnit | None, list[OrgUnit]]:
    """Where a plan's page starts: the plan's own unit when it lies in the scope, else the
    scope's root the plan covers, or, covering several, all of them side by side (None and
    the roots)."""
    if scope.covers(plan.org_unit):
        return plan.org_unit, []
    covered = [root for root in scope.roots or () if root.path.startswith(plan.org_unit.path)]
    if len(covered) == 1:
        return covered[0], []
    return None, covered


def _plan_unit_rows(
    enrolments: QuerySet[Enrolment], *, node: OrgUnit | None, units: list[OrgUnit], late: Q
) -> list[PlanUnitRow]:
    """The plan's people per unit of ``units`` (the node's children, or the roots side by
    side) and, for a node, the people sitting directly in it: one GROUP BY."""
    path = "person__org_unit__path"
    if node is not None:
        # Every person's path cut to the length of a child's path: the child they are under
        # (or, no longer than the node's own path, the node itself).
        prefix: Any = Substr(path, 1, len(node.path) + OrgUnit.steplen)
    elif units:
        prefix = Case(*(When(**{f"{path}__startswith": u.path}, then=Value(u.path)) for u in units))
    else:
        return []
    counted = {
        row["prefix"]: row
        for row in enrolments.order_by()
        .annotate(prefix=prefix)
        .values("prefix")
        .annotate(
            enrolled=Count("person_id", distinct=True),
            unfinished=Count("person_id", distinct=True, filter=Q(status=EnrolmentStatus.ACTIVE)),
            overdue=Count("person_id", distinct=True, filter=late),
        )
    }

    def row_for(unit: OrgUnit, key: str, *, own: bool = False) -> PlanUnitRow:
        found = counted.get(key)
        if found is None:
            return PlanUnitRow(unit=unit, own=own)
        return PlanUnitRow(
            unit=unit,
            enrolled=found["enrolled"],
            completed=found["enrolled"] - found["unfinished"],
            overdue=found["overdue"],
            own=own,
        )

    rows = [row_for(unit, unit.path) for unit in units]
    if node is not None:
        own = row_for(node, node.path, own=True)
        if own.enrolled:
            rows.append(own)
    return rows


def _plan_trail(start: OrgUnit | None, *, scope: Scope, node: OrgUnit) -> list[OrgUnit]:
    """The breadcrumb from where the plan's page starts (else the scope's root) to ``node``."""
    if start is not None and node.path.startswith(start.path):
        top = len(start.path)
    else:
        roots = [root for root in scope.roots or () if node.path.startswith(root.path)]
        top = max((len(root.path) for root in roots), default=OrgUnit.steplen)
    steps = [node.path[:end] for end in range(top, len(node.path) + 1, OrgUnit.steplen)]
    return list(OrgUnit.objects.filter(path__in=steps).order_by("path"))


def offline_credits(scope: Scope) -> QuerySet[CreditRecord]:
    """Offline training records of the people in scope, newest entry first."""
    records = CreditRecord.objects.filter(source=CreditSource.OFFLINE).select_related(
        "person", "person__org_unit", "entered_by"
    )
    return scope.narrow(records, via="person__org_unit").order_by("-created_at", "-pk")


# --- completions (read by certificates) ---------------------------------------------------


def completed_enrolment(
    *, person: Person, course: CoursePage, credit_year: int
) -> Enrolment | None:
    """The person's enrolment in the course if it was completed in that credit year."""
    enrolment = Enrolment.objects.filter(
        person=person, course=course, completed_at__isnull=False
    ).first()
    if enrolment is None or enrolment.completed_at is None:
        return None
    if timezone.localtime(enrolment.completed_at).year != credit_year:
        return None
    return enrolment


def course_credit_hours(*, person: Person, course: CoursePage, credit_year: int) -> Decimal:
    """The hours the course credited the person that year (the ledger), else the course's."""
    credited = CreditRecord.objects.filter(
        person=person, course=course, credit_year=credit_year, source="course"
    ).aggregate(total=Sum("hours"))["total"]
    return Decimal(credited) if credited else Decimal(course.credit_hours)


def completions(
    *, people: QuerySet[Person], course: CoursePage | None = None
) -> QuerySet[Enrolment]:
    """Completed enrolments of some people (and of one course), for bulk certificates."""
    enrolments = Enrolment.objects.filter(person__in=people, completed_at__isnull=False)
    if course is not None:
        enrolments = enrolments.filter(course=course)
    return enrolments.order_by("person_id", "course_id")


# --- the home page: where to go on (lms/home.py) ------------------------------------------


@dataclass(frozen=True)
class StudyResume:
    """An unfinished course the learner studied lately, and the lesson to go on with."""

    enrolment: Enrolment
    studied_at: datetime
    # None when every lesson is done and the course still waits (for its exam, say).
    next_lesson: LessonPage | None


def recently_studied(person: Person, *, limit: int = 3) -> list[StudyResume]:
    """The person's unfinished courses, most recently studied first: two queries.

    "Studied" is the newest lesson progress row, which opening a lesson creates and every
    heartbeat touches. The lesson to go on with is the last one opened if it is not done,
    else the first one not done after it, else the first one not done before it.
    """
    enrolments = list(
        Enrolment.objects.filter(person=person, status=EnrolmentStatus.ACTIVE)
        .annotate(studied_at=Max("lesson_progress__updated_at"))
        .filter(studied_at__isnull=False)
        .select_related("course")
        .order_by("-studied_at", "-pk")[:limit]
    )
    if not enrolments:
        return []
    in_courses = Q()
    for enrolment in enrolments:
        in_courses |= Q(path__startswith=enrolment.course.path, depth=enrolment.course.depth + 1)
    done = LessonProgress.objects.filter(
        enrolment__person=person, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    lessons = (
        LessonPage.objects.live()
        .filter(in_courses)
        .annotate(done=Exists(done))
        .defer("body")
        .order_by("path")
    )
    by_course: dict[str, list[Any]] = {}
    for lesson in lessons:
        by_course.setdefault(lesson.path[: -LessonPage.steplen], []).append(lesson)
    return [
        StudyResume(
            enrolment=enrolment,
            studied_at=enrolment.studied_at,
            next_lesson=_lesson_to_go_on_with(
                by_course.get(enrolment.course.path, []), enrolment.last_lesson_id
            ),
        )
        for enrolment in enrolments
    ]


def _lesson_to_go_on_with(lessons: list[Any], last_lesson_id: int | None) -> LessonPage | None:
    start = next((i for i, lesson in enumerate(lessons) if lesson.pk == last_lesson_id), 0)
    return next((lesson for lesson in lessons[start:] + lessons[:start] if not lesson.done), None)
