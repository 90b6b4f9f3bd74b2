"""Demo courses, a provincial training plan and a credit target, from ``demo/courses/``.

The shapes below are what ``demo.loader`` reads the catalogue into (course folders, lessons
in Markdown); ``seed`` turns them into pages. Idempotent: categories, courses and lessons
are found by slug, the plan by name and year, so running it again changes nothing. Called
by ``manage.py seed_demo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape

from django.db import transaction
from django.utils import timezone

from courses import services
from courses.models import (
    CompletionRule,
    CourseCategory,
    CourseIndexPage,
    CoursePage,
    CreditTarget,
    Enrolment,
    LessonPage,
    LessonProgress,
    TrainingPlan,
)
from org.models import OrgUnit, Person


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class ItemList:
    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Text:
    """Paragraphs and lists between two other blocks: one rich-text block of the lesson."""

    parts: tuple[str | ItemList, ...]


@dataclass(frozen=True)
class Checkpoint:
    question: str
    options: tuple[str, ...]
    correct: int  # index into options
    explanation: str


@dataclass(frozen=True)
class Video:
    title: str
    embed: str  # the address of a video on an approved platform
    seconds: int


Block = Heading | Text | Checkpoint | Video


@dataclass(frozen=True)
class Lesson:
    title: str
    slug: str
    minutes: int  # engaged time required to complete it
    body: tuple[Block, ...]

    @property
    def checkpoints(self) -> tuple[Checkpoint, ...]:
        return tuple(block for block in self.body if isinstance(block, Checkpoint))

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(block.text for block in self.body if isinstance(block, Heading))

    @property
    def videos(self) -> tuple[Video, ...]:
        return tuple(block for block in self.body if isinstance(block, Video))

    def text_length(self) -> int:
        """Characters of reading text (paragraphs and list items)."""
        return sum(
            len(part) if isinstance(part, str) else sum(len(item) for item in part.items)
            for block in self.body
            if isinstance(block, Text)
            for part in block.parts
        )


@dataclass(frozen=True)
class Course:
    title: str
    slug: str
    category: str
    credit_hours: Decimal
    summary: str
    objectives: tuple[str, ...]
    lessons: tuple[Lesson, ...]
    # Completed by its lessons and its final exam, not by the lessons alone.
    requires_exam: bool = False


@dataclass(frozen=True)
class Plan:
    name: str  # "{year}" stands for the year
    target_hours: Decimal  # the province's annual credit target, every rank
    course_slugs: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    categories: tuple[str, ...]
    courses: tuple[Course, ...]
    plan: Plan


@transaction.atomic
def seed(
    *,
    catalogue: Catalogue,
    trainer: Person | None,
    province: OrgUnit,
    planner: Person | None,
) -> None:
    """Build the categories, the courses with their lessons, this year's plan and target."""
    index = CourseIndexPage.objects.first()
    if index is None:
        raise ValueError("The course catalogue page is missing; run migrate first.")
    categories = {
        name: CourseCategory.objects.get_or_create(
            name=name, defaults={"slug": name, "sort_order": order}
        )[0]
        for order, name in enumerate(catalogue.categories)
    }
    pages = {
        course.slug: _course(index, course, categories[course.category], trainer)
        for course in catalogue.courses
    }
    year = timezone.localdate().year
    plan, created = TrainingPlan.objects.get_or_create(
        name=catalogue.plan.name.replace("{year}", str(year)),
        credit_year=year,
        defaults={
            "org_unit": province,
            "due_date": date(year, 12, 31),
            "mandatory": True,
            "created_by": planner,
        },
    )
    if created:
        plan.courses.set([pages[slug] for slug in catalogue.plan.course_slugs])
    services.training_plan_apply(plan=plan)
    CreditTarget.objects.get_or_create(
        org_unit=province,
        rank="",
        credit_year=year,
        defaults={"hours": catalogue.plan.target_hours},
    )


def _course(
    index: CourseIndexPage,
    course: Course,
    category: CourseCategory,
    trainer: Person | None,
) -> CoursePage:
    page = CoursePage.objects.child_of(index).filter(slug=course.slug).first()
    if page is None:
        page = CoursePage(
            title=course.title,
            slug=course.slug,
            category=category,
            credit_hours=course.credit_hours,
            summary=course.summary,
            objectives="<ul>"
            + "".join(f"<li>{escape(o)}</li>" for o in course.objectives)
            + "</ul>",
            trainer=trainer,
            # Exams arrive with the exams app; until then every demo course completes by
            # its lessons, so the demo can be followed to the end.
            completion_rule=CompletionRule.LESSONS,
        )
        index.add_child(instance=page)
    for lesson in course.lessons:
        if not LessonPage.objects.child_of(page).filter(slug=lesson.slug).exists():
            _lesson(page, lesson)
    if not page.live or page.has_unpublished_changes:
        page.save_revision().publish()
    return page


def _lesson(course: CoursePage, lesson: Lesson) -> LessonPage:
    page = LessonPage(
        title=lesson.title,
        slug=lesson.slug,
        required_minutes=lesson.minutes,
        body=[_block(block) for block in lesson.body],
    )
    course.add_child(instance=page)
    page.save_revision().publish()
    return page


def _block(block: Block) -> tuple[str, object]:
    if isinstance(block, Heading):
        return ("heading", block.text)
    if isinstance(block, Text):
        return ("paragraph", "".join(_html(part) for part in block.parts))
    if isinstance(block, Checkpoint):
        return (
            "checkpoint",
            {
                "question": block.question,
                "options": list(block.options),
                "correct_option": block.correct + 1,
                "explanation": block.explanation,
            },
        )
    return (
        "video",
        {"title": block.title, "embed": block.embed, "duration_seconds": block.seconds},
    )


def _html(part: str | ItemList) -> str:
    if isinstance(part, str):
        return f"<p>{escape(part)}</p>"
    tag = "ol" if part.ordered else "ul"
    return f"<{tag}>" + "".join(f"<li>{escape(item)}</li>" for item in part.items) + f"</{tag}>"


def complete_for_demo(*, person: Person, course: CoursePage, when: datetime) -> bool:
    """Let a demo person finish a course as if they had studied every lesson at ``when``:
    the real completion service runs (ledger entry, ``course_completed`` signal)."""
    enrolment = Enrolment.objects.filter(person=person, course=course).first()
    if enrolment is None:
        enrolment = services.enrolment_create(person=person, course=course, source="elective")
    if enrolment.completed_at is not None:
        return False
    for lesson in LessonPage.objects.child_of(course).live():
        LessonProgress.objects.update_or_create(
            enrolment=enrolment,
            lesson=lesson,
            defaults={"engaged_seconds": lesson.required_seconds, "completed_at": when},
        )
    return services.enrolment_evaluate(enrolment=enrolment, now=when)


def study_for_demo(*, person: Person, course: CoursePage, lessons_done: int) -> bool:
    """Let a demo person be part way through a course: the first ``lessons_done`` lessons
    completed and the next one half studied, so that the home page has something to go on
    with. Nothing happens if they have already studied any of it (seed_demo runs again)."""
    enrolment = Enrolment.objects.filter(person=person, course=course).first()
    if enrolment is None:
        enrolment = services.enrolment_create(person=person, course=course, source="elective")
    if enrolment.completed_at is not None or enrolment.lesson_progress.exists():
        return False
    lessons = list(LessonPage.objects.child_of(course).live().order_by("path"))
    if len(lessons) <= lessons_done:
        return False
    when = timezone.now() - timedelta(days=1)
    for lesson in lessons[:lessons_done]:
        LessonProgress.objects.create(
            enrolment=enrolment,
            lesson=lesson,
            engaged_seconds=lesson.required_seconds,
            completed_at=when,
        )
    following = lessons[lessons_done]
    LessonProgress.objects.create(
        enrolment=enrolment, lesson=following, engaged_seconds=following.required_seconds // 2
    )
    return True
