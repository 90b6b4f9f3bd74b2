"""The demo courses: six real courses whose shape the seed command and the pages rely on."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from decimal import Decimal

from courses.demo_content import CATEGORIES, COURSES, Lesson

TITLES = (
    "电子政务概论",
    "政府网站建设与信息发布规范",
    "信息安全保障体系",
    "协同办公与业务协同",
    "打破信息孤岛：数据共享与互联互通",
    "公务员计算机与网络应用基础",
)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _lessons() -> Iterator[Lesson]:
    for course in COURSES:
        yield from course.lessons


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _texts(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))


def test_there_are_six_courses_with_the_exact_titles():
    assert tuple(course.title for course in COURSES) == TITLES


def test_course_slugs_are_unique_ascii_slugs():
    slugs = [course.slug for course in COURSES]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.fullmatch(slug) for slug in slugs)


def test_lesson_slugs_are_unique_within_their_course():
    for course in COURSES:
        slugs = [lesson.slug for lesson in course.lessons]
        assert len(set(slugs)) == len(slugs), course.title
        assert all(SLUG.fullmatch(slug) for slug in slugs), course.title


def test_every_course_has_at_least_four_lessons():
    for course in COURSES:
        assert 4 <= len(course.lessons) <= 6, course.title


def test_the_security_course_has_at_least_five_lessons():
    security = next(course for course in COURSES if course.title == "信息安全保障体系")
    assert len(security.lessons) >= 5


def test_every_lesson_has_at_least_600_characters_of_text():
    for lesson in _lessons():
        length = sum(
            len(text)
            for section in lesson.sections
            for text in (*section.paragraphs, *section.bullets)
        )
        assert length >= 600, lesson.slug


def test_every_lesson_has_sections_checkpoints_and_a_plausible_reading_time():
    for lesson in _lessons():
        assert 2 <= len(lesson.sections) <= 4, lesson.slug
        assert 1 <= len(lesson.checkpoints) <= 2, lesson.slug
        assert 5 <= lesson.minutes <= 15, lesson.slug
        assert lesson.video_seconds == 0, lesson.slug


def test_every_checkpoint_points_at_a_valid_option_among_unique_options():
    for lesson in _lessons():
        for checkpoint in lesson.checkpoints:
            assert 2 <= len(checkpoint.options) <= 4, checkpoint.question
            assert len(set(checkpoint.options)) == len(checkpoint.options), checkpoint.question
            assert 0 <= checkpoint.correct < len(checkpoint.options), checkpoint.question
            assert checkpoint.explanation, checkpoint.question


def test_correct_answers_are_not_always_the_first_option():
    positions = {checkpoint.correct for lesson in _lessons() for checkpoint in lesson.checkpoints}
    assert len(positions) >= 3


def test_categories_come_from_the_category_list():
    assert {course.category for course in COURSES} <= set(CATEGORIES)


def test_credit_hours_are_decimals_with_one_decimal_place_between_one_and_four():
    for course in COURSES:
        hours = course.credit_hours
        assert isinstance(hours, Decimal), course.title
        exponent = hours.as_tuple().exponent
        assert isinstance(exponent, int), course.title
        assert exponent >= -1, course.title
        assert Decimal(1) <= hours <= Decimal(4), course.title


def test_exactly_the_security_and_introduction_courses_require_an_exam():
    assert {course.title for course in COURSES if course.requires_exam} == {
        "电子政务概论",
        "信息安全保障体系",
    }


def test_no_text_contains_a_placeholder():
    for text in _texts(COURSES):
        lowered = text.lower()
        assert "lorem" not in lowered, text
        assert "todo" not in lowered, text
        assert "示例文本" not in text, text
