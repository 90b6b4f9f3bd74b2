"""Trainers author questions and exams in the Wagtail admin; editing adds a version."""

from __future__ import annotations

import pytest

from exams.models import Exam, Question
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
