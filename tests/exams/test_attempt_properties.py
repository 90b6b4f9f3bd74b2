"""Property-based: random sequences of start, save, submit and expire keep the invariants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exams import services
from exams.models import Answer, Attempt, AttemptState
from tests import factories

EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.integers(0, 0)),
        st.tuples(st.just("save"), st.integers(1, 3), st.sampled_from(["a", "b", "c", "x"])),
        st.tuples(st.just("submit"), st.integers(0, 0)),
        st.tuples(st.just("expire"), st.integers(0, 0)),
        st.tuples(st.just("wait"), st.integers(1, 40)),
    ),
    min_size=1,
    max_size=25,
)


class Rollback(Exception):
    pass


@pytest.fixture
def setup(db, learner):
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{i}题") for i in range(3)]
    exam = factories.exam_create(questions=questions, minutes=20, attempts=2)
    return exam, learner


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=EVENTS)
def test_the_attempt_state_machine_keeps_its_invariants(setup, events):
    exam, person = setup
    try:
        with transaction.atomic():
            run(exam, person, events)
            raise Rollback
    except Rollback:
        pass


def run(exam, person, events) -> None:
    clock = timezone.now().replace(microsecond=0)
    closed_answers: dict[int, dict[int, object]] = {}
    for event in events:
        kind = event[0]
        current = Attempt.objects.filter(exam=exam, person=person).order_by("-number").first()
        if kind == "wait":
            clock += timedelta(minutes=event[1])
        elif kind == "start":
            try:
                services.attempt_start(exam=exam, person=person, now=clock)
            except services.AttemptRefused:
                assert Attempt.objects.filter(exam=exam, person=person).count() == 2
        elif kind == "save" and current is not None:
            try:
                services.answer_save(
                    attempt=current, position=event[1], response=event[2], now=clock
                )
            except services.AttemptClosed:
                assert current.state != "in_progress" or clock > current.deadline
            except ValidationError:
                assert event[2] == "x"  # only the malformed response is refused as such
        elif kind == "submit" and current is not None:
            services.attempt_submit(attempt=current, now=clock)
        elif kind == "expire":
            for attempt_id in services.attempts_overdue(now=clock):
                services.attempt_finalise_expired(attempt_id=attempt_id, now=clock)

        # Invariants after every event.
        attempts = list(Attempt.objects.filter(exam=exam, person=person))
        assert sum(1 for a in attempts if a.state == AttemptState.IN_PROGRESS) <= 1
        assert len(attempts) <= exam.attempts_allowed
        for attempt in attempts:
            answers = dict(
                Answer.objects.filter(attempt_question__attempt=attempt).values_list(
                    "attempt_question__position", "response"
                )
            )
            if attempt.state == AttemptState.IN_PROGRESS:
                assert attempt.finished_at is None
                continue
            assert attempt.finished_at is not None
            assert attempt.finished_at <= attempt.deadline
            # Answers of a closed attempt never change again.
            if attempt.pk in closed_answers:
                assert answers == closed_answers[attempt.pk]
            closed_answers[attempt.pk] = answers
            assert attempt.state == AttemptState.GRADED
            expected = sum(
                (Decimal("1") for response in answers.values() if response == "c"), Decimal("0")
            )
            assert attempt.score == expected
            assert attempt.passed == (expected * 100 / attempt.max_score >= exam.pass_percent)
