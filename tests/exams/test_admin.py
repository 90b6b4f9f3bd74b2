"""Trainers author questions and exams in the Wagtail admin; editing adds a version."""

from __future__ import annotations

import pytest

from exams import services as exam_services
from exams.models import Attempt, Exam, ExamOverride, Question
from org import services
from tests import factories


@pytest.fixture
def trainer_client(client, learner):
    services.role_grant(person=learner, role="trainer")
    client.force_login(learner.user)
    return client


def test_a_trainer_adds_a_question_and_editing_it_adds_a_version(trainer_client):
    category = factories.question_category()
    form = {
        "category": category.pk,
        "is_active": "on",
        "kind": "multiple",
        "stem": "以下哪些属于数据备份的做法？",
        "options": "定期全量备份\n异地保存副本\n只在本机保存",
        "answer": "a,b",
        "difficulty": "2",
        "tags": "备份, 容灾",
        "explanation": "只在本机保存不能防范设备损毁。",
        "rubric": "",
    }

    created = trainer_client.post("/admin/exams/questions/new/", form)
    assert created.status_code == 302, created.content.decode()[:2000]
    question = Question.objects.select_related("current_version").get()
    assert question.current_version is not None
    assert question.current_version.answer == ["a", "b"]

    edited = trainer_client.post(
        f"/admin/exams/questions/edit/{question.pk}/", {**form, "answer": "a,b,c"}
    )
    assert edited.status_code == 302
    question.refresh_from_db()
    assert question.versions.count() == 2
    assert question.current_version is not None
    assert question.current_version.answer == ["a", "b", "c"]
    assert question.versions.get(number=1).answer == ["a", "b"]


def test_a_question_with_a_wrong_answer_is_refused_with_a_message(trainer_client):
    category = factories.question_category()
    response = trainer_client.post(
        "/admin/exams/questions/new/",
        {
            "category": category.pk,
            "kind": "single",
            "stem": "题目",
            "options": "甲\n乙",
            "answer": "d",
            "difficulty": "1",
        },
    )
    assert response.status_code == 200
    assert "答案必须是本题的选项" in response.content.decode()
    assert not Question.objects.exists()


def test_the_exam_editor_and_lists_open_for_trainers(trainer_client):
    factories.exam_create(questions=[factories.question_single(factories.question_category())])
    for url in (
        "/admin/exams/exams/",
        "/admin/exams/exams/new/",
        f"/admin/exams/exams/edit/{Exam.objects.get().pk}/",
        "/admin/exams/questions/",
        "/admin/exams/categories/",
        "/admin/exams/categories/new/",
    ):
        assert trainer_client.get(url).status_code == 200, url


@pytest.fixture
def exam(db):
    category = factories.question_category()
    return factories.exam_create(questions=[factories.question_single(category)], minutes=30)


def test_a_trainer_gives_one_person_extra_time_by_employee_number(trainer_client, tree, exam):
    candidate = factories.person_create(unit=tree.binjiang, real_name="李听障")
    attempt = exam_services.attempt_start(exam=exam, person=candidate)
    old_deadline = attempt.deadline
    assert "额外时间和次数" in trainer_client.get("/admin/exams/overrides/").content.decode()

    created = trainer_client.post(
        "/admin/exams/overrides/new/",
        {
            "employee_number": candidate.employee_number,
            "exam": exam.pk,
            "extra_minutes": "15",
            "extra_attempts": "0",
        },
    )

    assert created.status_code == 302, created.content.decode()[:2000]
    override = ExamOverride.objects.get()
    assert (override.person, override.extra_minutes) == (candidate, 15)
    attempt = Attempt.objects.get()
    assert (attempt.deadline - old_deadline).total_seconds() == 15 * 60
    listing = trainer_client.get("/admin/exams/overrides/").content.decode()
    assert "李听障" in listing
    edit = trainer_client.get(f"/admin/exams/overrides/edit/{override.pk}/").content.decode()
    assert candidate.employee_number in edit


@pytest.mark.parametrize(
    ("number", "minutes", "attempts", "message"),
    [
        ("ZJ-NOBODY", "10", "0", "没有工号为 ZJ-NOBODY 的人员"),
        ("", "10", "0", "必需字段"),
        (None, "0", "0", "请给出额外的分钟数或考试次数"),
    ],
)
def test_a_wrong_override_is_refused_with_a_message(
    trainer_client, tree, exam, number, minutes, attempts, message
):
    candidate = factories.person_create(unit=tree.binjiang, real_name="李四")
    response = trainer_client.post(
        "/admin/exams/overrides/new/",
        {
            "employee_number": candidate.employee_number if number is None else number,
            "exam": exam.pk,
            "extra_minutes": minutes,
            "extra_attempts": attempts,
        },
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExamOverride.objects.exists()


def test_a_second_override_for_the_same_person_and_exam_is_refused(trainer_client, tree, exam):
    candidate = factories.person_create(unit=tree.binjiang, real_name="李四")
    exam_services.exam_override_set(exam=exam, person=candidate, extra_minutes=5, extra_attempts=0)

    response = trainer_client.post(
        "/admin/exams/overrides/new/",
        {
            "employee_number": candidate.employee_number,
            "exam": exam.pk,
            "extra_minutes": "10",
            "extra_attempts": "0",
        },
    )

    assert response.status_code == 200
    assert "已有本场考试的额外时间或次数" in response.content.decode()
    assert ExamOverride.objects.get().extra_minutes == 5


def test_learners_cannot_give_themselves_extra_time(client, learner, exam):
    client.force_login(learner.user)
    assert client.get("/admin/exams/overrides/").status_code in (302, 403)
