"""Demo question banks and one final exam per demo course, from exams/demo_content.py.

Idempotent: a course's bank is its own category, filled only when empty, and the exam is
found by course and title. Called by ``manage.py seed_demo`` after the demo courses.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from courses.demo_content import COURSES
from courses.models import CompletionRule, CoursePage
from exams import services
from exams.demo_content import BANKS
from exams.models import Exam, ExamDrawRule, QuestionCategory, QuestionKind

# 14 questions, 100 points: drawn afresh for every attempt from the course's bank.
DRAW = (
    (QuestionKind.SINGLE, 5, Decimal("6")),
    (QuestionKind.MULTIPLE, 3, Decimal("10")),
    (QuestionKind.TRUE_FALSE, 4, Decimal("5")),
    (QuestionKind.FILL, 2, Decimal("10")),
)


@transaction.atomic
def seed() -> None:
    """Fill each demo course's bank, give it an exam, and require the exam where the demo says."""
    requires_exam = {course.slug for course in COURSES if course.requires_exam}
    for course in CoursePage.objects.filter(slug__in=list(BANKS)):
        category = _bank(course)
        exam, created = Exam.objects.get_or_create(
            course=course,
            title=f"{course.title} 结业考试",
            defaults={
                "duration_minutes": 30,
                "attempts_allowed": 3,
                "pass_percent": Decimal("60"),
                "instructions": "共 14 题，满分 100 分，60 分及格。题目从本课程题库中随机抽取。",
                "is_published": True,
            },
        )
        if created:
            for kind, count, points in DRAW:
                ExamDrawRule.objects.create(
                    exam=exam, category=category, kind=kind, count=count, points=points
                )
        if (
            course.slug in requires_exam
            and course.completion_rule != CompletionRule.LESSONS_AND_EXAM
        ):
            course.completion_rule = CompletionRule.LESSONS_AND_EXAM
            course.save_revision().publish()


def _bank(course: CoursePage) -> QuestionCategory:
    category = QuestionCategory.get_root_nodes().filter(name=course.title).first()
    if category is None:
        category = QuestionCategory.add_root(name=course.title)
    if not category.questions.exists():
        for text in BANKS[course.slug]:
            services.question_create(category=category, text=text)
    return category
