"""The demo courses in demo/courses/: their shape, through the loader, and the loader's checks
of lesson files (docs/demo.md)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from courses.demo import Checkpoint, Course, Heading, ItemList, Lesson, Text, Video
from demo import loader
from demo.loader import DEMO_ROOT, DemoDataError

ORIGINAL_TITLES = (
    "电子政务概论",
    "政府网站建设与信息发布规范",
    "信息安全保障体系",
    "协同办公与业务协同",
    "打破信息孤岛：数据共享与互联互通",
    "公务员计算机与网络应用基础",
)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def courses() -> tuple[Course, ...]:
    return loader.load().catalogue.courses


def lessons() -> Iterator[Lesson]:
    for course in courses():
        yield from course.lessons


def texts(lesson: Lesson) -> Iterator[str]:
    yield lesson.title
    for block in lesson.body:
        if isinstance(block, Heading):
            yield block.text
        elif isinstance(block, Text):
            for part in block.parts:
                yield from part.items if isinstance(part, ItemList) else [part]
        elif isinstance(block, Checkpoint):
            yield from (block.question, *block.options, block.explanation)


def test_the_six_original_courses_come_first_in_their_order():
    assert tuple(course.title for course in courses())[:6] == ORIGINAL_TITLES


def test_course_slugs_are_unique_ascii_slugs():
    slugs = [course.slug for course in courses()]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.fullmatch(slug) for slug in slugs)


def test_lesson_slugs_are_unique_within_their_course():
    for course in courses():
        slugs = [lesson.slug for lesson in course.lessons]
        assert len(set(slugs)) == len(slugs), course.title
        assert all(SLUG.fullmatch(slug) for slug in slugs), course.title


def test_every_course_has_four_to_six_lessons():
    for course in courses():
        assert 4 <= len(course.lessons) <= 6, course.title


def test_the_security_course_has_at_least_five_lessons():
    security = next(course for course in courses() if course.title == "信息安全保障体系")
    assert len(security.lessons) >= 5


def test_every_lesson_has_at_least_600_characters_of_text():
    for lesson in lessons():
        assert lesson.text_length() >= 600, lesson.slug


def test_every_lesson_has_sections_checkpoints_and_a_plausible_reading_time():
    for lesson in lessons():
        assert 2 <= len(lesson.headings) <= 4, lesson.slug
        assert isinstance(lesson.body[0], Heading), lesson.slug
        assert 1 <= len(lesson.checkpoints) <= 2, lesson.slug
        assert 5 <= lesson.minutes <= 15, lesson.slug
        # An embedded video needs a provider the demo machine may not reach.
        assert lesson.videos == (), lesson.slug


def test_every_checkpoint_points_at_a_valid_option_among_unique_options():
    for lesson in lessons():
        for checkpoint in lesson.checkpoints:
            assert 2 <= len(checkpoint.options) <= 4, checkpoint.question
            assert len(set(checkpoint.options)) == len(checkpoint.options), checkpoint.question
            assert 0 <= checkpoint.correct < len(checkpoint.options), checkpoint.question
            assert checkpoint.explanation, checkpoint.question


def test_correct_answers_are_not_always_the_first_option():
    positions = {checkpoint.correct for lesson in lessons() for checkpoint in lesson.checkpoints}
    assert len(positions) >= 3


def test_categories_come_from_the_category_list():
    catalogue = loader.load().catalogue
    assert {course.category for course in catalogue.courses} <= set(catalogue.categories)


def test_credit_hours_are_decimals_with_one_decimal_place_between_one_and_four():
    for course in courses():
        hours = course.credit_hours
        assert isinstance(hours, Decimal), course.title
        exponent = hours.as_tuple().exponent
        assert isinstance(exponent, int), course.title
        assert exponent >= -1, course.title
        assert Decimal(1) <= hours <= Decimal(4), course.title


def test_exactly_the_security_and_introduction_courses_require_an_exam():
    assert {course.title for course in courses() if course.requires_exam} == {
        "电子政务概论",
        "信息安全保障体系",
    }


def test_the_catalogue_offers_well_over_the_annual_target():
    # Defect 14: with 14 学时 on offer nobody could reach a 30 学时 target.
    catalogue = loader.load().catalogue
    offered = sum(course.credit_hours for course in catalogue.courses)
    assert offered >= catalogue.plan.target_hours + 10


def test_no_text_contains_a_placeholder():
    for lesson in lessons():
        for text in texts(lesson):
            lowered = text.lower()
            assert "lorem" not in lowered, text
            assert "todo" not in lowered, text
            assert "示例文本" not in text, text


def test_a_lesson_file_becomes_headings_text_lists_checkpoints_and_videos(tmp_path):
    root = copy_demo(tmp_path)
    lesson_path = first_lesson(root)
    lesson_path.write_text(
        "---\ntitle: 测试课\nminutes: 7\n---\n\n"
        "## 第一节\n\n第一段的第一行，\n接着第二行。\n\n- 要点一\n- 要点二\n  续行\n\n"
        "1. 第一步\n2. 第二步\n\n"
        "::: video\ntitle: 讲解视频\nembed: https://video.example.cn/v/1\nseconds: 300\n:::\n\n"
        "## 第二节\n\nHTML <b>不生效</b> & 原样显示。\n\n"
        "::: checkpoint\n哪一项正确？\n\n- [ ] 甲\n- [x] 乙\n\n因为乙。\n:::\n",
        encoding="utf-8",
    )
    lesson = loader.load(root).catalogue.courses[0].lessons[0]
    assert (lesson.title, lesson.minutes) == ("测试课", 7)
    assert lesson.body == (
        Heading("第一节"),
        Text(
            (
                "第一段的第一行，接着第二行。",
                ItemList(("要点一", "要点二续行")),
                ItemList(("第一步", "第二步"), ordered=True),
            )
        ),
        Video("讲解视频", "https://video.example.cn/v/1", 300),
        Heading("第二节"),
        Text(("HTML <b>不生效</b> & 原样显示。",)),
        Checkpoint("哪一项正确？", ("甲", "乙"), 1, "因为乙。"),
    )


def copy_demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO_ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def first_lesson(root: Path) -> Path:
    return sorted((root / "courses" / "e-government-introduction").glob("01-*.md"))[0]


CHECKPOINT = "::: checkpoint\n问题？\n\n- [ ] 甲\n- [x] 乙\n\n解析。\n:::\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("## 一\n\n正文。\n\n::: quiz\n问题？\n:::\n", 10, "unknown block kind 'quiz'"),
        ("## 一\n\n::: checkpoint\n问题？\n\n- [ ] 甲\n- [ ] 乙\n:::\n", 8, "exactly one option"),
        ("## 一\n\n::: checkpoint\n问题？\n\n- [x] 甲\n- [x] 乙\n:::\n", 8, "exactly one option"),
        ("## 一\n\n::: checkpoint\n问题？\n\n- [x] 甲\n:::\n", 8, "2 to 6 options"),
        ("## 一\n\n::: checkpoint\n问题？\n\n- [x] 甲\n- [ ] 甲\n:::\n", 12, "duplicate option"),
        ("## 一\n\n::: checkpoint\n\n- [x] 甲\n- [ ] 乙\n:::\n", 8, "question is missing"),
        ("## 一\n\n::: checkpoint\n问题？\n- [x] 甲\n- [ ] 乙\n", 8, "no closing ':::'"),
        ("# 一\n\n正文。\n", 6, "sections start with '## '"),
        (
            "## 一\n\n::: video\ntitle: 视频\nembed: http://x.cn/v\nseconds: 60\n:::\n",
            10,
            "https://",
        ),
        ("## 一\n\n::: video\ntitle: 视频\nseconds: 60\n:::\n", 8, "'embed' is missing"),
    ],
)
def test_a_bad_lesson_is_refused_with_its_file_and_line(tmp_path, body, line, message):
    root = copy_demo(tmp_path)
    lesson = first_lesson(root)
    lesson.write_text(f"---\ntitle: 课\nminutes: 5\n---\n\n{body}", encoding="utf-8")
    with pytest.raises(DemoDataError) as raised:
        loader.load(root)
    assert raised.value.path == lesson
    assert raised.value.line == line
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{lesson}:{line}: ")


@pytest.mark.parametrize(
    ("front", "line", "field", "message"),
    [
        ("title: 课\nminutes: 五\n", 3, "front matter.minutes", "expected a whole number"),
        ("title: 课\nminutes: 0\n", 3, "front matter.minutes", "outside 1–600"),
        ("title: 课\nminutes: 5\nauthor: 张\n", 4, "front matter.author", "unknown field"),
        ("minutes: 5\n", 2, "front matter", "'title' is missing"),
    ],
)
def test_bad_front_matter_names_the_field_and_its_line(tmp_path, front, line, field, message):
    root = copy_demo(tmp_path)
    lesson = first_lesson(root)
    lesson.write_text(f"---\n{front}---\n\n## 一\n\n正文。\n\n{CHECKPOINT}", encoding="utf-8")
    with pytest.raises(DemoDataError) as raised:
        loader.load(root)
    assert (raised.value.path, raised.value.line, raised.value.field) == (lesson, line, field)
    assert message in str(raised.value)


def test_a_lesson_file_must_be_named_by_number_and_slug(tmp_path):
    root = copy_demo(tmp_path)
    lesson = first_lesson(root)
    lesson.rename(lesson.with_name("Intro.md"))
    with pytest.raises(DemoDataError, match="NN-slug.md"):
        loader.load(root)


def test_a_course_folder_must_be_listed_and_its_category_known(tmp_path):
    root = copy_demo(tmp_path)
    shutil.copytree(
        root / "courses" / "e-government-introduction", root / "courses" / "unlisted-course"
    )
    with pytest.raises(DemoDataError, match="unlisted-course/ is not listed"):
        loader.load(root)
    shutil.rmtree(root / "courses" / "unlisted-course")
    course = root / "courses" / "e-government-introduction" / "course.yaml"
    course.write_text(course.read_text().replace("category: 电子政务", "category: 电子政府"))
    with pytest.raises(DemoDataError) as raised:
        loader.load(root)
    assert (raised.value.path, raised.value.line, raised.value.field) == (course, 2, "category")
    assert "unknown value '电子政府'" in str(raised.value)


def test_yaml_values_stay_as_typed(tmp_path):
    # Every scalar is read as text, so "no" is not a boolean and 2.10 not a float.
    root = copy_demo(tmp_path)
    course = root / "courses" / "e-government-introduction" / "course.yaml"
    course.write_text(course.read_text().replace("credit_hours: 2.0", "credit_hours: 2.15"))
    with pytest.raises(DemoDataError, match="more than 1 decimal place"):
        loader.load(root)
