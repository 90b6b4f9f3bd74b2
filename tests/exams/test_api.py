"""The exam API: start or resume, save answers, submit, result; bad inputs and other people."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from courses import services as courses_services
from exams.models import Answer, Attempt
from tests import factories


@pytest.fixture
def api(learner):
    client = APIClient()
    client.force_authenticate(learner.user)
    return client


@pytest.fixture
def exam(db):
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{i}题") for i in range(3)]
    questions.append(
        factories.exam_services.question_create(
            category=category,
            text=factories.exam_services.QuestionText(
                kind="fill", stem="边界防护常用____。", options=[], answer=[["防火墙"]]
            ),
        )
    )
    return factories.exam_create(questions=questions, attempts=2)


def start(api, exam):
    response = api.post(f"/api/v1/exams/{exam.pk}/attempts/")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_learner_takes_an_exam_through_the_api(api, exam):
    attempt = start(api, exam)
    assert len(attempt["questions"]) == 4
    assert "server_time" in attempt
    for question in attempt["questions"]:
        assert "answer" not in question and "correct_answer" not in question
        response = ["防火墙"] if question["kind"] == "fill" else "c"
        saved = api.put(
            f"/api/v1/attempts/{attempt['id']}/answers/{question['position']}/",
            {"response": response},
            format="json",
        )
        assert saved.status_code == 200, saved.content

    submitted = api.post(f"/api/v1/attempts/{attempt['id']}/submit/").json()
    again = api.post(f"/api/v1/attempts/{attempt['id']}/submit/").json()

    assert submitted == again
    assert submitted["state"] == "graded" and submitted["passed"] is True
    result = api.get(f"/api/v1/attempts/{attempt['id']}/result/").json()
    assert result["score"] == "4.00"
    # One of two attempts used: score and pass, and when the answers will be shown.
    assert result["review"] is None and result["review_note"]
    assert result["attempts"]["attempts_remaining"] == 1
    exam.review_policy = "after_submit"
    exam.save()
    result = api.get(f"/api/v1/attempts/{attempt['id']}/result/").json()
    # The paper is shuffled: the single-choice questions carry the explanations.
    assert all(item["explanation"] for item in result["review"] if item["kind"] == "single")
    assert all(item["correct_text"] for item in result["review"])
    assert [a["number"] for a in api.get("/api/v1/attempts/").json()] == [1]


def test_the_paper_a_start_returns_is_the_paper_stored(api, exam):
    # A new attempt's response is built from the rows just drawn, not read back.
    started = start(api, exam)

    stored = api.get(f"/api/v1/attempts/{started['id']}/").json()

    assert started["questions"] == stored["questions"]
    assert {key: value for key, value in started.items() if key != "server_time"} == {
        key: value for key, value in stored.items() if key != "server_time"
    }


def test_resuming_shows_the_saved_answers(api, exam):
    attempt = start(api, exam)
    first = attempt["questions"][0]
    api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{first['position']}/",
        {"response": "b" if first["kind"] != "fill" else ["x"]},
        format="json",
    )

    resumed = start(api, exam)
    assert resumed["id"] == attempt["id"]
    assert resumed["questions"][0]["response"] is not None


def test_the_answer_key_stays_hidden_when_the_policy_says_never(api, exam):
    exam.review_policy = "never"
    exam.save()
    attempt = start(api, exam)
    api.post(f"/api/v1/attempts/{attempt['id']}/submit/")

    result = api.get(f"/api/v1/attempts/{attempt['id']}/result/").json()
    assert result["review"] is None
    assert "correct" not in json.dumps(result)


def test_saving_an_answer_takes_a_fixed_handful_of_queries(
    api, exam, django_assert_max_num_queries
):
    # The hot path of an exam sitting (bench/exam_load.py): in one transaction, the attempt
    # found by owner, locked and read with its question in one statement, then one upsert;
    # the first save and a change.
    attempt = start(api, exam)
    single = next(q for q in attempt["questions"] if q["kind"] == "single")
    url = f"/api/v1/attempts/{attempt['id']}/answers/{single['position']}/"
    for response in ("a", "b"):
        with django_assert_max_num_queries(4):  # 2 statements, SAVEPOINT and RELEASE
            saved = api.put(url, {"response": response}, format="json")
        assert saved.status_code == 200, saved.content
    assert Answer.objects.get().response == "b"


def test_saving_to_another_persons_attempt_is_404(api, exam, tree):
    other = factories.person_create(unit=tree.binjiang, real_name="他人")
    other_api = APIClient()
    other_api.force_authenticate(other.user)
    theirs = start(other_api, exam)

    response = api.put(
        f"/api/v1/attempts/{theirs['id']}/answers/1/", {"response": "c"}, format="json"
    )
    assert response.status_code == 404
    assert api.get(f"/api/v1/attempts/{theirs['id']}/").status_code == 404
    assert api.post(f"/api/v1/attempts/{theirs['id']}/submit/").status_code == 404
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"response": "z"},
        {"response": ["c"]},
        {"response": 7},
        {},
        {"response": "c" * 40_000},
    ],
)
def test_answers_of_the_wrong_shape_are_400_and_store_nothing(api, exam, body):
    attempt = start(api, exam)
    single = next(q for q in attempt["questions"] if q["kind"] == "single")

    response = api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{single['position']}/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()
    assert not Answer.objects.exists()


def test_an_answer_after_submit_is_refused(api, exam):
    attempt = start(api, exam)
    api.post(f"/api/v1/attempts/{attempt['id']}/submit/")

    response = api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/1/", {"response": "c"}, format="json"
    )

    assert response.status_code == 409
    assert not Answer.objects.exists()


def test_an_answer_after_the_deadline_and_grace_is_refused(api, exam):
    attempt = start(api, exam)
    Attempt.objects.update(deadline=timezone.now() - timedelta(seconds=31))

    response = api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/1/", {"response": "c"}, format="json"
    )

    assert response.status_code == 409
    assert "时间" in response.json()["detail"]
    assert not Answer.objects.exists()


def test_an_answer_within_the_grace_period_is_kept(api, exam):
    attempt = start(api, exam)
    single = next(q for q in attempt["questions"] if q["kind"] == "single")
    Attempt.objects.update(deadline=timezone.now() - timedelta(seconds=20))

    response = api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{single['position']}/",
        {"response": "b"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert Answer.objects.get().response == "b"


def test_an_answer_to_a_question_the_paper_lacks_is_400(api, exam):
    attempt = start(api, exam)

    response = api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/99/", {"response": "c"}, format="json"
    )

    assert response.status_code == 400
    assert "99" in response.json()["detail"]
    assert not Answer.objects.exists()


def test_an_unknown_attempt_is_404(api, exam):
    start(api, exam)

    response = api.put(
        "/api/v1/attempts/00000000-0000-4000-8000-000000000000/answers/1/",
        {"response": "c"},
        format="json",
    )

    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_a_course_exam_is_only_for_people_enrolled_in_the_course(api, exam, learner):
    course = factories.course_create()
    exam.course = course
    exam.save()
    assert api.post(f"/api/v1/exams/{exam.pk}/attempts/").status_code == 404

    courses_services.enrolment_elect(person=learner, course=course)
    assert api.post(f"/api/v1/exams/{exam.pk}/attempts/").status_code == 201


def test_no_attempts_left_is_a_409_with_a_reason(api, exam):
    for _ in range(2):
        attempt = start(api, exam)
        api.post(f"/api/v1/attempts/{attempt['id']}/submit/")

    response = api.post(f"/api/v1/exams/{exam.pk}/attempts/")
    assert response.status_code == 409
    assert "次数" in response.json()["detail"]
    assert Attempt.objects.count() == 2


def test_the_exam_endpoints_are_in_the_openapi_schema(client, learner):
    client.force_login(learner.user)
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/attempts/{public_id}/answers/{position}/" in schema
    assert "/api/v1/exams/{exam_id}/attempts/" in schema


def test_a_wrong_shape_is_explained_in_the_learners_language(api, exam):
    attempt = start(api, exam)
    single = next(q for q in attempt["questions"] if q["kind"] == "single")

    response = api.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{single['position']}/",
        {"response": "z"},
        format="json",
    )

    assert response.json() == {"detail": "请从本题的选项中选择一项。"}
