"""Progress the server can trust: heartbeats credited by the server's clock, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses import services
from courses.models import CreditRecord, EnrolmentSource, LearningRules, LessonProgress
from courses.selectors import course_lessons
from tests import factories

T0 = timezone.now().replace(microsecond=0)


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def course(db):
    return factories.course_create(lessons=2, minutes=1)


@pytest.fixture
def enrolment(learner, course):
    return services.enrolment_create(person=learner, course=course, source=EnrolmentSource.ELECTIVE)


@pytest.fixture
def lesson(course):
    return course_lessons(course)[0]


def beat(view, seq, seconds, visible=True, **kwargs):
    return services.lesson_progress_record(
        view=view, seq=seq, visible=visible, now=at(seconds), **kwargs
    )


def test_time_is_credited_by_the_server_clock_between_heartbeats(enrolment, lesson):
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))

    assert beat(view, 1, 15).counted_seconds == 15
    assert beat(view, 2, 27).counted_seconds == 12
    assert beat(view, 3, 27).counted_seconds == 0  # no time passed, nothing to credit


def test_a_long_gap_is_capped_at_two_heartbeat_periods(enrolment, lesson, settings):
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))

    result = beat(view, 1, 600)

    assert result.counted_seconds == services.MAX_CREDIT_SECONDS == 30
    assert result.engaged_seconds == 30


def test_a_hidden_page_earns_nothing(enrolment, lesson):
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))

    result = beat(view, 1, 15, visible=False)

    assert result.counted_seconds == 0
    assert result.reason == "hidden"


def test_a_replayed_heartbeat_is_refused_and_counts_nothing(enrolment, lesson):
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    beat(view, 1, 15)

    with pytest.raises(services.HeartbeatRejected, match="1"):
        beat(view, 1, 30)

    progress = LessonProgress.objects.get(enrolment=enrolment, lesson=lesson)
    assert progress.engaged_seconds == 15


def test_two_tabs_never_earn_at_once(enrolment, lesson):
    first = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    second = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(1))

    # The newer tab holds the lease; the older one is paused while it is open.
    older = beat(first, 1, 15)
    assert older.counted_seconds == 0
    assert older.reason == "other_view"
    assert beat(second, 1, 16).counted_seconds == 15
    assert beat(first, 2, 30).counted_seconds == 0
    assert beat(second, 2, 31).counted_seconds == 15
    assert LessonProgress.objects.get(enrolment=enrolment, lesson=lesson).engaged_seconds == 30


def test_a_second_course_in_another_tab_earns_nothing_either(enrolment, learner, lesson):
    other_course = factories.course_create(title="信息安全保障体系")
    other_enrolment = services.enrolment_create(
        person=learner, course=other_course, source=EnrolmentSource.ELECTIVE
    )
    first = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    second = services.lesson_view_open(
        enrolment=other_enrolment, lesson=course_lessons(other_course)[0], now=at(0)
    )

    assert beat(second, 1, 15).counted_seconds == 15
    assert beat(first, 1, 15).counted_seconds == 0


def test_when_the_newer_tab_is_hidden_the_older_one_takes_over(enrolment, lesson):
    older = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    newer = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    beat(newer, 1, 15)
    beat(newer, 2, 20, visible=False)

    assert beat(older, 1, 35).counted_seconds == 30


def test_leaving_a_lesson_hands_the_lease_to_the_next_one_at_once(enrolment, course):
    first_lesson, second_lesson = course_lessons(course)
    first = services.lesson_view_open(enrolment=enrolment, lesson=first_lesson, now=at(0))
    beat(first, 1, 15)
    beat(first, 2, 20, closing=True)
    older_tab = services.lesson_view_open(enrolment=enrolment, lesson=second_lesson, now=at(21))

    assert beat(older_tab, 1, 36).counted_seconds == 15


def test_an_abandoned_tab_loses_the_lease_after_a_while(enrolment, lesson):
    older = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    newer = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    beat(newer, 1, 15)  # then the newer tab's device loses its network for good

    assert beat(older, 1, 15 + services.LEASE_SECONDS - 1).counted_seconds == 0
    assert beat(older, 2, 15 + services.LEASE_SECONDS + 1).counted_seconds == 2


def test_a_lesson_completes_when_its_required_time_is_reached(enrolment, lesson):
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    for seq in range(1, 4):
        assert not beat(view, seq, 15 * seq).lesson_completed
    result = beat(view, 4, 60)

    assert result.engaged_seconds == 60
    assert result.lesson_completed
    assert not result.course_completed  # the second lesson is still open


def test_a_checkpoint_must_be_answered_correctly_before_the_lesson_completes(learner):
    course = factories.course_create(lessons=1, minutes=1, checkpoint=True)
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    lesson = course_lessons(course)[0]
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
    for seq in range(1, 5):
        beat(view, seq, 15 * seq)
    block_id = next(iter(lesson.checkpoints()))

    assert not LessonProgress.objects.get(enrolment=enrolment).completed_at
    assert (
        services.checkpoint_answer(enrolment=enrolment, lesson=lesson, block_id=block_id, option=1)
        is False
    )
    assert (
        services.checkpoint_answer(enrolment=enrolment, lesson=lesson, block_id=block_id, option=2)
        is True
    )

    assert LessonProgress.objects.get(enrolment=enrolment).completed_at
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"


def test_video_coverage_counts_playback_not_jumps(learner):
    course = factories.course_create(lessons=1, minutes=1, video_seconds=60)
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    lesson = course_lessons(course)[0]
    video = lesson.videos()[0][0]
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))

    beat(view, 1, 10, video=video, position=10, playing=True)  # no start yet: nothing covered
    beat(view, 2, 20, video=video, position=20, playing=True)  # 10 -> 20 in 10 s: covered
    jump = beat(view, 3, 25, video=video, position=55, playing=True)  # 35 s in 5 s: a jump

    assert jump.coverage[video] == pytest.approx(2 / 12, abs=0.01)
    for seq, second in enumerate(range(35, 75, 10), start=4):
        result = beat(view, seq, second, video=video, position=min(second - 15, 60), playing=True)
    assert not result.lesson_completed  # 0-10 and 55-60 were never played


def test_a_fully_played_video_with_enough_time_completes_the_lesson(learner):
    course = factories.course_create(lessons=1, minutes=1, video_seconds=40)
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    lesson = course_lessons(course)[0]
    video = lesson.videos()[0][0]
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))

    beat(view, 1, 1, video=video, position=0, playing=True)
    for seq, second in enumerate(range(11, 62, 10), start=2):
        result = beat(view, seq, second, video=video, position=min(second - 1, 40), playing=True)

    assert result.coverage[video] == 1.0
    assert result.lesson_completed
    assert result.course_completed


def test_completing_a_course_credits_its_hours_once(enrolment, course, learner):
    for lesson in course_lessons(course):
        view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))
        for seq in range(1, 5):
            result = beat(view, seq, 15 * seq)
    assert result.course_completed

    records = list(CreditRecord.objects.filter(person=learner))
    assert [(r.hours, r.source, r.course_id) for r in records] == [
        (course.credit_hours, "course", course.pk)
    ]
    assert "电子政务概论" in records[0].reason

    # Evaluating again, or awarding again, never credits a second time in the same year.
    assert services.enrolment_evaluate(enrolment=enrolment) is False
    assert services.credit_award_course(enrolment=enrolment, awarded_at=at(120)) is None
    assert CreditRecord.objects.filter(person=learner).count() == 1


def test_a_course_that_needs_its_exam_completes_only_after_the_exam(learner):
    course = factories.course_create(lessons=1, minutes=1, rule="lessons_and_exam")
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")
    view = services.lesson_view_open(
        enrolment=enrolment, lesson=course_lessons(course)[0], now=at(0)
    )
    for seq in range(1, 5):
        result = beat(view, seq, 15 * seq)
    assert result.lesson_completed and not result.course_completed

    rules = LearningRules.load()
    rules.exam_pass_bonus_hours = 1
    rules.save()
    services.enrolment_record_exam_pass(person=learner, course=course, passed_at=at(100))

    enrolment.refresh_from_db()
    assert enrolment.status == "completed"
    assert sorted(CreditRecord.objects.values_list("source", flat=True)) == [
        "course",
        "exam_bonus",
    ]


def test_fractions_of_seconds_are_never_rounded_up_into_extra_time(enrolment, lesson):
    view = services.lesson_view_open(enrolment=enrolment, lesson=lesson, now=at(0))

    # A client timing its beats just past half a second must not gain the rounding.
    for seq in range(1, 21):
        beat(view, seq, seq * 2.6)

    engaged = LessonProgress.objects.get(enrolment=enrolment, lesson=lesson).engaged_seconds
    assert engaged <= 52
    assert engaged >= 51  # and the fractions are carried over, not lost
