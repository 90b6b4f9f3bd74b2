"""Taking an exam through the learner pages, without JavaScript: list, start, answer, result."""

from __future__ import annotations

import pytest

from exams.models import Attempt
from tests import factories


@pytest.fixture
def exam(db):
    category = factories.question_category()
    single = factories.question_single(category)
    fill = factories.exam_services.question_create(
        category=category,
        text=factories.exam_services.QuestionText(
            kind="fill", stem="边界防护常用____。", options=[], answer=[["防火墙"]]
        ),
    )
    return factories.exam_create(questions=[single, fill], shuffle_questions=False)


def test_a_learner_takes_an_exam_with_plain_forms(client, learner, exam):
    client.force_login(learner.user)
    listing = client.get("/exams/").content.decode()
    assert exam.title in listing

    started = client.post(f"/exams/{exam.pk}/", {"confirm": "start"})
    attempt = Attempt.objects.get()
    assert started["Location"] == f"/exams/attempts/{attempt.public_id}/"

    page = client.get(started["Location"]).content.decode()
    assert "等级保护共分几级？" in page and "边界防护常用____。" in page
    assert "五级" in page
    # Neither the key nor the explanation reaches the page before the attempt is finished.
    assert "网络安全等级保护共分五级。" not in page
    assert "correct" not in page

    saved = client.post(
        started["Location"], {"q1": "c", "q2_0": "ＦＩＲＥＷＡＬＬ", "action": "save"}
    )
    assert saved.status_code == 302
    result = client.post(
        started["Location"], {"q1": "c", "q2_0": "防火墙", "action": "submit"}, follow=True
    )

    attempt.refresh_from_db()
    assert attempt.state == "graded" and attempt.passed
    assert "已通过" in result.content.decode() or "Passed" in result.content.decode()
    assert "网络安全等级保护共分五级。" in result.content.decode()  # review after submit


def test_someone_elses_attempt_page_is_404(client, learner, tree, exam):
    other = factories.person_create(unit=tree.binjiang)
    from exams import services

    theirs = services.attempt_start(exam=exam, person=other)
    client.force_login(learner.user)
    assert client.get(f"/exams/attempts/{theirs.public_id}/").status_code == 404
    assert client.get(f"/exams/attempts/{theirs.public_id}/result/").status_code == 404


def test_a_closed_attempt_page_sends_the_learner_to_the_result(client, learner, exam):
    from exams import services

    attempt = services.attempt_start(exam=exam, person=learner)
    services.attempt_submit(attempt=attempt)
    client.force_login(learner.user)

    response = client.get(f"/exams/attempts/{attempt.public_id}/")
    assert response["Location"] == f"/exams/attempts/{attempt.public_id}/result/"
