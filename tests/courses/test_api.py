"""The learning API: heartbeats over HTTP and their bad inputs, credits, the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from courses import services
from courses.models import LessonProgress, LessonView
from courses.selectors import course_lessons
from tests import factories


@pytest.fixture
def api(learner):
    client = APIClient()
    client.force_authenticate(learner.user)
    return client


@pytest.fixture
def course(db):
    return factories.course_create(lessons=2, minutes=1)


@pytest.fixture
def enrolled(learner, course):
    return services.enrolment_create(person=learner, course=course, source="elective")


def open_view(api, lesson):
    response = api.post("/api/v1/lesson-views/", {"lesson": lesson.pk}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["view"]


def test_a_learner_opens_a_lesson_and_heartbeats_count_by_the_server_clock(api, course, enrolled):
    lesson = course_lessons(course)[0]
    view = open_view(api, lesson)

    response = api.post(
        "/api/v1/heartbeats/",
        # Whatever the client claims about elapsed time is not even read.
        {"view": view, "seq": 1, "visible": True, "elapsed": 3600},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["counted_seconds"] <= 2  # the real time since the view was opened
    assert body["required_seconds"] == 60
    assert body["reason"] == "counted"


def test_a_lesson_of_a_course_one_is_not_enrolled_in_is_404(api, course):
    response = api.post(
        "/api/v1/lesson-views/", {"lesson": course_lessons(course)[0].pk}, format="json"
    )
    assert response.status_code == 404


def test_a_heartbeat_for_someone_elses_view_is_404(api, tree, course):
    other = factories.person_create(unit=tree.binjiang, real_name="他人")
    enrolment = services.enrolment_create(person=other, course=course, source="elective")
    view = services.lesson_view_open(enrolment=enrolment, lesson=course_lessons(course)[0])

    response = api.post(
        "/api/v1/heartbeats/", {"view": str(view.token), "seq": 1, "visible": True}, format="json"
    )

    assert response.status_code == 404
    assert LessonView.objects.get(pk=view.pk).last_seq == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"seq": 1, "visible": True},
        {"view": "not-a-uuid", "seq": 1, "visible": True},
        {"view": "VIEW", "seq": 0, "visible": True},
        {"view": "VIEW", "seq": "one", "visible": True},
        {"view": "VIEW", "seq": 1},
        {"view": "VIEW", "seq": 1, "visible": True, "position": -5},
        {"view": "VIEW", "seq": 1, "visible": True, "video": "no-such-video", "position": 3},
    ],
)
def test_malformed_heartbeats_are_400_and_count_nothing(api, course, enrolled, payload):
    lesson = course_lessons(course)[0]
    view = open_view(api, lesson)
    payload = {key: (view if value == "VIEW" else value) for key, value in payload.items()}

    response = api.post("/api/v1/heartbeats/", payload, format="json")

    assert response.status_code == 400
    assert response.json()  # a message saying what is wrong
    assert LessonProgress.objects.get(lesson=lesson).engaged_seconds == 0


def test_a_replayed_heartbeat_is_400_with_a_message(api, course, enrolled):
    view = open_view(api, course_lessons(course)[0])
    beat = {"view": view, "seq": 1, "visible": True}
    assert api.post("/api/v1/heartbeats/", beat, format="json").status_code == 200

    replay = api.post("/api/v1/heartbeats/", beat, format="json")

    assert replay.status_code == 400
    assert "already received" in replay.json()["detail"] or "已" in replay.json()["detail"]


def test_the_api_needs_a_signed_in_user(db):
    # 401 with WWW-Authenticate: Token (lms/settings.py puts the token scheme first).
    assert APIClient().get("/api/v1/enrolments/").status_code == 401


def test_my_enrolments_and_credit_summary(api, course, enrolled):
    enrolments = api.get("/api/v1/enrolments/").json()
    assert [e["course"]["title"] for e in enrolments] == ["电子政务概论"]
    assert enrolments[0]["lessons_total"] == 2

    summary = api.get("/api/v1/credits/summary/").json()
    assert summary["earned"] == "0.0"
    assert summary["target"] == "50.0"
    assert api.get("/api/v1/credits/summary/?year=abc").status_code == 400


def test_the_catalogue_lists_published_courses(api, course):
    titles = [c["title"] for c in api.get("/api/v1/courses/").json()]
    assert titles == ["电子政务概论"]


def test_the_openapi_schema_and_its_docs_are_served_without_a_cdn(client, learner):
    client.force_login(learner.user)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/heartbeats/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
