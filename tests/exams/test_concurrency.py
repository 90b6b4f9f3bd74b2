"""Exam races on real PostgreSQL: concurrent starts, double submits, saves racing a submit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams import services
from exams.models import Answer, Attempt
from tests import factories
from tests.org.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def exam(db):
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{i}题") for i in range(5)]
    return factories.exam_create(questions=questions, attempts=3)


def test_twenty_concurrent_starts_open_one_attempt(exam, learner):
    results, errors = race(20, lambda _: services.attempt_start(exam=exam, person=learner))

    assert errors == []
    assert len({attempt.pk for attempt in results}) == 1
    assert Attempt.objects.filter(person=learner).count() == 1


def test_concurrent_double_submits_grade_once(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner)
    for question in attempt.paper.all():
        services.answer_save(attempt=attempt, position=question.position, response="c")

    results, errors = race(10, lambda _: services.attempt_submit(attempt=attempt))

    assert errors == []
    assert len({(r.state, r.graded_at, r.finished_at, r.score) for r in results}) == 1
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score) == ("graded", Decimal("5"))
    assert Attempt.objects.filter(person=learner).count() == 1


def test_a_save_racing_a_submit_never_alters_the_submitted_attempt(exam, learner):
    exam.attempts_allowed = 5
    exam.save()
    for _round in range(5):
        attempt = services.attempt_start(exam=exam, person=learner)
        services.answer_save(attempt=attempt, position=1, response="a")

        def act(index: int, attempt: Attempt = attempt) -> object:
            if index == 0:
                return services.attempt_submit(attempt=attempt)
            return services.answer_save(attempt=attempt, position=1, response="c")

        results, errors = race(6, act)
        assert all(isinstance(error, services.AttemptClosed) for error in errors)
        attempt.refresh_from_db()
        answer = Answer.objects.get(attempt_question__attempt=attempt, attempt_question__position=1)
        # The grade matches the answer that was stored when the attempt closed.
        expected = Decimal("1") if answer.response == "c" else Decimal("0")
        assert attempt.state == "graded"
        assert attempt.score == expected
        # And nothing written afterwards changes it.
        with pytest.raises(services.AttemptClosed):
            services.answer_save(attempt=attempt, position=1, response="b")
