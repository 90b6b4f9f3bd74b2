"""The demo question banks (demo/courses/*/questions.yaml) through the loader, and the loader's
checks of a bank (docs/demo.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from demo import loader
from demo.loader import DEMO_ROOT, DemoDataError
from exams.models import QuestionKind, ReviewPolicy
from exams.services import QuestionText, question_validate

KINDS = set(QuestionKind.values)
FORBIDDEN = ("lorem", "todo", "示例")
BANKS = loader.load().exams.banks


def _texts(question: QuestionText) -> list[str]:
    texts = [question.stem, question.explanation, question.rubric, *question.options]
    texts.extend(question.tags)
    if isinstance(question.answer, list):
        for blank in question.answer:
            texts.extend(blank if isinstance(blank, list) else [blank])
    return [str(text) for text in texts]


def test_every_course_that_requires_its_exam_has_a_bank_and_every_bank_a_course():
    courses = loader.load().catalogue.courses
    assert {course.slug for course in courses if course.requires_exam} <= set(BANKS)
    assert set(BANKS) <= {course.slug for course in courses}


@pytest.mark.parametrize("slug", sorted(BANKS))
def test_each_bank_has_at_least_twenty_questions_of_all_five_kinds(slug):
    bank = BANKS[slug]
    assert len(bank) >= 20
    assert {question.kind for question in bank} == KINDS


@pytest.mark.parametrize("slug", sorted(BANKS))
def test_every_question_passes_the_question_bank_validation(slug):
    for question in BANKS[slug]:
        question_validate(question)


@pytest.mark.parametrize("slug", sorted(BANKS))
def test_single_choice_answers_are_not_all_the_same_letter(slug):
    letters = {question.answer for question in BANKS[slug] if question.kind == "single"}
    assert len(letters) > 1


@pytest.mark.parametrize("slug", sorted(BANKS))
def test_stems_are_unique_within_a_bank(slug):
    stems = [question.stem for question in BANKS[slug]]
    assert len(stems) == len(set(stems))


@pytest.mark.parametrize("slug", sorted(BANKS))
def test_no_text_is_a_placeholder(slug):
    for question in BANKS[slug]:
        for text in _texts(question):
            assert not any(word in text.lower() for word in FORBIDDEN), text


def test_the_demo_exams_keep_answers_back_while_attempts_remain():
    settings = loader.load().exams.settings
    assert settings.attempts_allowed > 1
    assert settings.review_policy == ReviewPolicy.AFTER_LAST_ATTEMPT


def copy_demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO_ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


SINGLE = """\
- kind: single
  stem: 哪一项正确？
  options: [甲, 乙, 丙]
  answer: b
"""


def bank_with(root: Path, question: str) -> Path:
    """The introduction course's bank with ``question`` put first."""
    path = root / "courses" / "e-government-introduction" / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    body = text[text.index("- kind:") :]
    path.write_text(question + "\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("question", "line", "field", "message"),
    [
        (SINGLE.replace("kind: single", "kind: choice"), 1, "[0].kind", "unknown value 'choice'"),
        (SINGLE.replace("  answer: b\n", ""), 1, "[0]", "'answer' is missing"),
        (SINGLE.replace("answer: b", "answer: d"), 4, "[0].answer", "答案必须是本题的选项"),
        (SINGLE.replace("answer: b", "answer: [a, b]"), 4, "[0].answer", "单选题只能有一个答案"),
        (SINGLE.replace("stem: 哪一项正确？", "stem: ''"), 2, "[0].stem", "is empty"),
        (SINGLE + "  level: 2\n", 5, "[0].level", "unknown field"),
        (SINGLE + "  difficulty: 4\n", 5, "[0].difficulty", "outside 1–3"),
        (
            "- kind: true_false\n  stem: 对吗？\n  answer: 也许\n",
            3,
            "[0].answer",
            "判断题的答案只能是",
        ),
        ("- kind: short\n  stem: 简述。\n", 1, "[0].rubric", "简答题需要填写评分标准"),
        (
            SINGLE + "\n" + SINGLE,
            7,
            "[1].stem",
            "duplicate question '哪一项正确？' (first on line 2)",
        ),
    ],
)
def test_a_bad_question_is_refused_with_its_file_line_and_field(
    tmp_path, question, line, field, message
):
    root = copy_demo(tmp_path)
    path = bank_with(root, question)
    with pytest.raises(DemoDataError) as raised:
        loader.load(root)
    assert (raised.value.path, raised.value.line, raised.value.field) == (path, line, field)
    assert message in str(raised.value)


def test_a_bank_too_small_for_the_exam_draw_is_refused(tmp_path):
    root = copy_demo(tmp_path)
    path = root / "courses" / "e-government-introduction" / "questions.yaml"
    path.write_text(SINGLE, encoding="utf-8")
    with pytest.raises(
        DemoDataError, match="the bank has 1 questions of kind single; the exam draws 5"
    ):
        loader.load(root)


def test_a_duplicate_key_is_refused_with_its_line(tmp_path):
    root = copy_demo(tmp_path)
    path = bank_with(root, SINGLE + "  answer: c\n")
    with pytest.raises(DemoDataError) as raised:
        loader.load(root)
    assert (raised.value.path, raised.value.line) == (path, 5)
    assert "'answer' appears twice" in str(raised.value)
