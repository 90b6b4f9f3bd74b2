"""The demo question banks: one per demo course, every question valid for the question bank."""

from __future__ import annotations

import pytest

from courses.demo_content import COURSES
from exams.demo_content import BANKS
from exams.services import QuestionText, question_validate

KINDS = {"single", "multiple", "true_false", "fill", "short"}
FORBIDDEN = ("lorem", "todo", "示例")


def _texts(question: QuestionText) -> list[str]:
    texts = [question.stem, question.explanation, question.rubric, *question.options]
    texts.extend(question.tags)
    if isinstance(question.answer, list):
        for blank in question.answer:
            texts.extend(blank if isinstance(blank, list) else [blank])
    return [str(text) for text in texts]


def test_every_demo_course_has_a_question_bank():
    slugs = {course.slug for course in COURSES}
    assert slugs <= set(BANKS)
    assert set(BANKS) <= slugs


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
