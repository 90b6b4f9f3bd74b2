"""Demo question banks and one final exam per demo course, from ``demo/courses/``.

``demo.loader`` reads each course's ``questions.yaml`` and the exam settings of
``catalogue.yaml`` into the shapes below. Idempotent: a course's bank is its own category,
filled only when empty, and the exam is found by course and title. Called by
``manage.py seed_demo`` after the demo courses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from courses.demo import Course
from courses.models import CompletionRule, CoursePage
from exams import services
from exams.models import Attempt, AttemptState, Exam, ExamDrawRule, QuestionCategory
from exams.services import QuestionText


@dataclass(frozen=True)
class Draw:
    kind: str  # a QuestionKind value
    count: int
    points: Decimal


@dataclass(frozen=True)
class ExamSettings:
    title: str  # "{course}" stands for the course's title
    duration_minutes: int
    attempts_allowed: int
    pass_percent: Decimal
    instructions: str
    draw: tuple[Draw, ...]
    # A ReviewPolicy value; None leaves the model's default.
    review_policy: str | None = None


@dataclass(frozen=True)
class DemoExams:
    settings: ExamSettings
    # Course slug to its questions; a course without a bank has no exam.
    banks: dict[str, tuple[QuestionText, ...]]


@transaction.atomic
def seed(*, exams: DemoExams, courses: Iterable[Course]) -> None:
    """Fill each demo course's bank, give it an exam, and require the exam where the demo says."""
    requires_exam = {course.slug for course in courses if course.requires_exam}
    settings = exams.settings
    for course in CoursePage.objects.filter(slug__in=list(exams.banks)):
        category = _bank(course, exams.banks[course.slug])
        defaults: dict[str, object] = {
            "duration_minutes": settings.duration_minutes,
            "attempts_allowed": settings.attempts_allowed,
            "pass_percent": settings.pass_percent,
            "instructions": settings.instructions,
            "is_published": True,
        }
        if settings.review_policy is not None:
            defaults["review_policy"] = settings.review_policy
        exam, created = Exam.objects.get_or_create(
            course=course,
            title=settings.title.replace("{course}", course.title),
            defaults=defaults,
        )
        if created:
            for draw in settings.draw:
                ExamDrawRule.objects.create(
                    exam=exam,
                    category=category,
                    kind=draw.kind,
                    count=draw.count,
                    points=draw.points,
                )
        if (
            course.slug in requires_exam
            and course.completion_rule != CompletionRule.LESSONS_AND_EXAM
        ):
            course.completion_rule = CompletionRule.LESSONS_AND_EXAM
            course.save_revision().publish()


def _bank(course: CoursePage, questions: tuple[QuestionText, ...]) -> QuestionCategory:
    category = QuestionCategory.get_root_nodes().filter(name=course.title).first()
    if category is None:
        category = QuestionCategory.add_root(name=course.title)
    if not category.questions.exists():
        for text in questions:
            services.question_create(category=category, text=text)
    return category


def seed_history_attempts(*, passes: Iterable[tuple[int, int, datetime]]) -> int:
    """One graded, passed attempt per (person pk, course pk, passed at) of the demo's
    history (courses.demo_history), at the course's exam, so that the dashboards' 考试通过
    has last year and this year. Written in bulk with no signals (the enrolments already
    carry their exam pass); a person who has any attempt at the exam is skipped, so a second
    run writes nothing. The attempts have a score and no paper: their review shows none."""
    passes = list(passes)
    exams = {
        exam.course_id: exam
        for exam in Exam.objects.filter(course_id__in={course for _, course, _ in passes})
    }
    taken = set(Attempt.objects.filter(exam__in=exams.values()).values_list("person_id", "exam_id"))
    rows = []
    for person_id, course_id, passed_at in passes:
        exam = exams.get(course_id)
        if exam is None or (person_id, exam.pk) in taken:
            continue
        taken.add((person_id, exam.pk))
        started = passed_at - timedelta(minutes=25)
        floor = int(exam.pass_percent)
        score = floor + (person_id * 7 + course_id * 13) % (101 - floor)
        rows.append(
            Attempt(
                exam=exam,
                person_id=person_id,
                number=1,
                state=AttemptState.GRADED,
                started_at=started,
                deadline=started + timedelta(minutes=exam.duration_minutes),
                finished_at=passed_at,
                graded_at=passed_at,
                score=Decimal(score),
                max_score=Decimal(100),
                passed=True,
            )
        )
    Attempt.objects.bulk_create(rows, batch_size=500)
    return len(rows)
