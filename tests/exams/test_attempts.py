"""Attempts that never lose an answer: start, save, submit, expire, grade."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import services as courses_services
from courses.models import Enrolment
from courses.selectors import course_lessons
from exams import selectors, services
from exams.models import Answer, Attempt, ExamDrawRule, ExamOverride
from tests import factories

NOW = timezone.now().replace(microsecond=0)


def at(minutes: float):
    return NOW + timedelta(minutes=minutes)


@pytest.fixture
def bank(db):
    category = factories.question_category()
    return category, [factories.question_single(category, stem=f"第{i}题") for i in range(4)]


@pytest.fixture
def exam(bank):
    _category, questions = bank
    return factories.exam_create(questions=questions, minutes=30, attempts=2)


def answer_all(attempt, option="c", minutes=1):
    for question in attempt.paper.all():
        services.answer_save(
            attempt=attempt, position=question.position, response=option, now=at(minutes)
        )


def test_a_full_paper_of_right_answers_passes(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    answer_all(attempt)

    graded = services.attempt_submit(attempt=attempt, now=at(5))

    assert graded.state == "graded"
    assert graded.score == Decimal("4")
    assert graded.passed is True
    assert graded.finished_at == at(5)


def test_starting_again_resumes_the_open_attempt_with_the_same_paper(exam, learner):
    first = services.attempt_start(exam=exam, person=learner, now=at(0))
    services.answer_save(attempt=first, position=1, response="b", now=at(1))
    paper = list(first.paper.values_list("version_id", "option_order"))

    again = services.attempt_start(exam=exam, person=learner, now=at(2))

    assert again.pk == first.pk
    assert list(again.paper.values_list("version_id", "option_order")) == paper
    assert Answer.objects.get(attempt_question__attempt=again).response == "b"


def test_a_double_submit_grades_once_and_uses_one_attempt(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    answer_all(attempt)

    first = services.attempt_submit(attempt=attempt, now=at(5))
    second = services.attempt_submit(attempt=attempt, now=at(6))

    assert (first.graded_at, first.finished_at) == (second.graded_at, second.finished_at)
    assert Attempt.objects.filter(person=learner).count() == 1
    assert services.attempt_start(exam=exam, person=learner, now=at(7)).number == 2


def test_an_answer_after_submit_is_refused_and_changes_nothing(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    answer_all(attempt)
    services.attempt_submit(attempt=attempt, now=at(5))

    with pytest.raises(services.AttemptClosed):
        services.answer_save(attempt=attempt, position=1, response="a", now=at(5.1))

    assert set(Answer.objects.values_list("response", flat=True)) == {"c"}
    attempt.refresh_from_db()
    assert attempt.score == Decimal("4")


def test_answers_are_taken_in_the_grace_period_and_refused_after_it(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    grace = services.GRACE_SECONDS / 60

    services.answer_save(attempt=attempt, position=1, response="c", now=at(30 + grace / 2))
    with pytest.raises(services.AttemptClosed):
        services.answer_save(attempt=attempt, position=2, response="c", now=at(30 + grace * 2))

    assert Answer.objects.count() == 1


@pytest.mark.parametrize("response", ["z", ["c"], 3, None, {"a": 1}])
def test_an_answer_of_the_wrong_shape_is_refused_and_nothing_is_stored(exam, learner, response):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))

    with pytest.raises(ValidationError):
        services.answer_save(attempt=attempt, position=1, response=response, now=at(1))

    assert not Answer.objects.exists()


def test_an_expired_attempt_is_finalised_at_its_deadline_with_its_saved_answers(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    services.answer_save(attempt=attempt, position=1, response="c", now=at(3))
    services.answer_save(attempt=attempt, position=2, response="c", now=at(4))

    assert services.attempts_overdue(now=at(29)) == []
    assert services.attempts_overdue(now=at(31)) == [attempt.pk]
    finished = services.attempt_finalise_expired(attempt_id=attempt.pk, now=at(31))

    assert finished is not None
    assert finished.state == "graded"
    assert finished.finished_at == attempt.deadline == at(30)
    assert finished.score == Decimal("2")
    assert finished.passed is False  # 2 of 4 is under the 60% pass mark


def test_a_late_submit_counts_as_expired_at_the_deadline(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    finished = services.attempt_submit(attempt=attempt, now=at(45))
    assert finished.finished_at == at(30)


def test_no_attempt_starts_when_the_exam_is_closed_unpublished_or_used_up(exam, learner):
    exam.closes_at = at(60)
    exam.save()
    with pytest.raises(services.AttemptRefused, match="关闭"):
        services.attempt_start(exam=exam, person=learner, now=at(61))

    for number in (1, 2):
        attempt = services.attempt_start(exam=exam, person=learner, now=at(number))
        services.attempt_submit(attempt=attempt, now=at(number + 0.5))
    with pytest.raises(services.AttemptRefused, match="次数"):
        services.attempt_start(exam=exam, person=learner, now=at(5))

    exam.is_published = False
    exam.save()
    with pytest.raises(services.AttemptRefused):
        services.attempt_start(exam=exam, person=learner, now=at(6))


def test_an_override_gives_one_person_extra_time_and_an_extra_attempt(exam, learner):
    ExamOverride.objects.create(exam=exam, person=learner, extra_minutes=15, extra_attempts=1)

    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    assert attempt.deadline == at(45)
    # The first runs out of time; two more fit in the three attempts.
    for number in range(2):
        services.attempt_submit(
            attempt=services.attempt_start(exam=exam, person=learner, now=at(50 + number)),
            now=at(50 + number),
        )
    assert Attempt.objects.filter(person=learner).count() == 3
    with pytest.raises(services.AttemptRefused):
        services.attempt_start(exam=exam, person=learner, now=at(60))


def test_extra_time_given_during_an_attempt_moves_its_deadline_at_once(exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    assert attempt.deadline == at(30)

    services.exam_override_set(exam=exam, person=learner, extra_minutes=20, extra_attempts=0)

    attempt.refresh_from_db()
    assert attempt.deadline == at(50)
    services.answer_save(attempt=attempt, position=1, response="c", now=at(45))
    # Changing the override again recomputes from the start, never adds twice.
    services.exam_override_set(exam=exam, person=learner, extra_minutes=10, extra_attempts=1)
    attempt.refresh_from_db()
    assert attempt.deadline == at(40)
    assert ExamOverride.objects.get().extra_attempts == 1


def test_extra_time_never_passes_the_exams_closing_time(exam, learner):
    exam.closes_at = at(35)
    exam.save()
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))

    services.exam_override_set(exam=exam, person=learner, extra_minutes=20, extra_attempts=0)

    attempt.refresh_from_db()
    assert attempt.deadline == at(35)


def test_the_deadline_never_passes_the_exams_closing_time(exam, learner):
    exam.closes_at = at(10)
    exam.save()
    assert services.attempt_start(exam=exam, person=learner, now=at(0)).deadline == at(10)


def test_editing_a_question_never_changes_a_grade_already_given(bank, exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    answer_all(attempt)
    graded = services.attempt_submit(attempt=attempt, now=at(5))
    _category, questions = bank

    # The trainer changes the right answer of every question (a new version each).
    for question in questions:
        services.question_revise(
            question=question,
            text=services.QuestionText(
                kind="single",
                stem="等级保护共分几级？（修订）",
                options=["三级", "四级", "五级"],
                answer="a",
            ),
        )
    services.attempt_grade(attempt=graded)

    graded.refresh_from_db()
    assert graded.score == Decimal("4")
    assert questions[0].versions.count() == 2


def test_a_random_paper_draws_from_the_category_subtree_at_the_difficulty(learner):
    security = factories.question_category("信息安全")
    backup = factories.question_category("数据备份", parent=security)
    elsewhere = factories.question_category("办公软件")
    hard = [factories.question_single(backup, stem=f"难题{i}", difficulty=3) for i in range(5)]
    factories.question_single(backup, stem="易题", difficulty=1)
    factories.question_single(elsewhere, stem="别处难题", difficulty=3)
    exam = factories.exam_create(questions=[])
    ExamDrawRule.objects.create(exam=exam, category=security, difficulty=3, count=3, points=2)

    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))

    drawn = set(attempt.paper.values_list("version__question_id", flat=True))
    assert len(drawn) == 3
    assert drawn <= {question.pk for question in hard}
    assert attempt.max_score == Decimal("6")


def test_a_bank_too_small_for_the_rules_refuses_to_start(learner):
    category = factories.question_category()
    factories.question_single(category)
    exam = factories.exam_create(questions=[])
    ExamDrawRule.objects.create(exam=exam, category=category, count=5)

    with pytest.raises(services.AttemptRefused):
        services.attempt_start(exam=exam, person=learner, now=at(0))
    assert not Attempt.objects.exists()


def drawn_questions(attempt):
    return set(attempt.paper.values_list("version__question_id", flat=True))


def test_a_question_taken_out_of_the_bank_is_no_longer_drawn(learner, tree):
    # Each process keeps the exam's draw plan; an edit to the bank must reach the next start.
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{i}题") for i in range(3)]
    exam = factories.exam_create(questions=[], attempts=5)
    ExamDrawRule.objects.create(exam=exam, category=category, count=3)
    first = services.attempt_start(exam=exam, person=learner, now=at(0))
    assert drawn_questions(first) == {question.pk for question in questions}

    questions[0].is_active = False
    questions[0].save(update_fields=["is_active"])
    other = factories.person_create(unit=tree.binjiang, real_name="他人")

    with pytest.raises(services.AttemptRefused):  # two questions left for a draw of three
        services.attempt_start(exam=exam, person=other, now=at(1))


def test_a_new_question_and_a_revised_one_reach_the_next_draw(learner, tree):
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{i}题") for i in range(2)]
    exam = factories.exam_create(questions=[], attempts=5)
    ExamDrawRule.objects.create(exam=exam, category=category, count=2)
    services.attempt_start(exam=exam, person=learner, now=at(0))

    added = factories.question_single(category, stem="新题")
    services.question_revise(
        question=questions[0],
        text=services.QuestionText(
            kind="single", stem="改过的题", options=["甲", "乙"], answer="a"
        ),
    )
    rule = exam.draw_rules.get()
    rule.count = 3
    rule.save(update_fields=["count"])
    other = factories.person_create(unit=tree.binjiang, real_name="他人")
    attempt = services.attempt_start(exam=exam, person=other, now=at(1))

    assert drawn_questions(attempt) == {questions[0].pk, questions[1].pk, added.pk}
    stems = set(attempt.paper.values_list("version__stem", flat=True))
    assert "改过的题" in stems


def test_an_exam_rule_drawing_from_overlapping_categories_never_repeats_a_question(learner):
    parent = factories.question_category("信息安全")
    child = factories.question_category("密码", parent=parent)
    for i in range(3):
        factories.question_single(child, stem=f"密码题{i}")
    for i in range(2):
        factories.question_single(parent, stem=f"安全题{i}")
    exam = factories.exam_create(questions=[], attempts=20)
    ExamDrawRule.objects.create(exam=exam, category=child, count=2)
    ExamDrawRule.objects.create(exam=exam, category=parent, count=3)

    for number in range(6):
        attempt = services.attempt_start(exam=exam, person=learner, now=at(number))
        assert len(drawn_questions(attempt)) == 5
        services.attempt_submit(attempt=attempt, now=at(number + 0.5))


def test_options_are_shuffled_per_attempt_and_kept(bank, learner):
    _category, questions = bank
    exam = factories.exam_create(questions=questions, attempts=10, shuffle_options=True)
    orders = set()
    for number in range(8):
        attempt = services.attempt_start(exam=exam, person=learner, now=at(number))
        orders.add(tuple(attempt.paper.values_list("option_order", flat=True)[0]))
        services.attempt_submit(attempt=attempt, now=at(number + 0.5))
    assert len(orders) > 1


def test_a_short_answer_waits_for_a_trainer_and_then_the_attempt_is_graded(learner, xihu_hr):
    category = factories.question_category()
    short = factories.question_short(category)
    single = factories.question_single(category)
    exam = factories.exam_create(questions=[single, short], points="5")
    attempt = services.attempt_start(exam=exam, person=learner, now=at(0))
    positions = {q.version.kind: q.position for q in attempt.paper.select_related("version")}
    services.answer_save(attempt=attempt, position=positions["single"], response="c", now=at(1))
    services.answer_save(
        attempt=attempt,
        position=positions["short"],
        response="三份副本，两种介质，一份异地。",
        now=at(2),
    )

    submitted = services.attempt_submit(attempt=attempt, now=at(3))
    assert submitted.state == "submitted"
    assert submitted.score is None

    answer = Answer.objects.get(attempt_question__position=positions["short"])
    with pytest.raises(ValidationError):
        services.answer_grade_manually(answer=answer, score=Decimal("6"), grader=xihu_hr)
    graded = services.answer_grade_manually(
        answer=answer, score=Decimal("4"), grader=xihu_hr, feedback="介质说明不够具体。"
    )
    assert graded.state == "graded"
    assert graded.score == Decimal("9")


def test_passing_a_course_exam_fulfils_the_courses_exam_requirement(bank, learner):
    _category, questions = bank
    course = factories.course_create(lessons=1, rule="lessons_and_exam")
    enrolment = courses_services.enrolment_create(person=learner, course=course, source="elective")
    exam = factories.exam_create(questions=questions, course=course)
    view = courses_services.lesson_view_open(
        enrolment=enrolment, lesson=course_lessons(course)[0], now=at(0)
    )
    for seq in range(1, 5):
        courses_services.lesson_progress_record(view=view, seq=seq, visible=True, now=at(seq / 4))

    attempt = services.attempt_start(exam=exam, person=learner, now=at(2))
    answer_all(attempt, minutes=3)
    services.attempt_submit(attempt=attempt, now=at(4))

    enrolment = Enrolment.objects.get(pk=enrolment.pk)
    assert enrolment.exam_passed_at == at(4)
    assert enrolment.status == "completed"


def test_the_result_that_counts_follows_the_grading_method(exam, learner):
    scores = []
    for number, option in enumerate(["c", "a"]):
        attempt = services.attempt_start(exam=exam, person=learner, now=at(number * 40))
        answer_all(attempt, option=option, minutes=number * 40 + 1)
        scores.append(services.attempt_submit(attempt=attempt, now=at(number * 40 + 2)).score)

    highest = selectors.exam_result(exam=exam, person=learner)
    assert highest is not None and highest.score == Decimal("4")
    exam.grading_method = "last"
    exam.save()
    last = selectors.exam_result(exam=exam, person=learner)
    assert last is not None and last.score == Decimal("0")
