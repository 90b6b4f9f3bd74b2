"""Trainers grade short answers from a queue; trainers and HR officers read attempts in detail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from exams import services
from exams.models import Answer, Attempt
from org import services as org_services
from tests import factories


@pytest.fixture
def trainer(tree):
    person = factories.person_create(unit=tree.provincial_hr_department, real_name="孙教员")
    org_services.role_grant(person=person, role="trainer")
    return person


def _finished_attempt(exam, unit, name, *, short_text="三份副本，两种介质，一份异地。"):
    person = factories.person_create(unit=unit, real_name=name, password=None)
    attempt = services.attempt_start(exam=exam, person=person)
    kinds = {q.version.kind: q.position for q in attempt.paper.select_related("version")}
    services.answer_save(attempt=attempt, position=kinds["single"], response="c")
    services.answer_save(attempt=attempt, position=kinds["short"], response=short_text)
    return services.attempt_submit(attempt=attempt)


@pytest.fixture
def exam(tree):
    category = factories.question_category()
    return factories.exam_create(
        questions=[factories.question_single(category), factories.question_short(category)],
        points="5",
        shuffle_questions=False,
    )


def test_a_trainer_grades_a_short_answer_from_the_queue_and_the_attempt_completes(
    client, tree, trainer, exam
):
    attempt = _finished_attempt(exam, tree.xihu_it_section, "李考生")
    assert attempt.state == "submitted"
    client.force_login(trainer.user)

    queue = client.get("/admin/exams/grading/").content.decode()
    assert "简述数据备份" in queue
    assert "三份副本，两种介质，一份异地。" in queue
    assert "三份副本 2 分" in queue  # the rubric sits next to the answer

    answer = Answer.objects.get(attempt_question__version__kind="short")
    response = client.post(
        f"/admin/exams/grading/{answer.pk}/",
        {"score": "4.5", "feedback": "异地副本说明不够具体。", "next": "/admin/exams/grading/"},
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/admin/exams/grading/"
    assert "9.50" in page  # the attempt's total: 5 + 4.5
    assert "简述数据备份" not in page  # nothing left in the queue
    attempt.refresh_from_db()
    assert attempt.state == "graded"
    assert attempt.score == Decimal("9.5")
    answer.refresh_from_db()
    assert answer.graded_by == trainer
    assert answer.feedback == "异地副本说明不够具体。"


def test_points_outside_the_range_are_refused_with_a_message_and_nothing_changes(
    client, tree, trainer, exam
):
    attempt = _finished_attempt(exam, tree.xihu_it_section, "李考生")
    answer = Answer.objects.get(attempt_question__version__kind="short")
    client.force_login(trainer.user)

    too_many = client.post(f"/admin/exams/grading/{answer.pk}/", {"score": "6"}, follow=True)
    assert "请给出 0 到 5.00 之间的分数" in too_many.content.decode()
    for score in ("-1", "abc", ""):
        response = client.post(f"/admin/exams/grading/{answer.pk}/", {"score": score}, follow=True)
        assert response.status_code == 200
        assert "得分：" in response.content.decode(), score  # the form's message, in Chinese

    answer.refresh_from_db()
    attempt.refresh_from_db()
    assert answer.graded_by is None and answer.score is None
    assert attempt.state == "submitted"


def test_an_answer_is_graded_once_even_when_two_trainers_grade_it(tree, trainer, exam):
    _finished_attempt(exam, tree.xihu_it_section, "李考生")
    answer = Answer.objects.get(attempt_question__version__kind="short")
    other = factories.person_create(unit=tree.provincial_hr_department, password=None)

    services.answer_grade_manually(answer=answer, score=Decimal("3"), grader=trainer)
    with pytest.raises(ValidationError):
        services.answer_grade_manually(answer=answer, score=Decimal("5"), grader=other)

    answer.refresh_from_db()
    assert answer.score == Decimal("3") and answer.graded_by == trainer


def test_only_short_answers_of_finished_attempts_are_graded_by_hand(tree, trainer, exam, learner):
    attempt = services.attempt_start(exam=exam, person=learner)
    services.answer_save(attempt=attempt, position=2, response="进行中的回答")
    services.answer_save(attempt=attempt, position=1, response="a")
    for position in (1, 2):
        answer = Answer.objects.get(
            attempt_question__attempt=attempt, attempt_question__position=position
        )
        with pytest.raises(ValidationError):
            services.answer_grade_manually(answer=answer, score=Decimal("1"), grader=trainer)


def test_hr_officers_read_attempts_in_their_subtree_but_do_not_grade(client, tree, xihu_hr, exam):
    inside = _finished_attempt(exam, tree.xihu_it_section, "西湖考生")
    outside = _finished_attempt(exam, tree.ningbo_data_bureau, "宁波考生")
    client.force_login(xihu_hr.user)

    detail = client.get(f"/admin/exams/attempts/{inside.public_id}/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "西湖考生" in page and "三份副本，两种介质，一份异地。" in page
    assert "exams/grading/" not in page  # no grading form for HR
    assert client.get(f"/admin/exams/attempts/{outside.public_id}/").status_code == 404
    # A page outside one's role does not exist (the access surface answers 404).
    assert client.get("/admin/exams/grading/").status_code == 404
    answer = Answer.objects.get(attempt_question__attempt=inside, attempt_question__position=2)
    refused = client.post(f"/admin/exams/grading/{answer.pk}/", {"score": "5"})
    assert refused.status_code == 404
    answer.refresh_from_db()
    assert answer.graded_by is None

    index = client.get("/admin/exams/results/").content.decode()
    assert exam.title in index
    assert "<td>1</td>" in index  # one attempt visible, not two


def test_the_attempt_detail_shows_the_options_as_the_candidate_saw_them(
    client, tree, trainer, exam
):
    attempt = _finished_attempt(exam, tree.xihu_it_section, "李考生")
    client.force_login(trainer.user)

    page = client.get(f"/admin/exams/attempts/{attempt.public_id}/").content.decode()

    paper = attempt.paper.select_related("version").get(position=1)
    letter = "ABCD"[paper.option_order.index("c")]
    assert f"{letter}. 五级" in page  # the answer given, by the letter the candidate saw
    assert "三份副本 2 分" in page  # the rubric
    assert 'action="/admin/exams/grading/' in page


def test_learners_and_strangers_cannot_open_staff_pages(client, tree, learner, exam):
    attempt = _finished_attempt(exam, tree.xihu_it_section, "李考生")
    client.force_login(learner.user)
    for url in (
        "/admin/exams/results/",
        f"/admin/exams/attempts/{attempt.public_id}/",
        "/admin/exams/grading/",
    ):
        assert client.get(url).status_code in (302, 403), url
    assert Attempt.objects.get(pk=attempt.pk).state == "submitted"


def test_the_grading_queue_reads_in_a_fixed_number_of_queries(
    client, tree, trainer, exam, django_assert_max_num_queries
):
    for index in range(6):
        _finished_attempt(exam, tree.xihu_it_section, f"考生{index}")
    client.force_login(trainer.user)
    client.get("/admin/exams/grading/")  # warm Wagtail's per-process caches

    with django_assert_max_num_queries(20):
        response = client.get("/admin/exams/grading/")
    assert response.content.decode().count('class="grading-item"') == 6
