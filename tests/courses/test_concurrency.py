"""Races in the learning flow, against real PostgreSQL row locks and constraints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses import services
from courses.models import CreditRecord, Enrolment, LessonProgress
from courses.selectors import course_lessons
from tests import factories
from tests.org.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_same_heartbeat_sent_twice_at_once_counts_once(learner):
    course = factories.course_create(lessons=1, minutes=5)
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    start = timezone.now() - timedelta(seconds=20)
    view = services.lesson_view_open(
        enrolment=enrolment, lesson=course_lessons(course)[0], now=start
    )

    results, errors = race(
        6, lambda _: services.lesson_progress_record(view=view, seq=1, visible=True)
    )

    assert len(results) == 1
    assert len(errors) == 5
    assert all(isinstance(error, services.HeartbeatRejected) for error in errors)
    progress = LessonProgress.objects.get(enrolment=enrolment)
    assert 19 <= progress.engaged_seconds <= 21


def test_two_tabs_beating_at_once_never_both_earn(learner):
    course = factories.course_create(lessons=1, minutes=5)
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    lesson = course_lessons(course)[0]
    start = timezone.now() - timedelta(seconds=20)
    views = [
        services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=start) for _ in range(4)
    ]

    results, errors = race(
        4, lambda i: services.lesson_progress_record(view=views[i], seq=1, visible=True)
    )

    assert errors == []
    assert sum(1 for result in results if getattr(result, "counted_seconds", 0) > 0) == 1
    assert LessonProgress.objects.get(enrolment=enrolment).engaged_seconds <= 21


def test_concurrent_completions_credit_the_course_once(learner):
    course = factories.course_create(lessons=1, minutes=1, hours="2.0")
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    lesson = course_lessons(course)[0]
    LessonProgress.objects.create(
        enrolment=enrolment, lesson=lesson, engaged_seconds=60, completed_at=timezone.now()
    )

    results, errors = race(
        8, lambda _: services.enrolment_evaluate(enrolment=Enrolment.objects.get(pk=enrolment.pk))
    )

    assert errors == []
    assert results.count(True) == 1
    assert CreditRecord.objects.filter(person=learner, course=course).count() == 1


def test_the_database_refuses_a_second_course_credit_in_one_year(learner):
    course = factories.course_create(hours="2.0")
    enrolment = Enrolment.objects.select_related("course", "person").get(
        pk=services.enrolment_create(person=learner, course=course, source="elective").pk
    )
    now = timezone.now()

    results, errors = race(
        8, lambda _: services.credit_award_course(enrolment=enrolment, awarded_at=now)
    )

    assert errors == []
    assert sum(1 for record in results if record is not None) == 1
    assert CreditRecord.objects.count() == 1
