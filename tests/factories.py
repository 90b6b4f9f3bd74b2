"""Builders for test data. They go through the services so every row obeys the same rules."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents.models import Document

from certificates.models import Certificate
from certificates.tasks import certificate_issue_task
from courses import services as courses_services
from courses.models import CourseIndexPage, CoursePage, Enrolment, LessonPage, LessonProgress
from exams import services as exam_services
from exams.models import Exam, ExamQuestion, Question, QuestionCategory
from org import services
from org.models import OrgUnit, OrgUnitKind, Person

_sequence = itertools.count(1)

PASSWORD = "Correct-Horse-2026"


def unit_create(
    *, parent: OrgUnit | None, name: str, kind: str, division_code: str = "330000"
) -> OrgUnit:
    return services.org_unit_create(
        parent=parent,
        name=name,
        kind=kind,
        division_code=division_code,
        code=f"test-{next(_sequence)}",
    )


def person_create(
    *, unit: OrgUnit, real_name: str = "测试人员", password: str | None = PASSWORD, **kwargs: str
) -> Person:
    number = next(_sequence)
    return services.person_create(
        username=kwargs.pop("username", f"user{number}"),
        real_name=real_name,
        employee_number=kwargs.pop("employee_number", f"T{number:06d}"),
        org_unit=unit,
        password=password,
        **kwargs,
    )


class Tree:
    """A small Zhejiang: two cities, two counties in one, departments and units."""

    def __init__(self) -> None:
        self.province = unit_create(
            parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE, division_code="330000"
        )
        self.hangzhou = unit_create(
            parent=self.province, name="杭州市", kind=OrgUnitKind.CITY, division_code="330100"
        )
        self.ningbo = unit_create(
            parent=self.province, name="宁波市", kind=OrgUnitKind.CITY, division_code="330200"
        )
        self.xihu = unit_create(
            parent=self.hangzhou, name="西湖区", kind=OrgUnitKind.COUNTY, division_code="330106"
        )
        self.binjiang = unit_create(
            parent=self.hangzhou, name="滨江区", kind=OrgUnitKind.COUNTY, division_code="330108"
        )
        self.xihu_data_bureau = unit_create(
            parent=self.xihu,
            name="西湖区数据资源管理局",
            kind=OrgUnitKind.DEPARTMENT,
            division_code="330106",
        )
        self.xihu_it_section = unit_create(
            parent=self.xihu_data_bureau,
            name="信息化科",
            kind=OrgUnitKind.UNIT,
            division_code="330106",
        )
        self.binjiang_hr_bureau = unit_create(
            parent=self.binjiang,
            name="滨江区人力资源和社会保障局",
            kind=OrgUnitKind.DEPARTMENT,
            division_code="330108",
        )
        self.ningbo_data_bureau = unit_create(
            parent=self.ningbo,
            name="宁波市大数据发展管理局",
            kind=OrgUnitKind.DEPARTMENT,
            division_code="330200",
        )
        self.provincial_hr_department = unit_create(
            parent=self.province,
            name="浙江省人力资源和社会保障厅",
            kind=OrgUnitKind.DEPARTMENT,
        )


def catalogue() -> CourseIndexPage:
    page = CourseIndexPage.objects.first()
    assert page is not None, "the catalogue page is created by a migration"
    return page


def course_create(
    *,
    title: str = "电子政务概论",
    hours: str = "2.0",
    lessons: int = 2,
    minutes: int = 1,
    rule: str = "lessons",
    checkpoint: bool = False,
    video_seconds: int = 0,
) -> CoursePage:
    """A published course with ``lessons`` published lessons of ``minutes`` each."""
    number = next(_sequence)
    course = CoursePage(
        title=title,
        slug=f"course-{number}",
        credit_hours=Decimal(hours),
        summary="课程简介",
        completion_rule=rule,
    )
    catalogue().add_child(instance=course)
    for index in range(lessons):
        lesson_create(
            course=course,
            title=f"第{index + 1}课",
            minutes=minutes,
            checkpoint=checkpoint,
            video_seconds=video_seconds,
        )
    course.save_revision().publish()
    return course


def lesson_create(
    *,
    course: CoursePage,
    title: str = "第1课",
    minutes: int = 1,
    checkpoint: bool = False,
    video_seconds: int = 0,
) -> LessonPage:
    body: list[tuple[str, object]] = [
        ("paragraph", "<p>电子政务是政府机构运用信息技术的管理方式。</p>")
    ]
    if video_seconds:
        document = Document.objects.create(
            title="视频", file=ContentFile(b"not really a video", name="lesson.mp4")
        )
        body.append(
            (
                "video",
                {
                    "title": "讲解视频",
                    "file": document,
                    "embed": None,
                    "duration_seconds": video_seconds,
                },
            )
        )
    if checkpoint:
        body.append(
            (
                "checkpoint",
                {
                    "question": "G2C 指的是什么？",
                    "options": ["政府对政府", "政府对公民"],
                    "correct_option": 2,
                    "explanation": "C 是 citizen。",
                },
            )
        )
    lesson = LessonPage(
        title=title, slug=f"lesson-{next(_sequence)}", required_minutes=minutes, body=body
    )
    course.add_child(instance=lesson)
    lesson.save_revision().publish()
    return lesson


def question_category(
    name: str = "信息安全", parent: QuestionCategory | None = None
) -> QuestionCategory:
    if parent is None:
        return QuestionCategory.add_root(name=name)
    return parent.add_child(name=name)


def question_single(
    category: QuestionCategory, *, stem: str = "等级保护共分几级？", difficulty: int = 2
) -> Question:
    return exam_services.question_create(
        category=category,
        text=exam_services.QuestionText(
            kind="single",
            stem=stem,
            options=["三级", "四级", "五级"],
            answer="c",
            difficulty=difficulty,
            explanation="网络安全等级保护共分五级。",
        ),
    )


def question_short(category: QuestionCategory) -> Question:
    return exam_services.question_create(
        category=category,
        text=exam_services.QuestionText(
            kind="short",
            stem="简述数据备份的“3-2-1”原则。",
            options=[],
            answer=None,
            rubric="三份副本 2 分，两种介质 2 分，一份异地 1 分。",
        ),
    )


def exam_create(
    *,
    questions: list[Question],
    course: CoursePage | None = None,
    minutes: int = 30,
    attempts: int = 1,
    points: str = "1",
    **fields: object,
) -> Exam:
    exam = Exam.objects.create(
        title="信息安全考试",
        course=course,
        duration_minutes=minutes,
        attempts_allowed=attempts,
        is_published=True,
        **fields,
    )
    for position, question in enumerate(questions, start=1):
        ExamQuestion.objects.create(
            exam=exam, question=question, sort_order=position, points=Decimal(points)
        )
    return exam


def course_complete(
    *, person: Person, course: CoursePage, now: datetime | None = None
) -> Enrolment:
    """Enrol the person and complete every lesson, as heartbeats would; the course completes
    (ledger entry and ``course_completed`` signal included) through the real service."""
    now = now or timezone.now()
    enrolment = courses_services.enrolment_create(person=person, course=course, source="elective")
    for lesson in LessonPage.objects.child_of(course).live():
        LessonProgress.objects.create(
            enrolment=enrolment, lesson=lesson, engaged_seconds=60, completed_at=now
        )
    assert courses_services.enrolment_evaluate(enrolment=enrolment, now=now)
    enrolment.refresh_from_db()
    return enrolment


def certificate_for(enrolment: Enrolment) -> Certificate:
    """Run the issuing task for a completed enrolment, as the worker would, and return it."""
    certificate_id = certificate_issue_task(enrolment.pk)
    assert certificate_id is not None, "the enrolment is not completed"
    return Certificate.objects.get(pk=certificate_id)
