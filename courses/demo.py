"""Demo courses, a provincial training plan and a credit target, built from demo_content.

Idempotent: categories, courses and lessons are found by slug, the plan by name and year,
so running it again changes nothing. Called by ``manage.py seed_demo``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from html import escape

from django.db import transaction
from django.utils import timezone

from courses import services
from courses.demo_content import CATEGORIES, COURSES, Course, Lesson
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

PLAN_COURSES = ("电子政务概论", "信息安全保障体系", "公务员计算机与网络应用基础")
ANNUAL_TARGET_HOURS = Decimal("30")


@transaction.atomic
def seed(*, trainer: Person | None, province: OrgUnit, planner: Person | None) -> None:
    """Build categories, the six courses with their lessons, this year's plan and target."""
    catalogue = CourseIndexPage.objects.first()
    if catalogue is None:
        raise ValueError("The course catalogue page is missing; run migrate first.")
    categories = {
        name: CourseCategory.objects.get_or_create(
            name=name, defaults={"slug": name, "sort_order": order}
        )[0]
        for order, name in enumerate(CATEGORIES)
    }
    pages = {
        course.title: _course(catalogue, course, categories[course.category], trainer)
        for course in COURSES
    }
    year = timezone.localdate().year
    plan, created = TrainingPlan.objects.get_or_create(
        name=f"{year}年度全省公务员信息化能力提升培训",
        credit_year=year,
        defaults={
            "org_unit": province,
            "due_date": date(year, 12, 31),
            "mandatory": True,
            "created_by": planner,
        },
    )
    if created:
        plan.courses.set([pages[title] for title in PLAN_COURSES if title in pages])
    services.training_plan_apply(plan=plan)
    CreditTarget.objects.get_or_create(
        org_unit=province, rank="", credit_year=year, defaults={"hours": ANNUAL_TARGET_HOURS}
    )


def _course(
    catalogue: CourseIndexPage,
    course: Course,
    category: CourseCategory,
    trainer: Person | None,
) -> CoursePage:
    page = CoursePage.objects.child_of(catalogue).filter(slug=course.slug).first()
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
        catalogue.add_child(instance=page)
    for lesson in course.lessons:
        if not LessonPage.objects.child_of(page).filter(slug=lesson.slug).exists():
            _lesson(page, lesson)
    if not page.live or page.has_unpublished_changes:
        page.save_revision().publish()
    return page


def _lesson(course: CoursePage, lesson: Lesson) -> LessonPage:
    body: list[tuple[str, object]] = []
    for section in lesson.sections:
        body.append(("heading", section.heading))
        html = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in section.paragraphs)
        if section.bullets:
            html += (
                "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in section.bullets) + "</ul>"
            )
        body.append(("paragraph", html))
    for checkpoint in lesson.checkpoints:
        body.append(
            (
                "checkpoint",
                {
                    "question": checkpoint.question,
                    "options": list(checkpoint.options),
                    "correct_option": checkpoint.correct + 1,
                    "explanation": checkpoint.explanation,
                },
            )
        )
    page = LessonPage(
        title=lesson.title,
        slug=lesson.slug,
        required_minutes=lesson.minutes,
        body=body,
    )
    course.add_child(instance=page)
    page.save_revision().publish()
    return page


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
