"""Starting an exam: one allowance rule everywhere, an explicit confirmation, the way from a
course page to its exam, and the learner's list in a fixed number of queries (issue 11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import services as courses_services
from exams import selectors, services
from exams.models import Attempt
from tests import factories


@pytest.fixture
def exam(db):
    category = factories.question_category()
    return factories.exam_create(questions=[factories.question_single(category)], attempts=2)


def _use(exam, person, times):
    for _ in range(times):
        services.attempt_submit(attempt=services.attempt_start(exam=exam, person=person))


def test_an_extra_attempt_shows_on_the_list_the_start_page_and_the_api(client, learner, exam):
    _use(exam, learner, 2)
    services.exam_override_set(exam=exam, person=learner, extra_minutes=10, extra_attempts=1)
    client.force_login(learner.user)

    listing = client.get("/en/exams/").content.decode()
    start = client.get(f"/en/exams/{exam.pk}/").content.decode()

    assert "2 of 3 attempts used" in listing and "1 extra attempt granted to you" in listing
    assert "2 of 3 attempts used" in start and "40 minutes" in start
    assert "0 attempts are left after this one" in start
    assert client.post(f"/exams/{exam.pk}/", {"confirm": "start"}).status_code == 302
    assert Attempt.objects.filter(person=learner).count() == 3


def test_the_service_the_pages_and_the_api_refuse_alike_when_attempts_are_used(
    client, learner, exam
):
    _use(exam, learner, 2)
    allowance = selectors.attempt_allowance(exam, learner)
    client.force_login(learner.user)

    start = client.get(f"/exams/{exam.pk}/").content.decode()
    api = client.post(f"/api/v1/exams/{exam.pk}/attempts/")

    assert not allowance.can_start and allowance.remaining == 0
    assert allowance.refusal in start and 'value="start"' not in start
    assert api.status_code == 409
    assert api.json()["detail"] == allowance.refusal
    assert api.json()["attempts_remaining"] == 0
    with pytest.raises(services.AttemptRefused):
        services.attempt_start(exam=exam, person=learner)


def test_the_start_page_says_what_starting_means_and_starts_only_on_confirmation(
    client, learner, exam
):
    client.force_login(learner.user)

    page = client.get(f"/en/exams/{exam.pk}/").content.decode()
    unconfirmed = client.post(f"/en/exams/{exam.pk}/")

    assert "The timer starts as soon as you press the button and runs for 30 minutes" in page
    assert "1 attempt is left after this one" in page
    assert 'name="confirm" value="start"' in page and 'method="post"' in page
    assert unconfirmed.status_code == 302 and not Attempt.objects.exists()


def test_a_double_click_on_start_starts_one_attempt(client, learner, exam):
    client.force_login(learner.user)

    first = client.post(f"/exams/{exam.pk}/", {"confirm": "start"})
    second = client.post(f"/exams/{exam.pk}/", {"confirm": "start"})

    assert first["Location"] == second["Location"]
    assert Attempt.objects.count() == 1
    resumed = client.get(f"/en/exams/{exam.pk}/").content.decode()
    assert "Continue the exam" in resumed


# --- from a course page to its exam -----------------------------------------------------


@pytest.fixture
def course(db):
    return factories.course_create(title="数据安全")


def _enrol(person, course):
    return courses_services.enrolment_create(person=person, course=course, source="self")


def test_a_course_with_one_open_exam_leads_to_its_start_page(client, learner, course):
    category = factories.question_category()
    exam = factories.exam_create(questions=[factories.question_single(category)], course=course)
    _enrol(learner, course)
    client.force_login(learner.user)

    response = client.get(reverse("exams:for_course", args=[course.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("exams:start", args=[exam.pk])


def test_a_course_with_two_exams_or_none_leads_to_the_filtered_list(client, learner, course):
    category = factories.question_category()
    _enrol(learner, course)
    client.force_login(learner.user)

    none = client.get(reverse("exams:for_course", args=[course.pk]))
    listing = client.get(none["Location"].replace("/exams/", "/en/exams/", 1)).content.decode()
    assert none["Location"] == f"/exams/?course={course.pk}"
    assert "has no exam open to you" in listing

    for title in ("期中", "期末"):
        exam = factories.exam_create(questions=[factories.question_single(category)], course=course)
        exam.title = title
        exam.save()
    other = factories.exam_create(questions=[factories.question_single(category)])
    two = client.get(reverse("exams:for_course", args=[course.pk]))
    listing = client.get(f"/en/exams/?course={course.pk}").content.decode()
    assert two["Location"].endswith(f"/exams/?course={course.pk}")
    assert "期中" in listing and "期末" in listing and "choose the one to take" in listing
    assert other.title not in listing.split("</h1>", 1)[1].split("<footer", 1)[0]


def test_a_closed_exam_is_not_where_the_course_page_leads(client, learner, course):
    category = factories.question_category()
    factories.exam_create(
        questions=[factories.question_single(category)],
        course=course,
        closes_at=timezone.now() - timedelta(days=1),
        opens_at=timezone.now() - timedelta(days=2),
    )
    _enrol(learner, course)
    client.force_login(learner.user)

    response = client.get(reverse("exams:for_course", args=[course.pk]))

    assert response["Location"] == f"/exams/?course={course.pk}"


def test_the_course_link_is_for_signed_in_people_and_known_courses(client, learner, course, db):
    url = reverse("exams:for_course", args=[course.pk])
    assert client.get(url)["Location"].startswith("/accounts/login/")

    client.force_login(learner.user)
    assert client.get(reverse("exams:for_course", args=[999_999])).status_code == 404
    assert client.get("/exams/course/1180591620717411303424/").status_code == 404
    assert client.get("/exams/?course=1180591620717411303424").status_code == 404
    assert client.get("/exams/?course=abc").status_code == 404

    from django.contrib.auth.models import User

    nobody = User.objects.create_user("no-person", password="x" * 12)
    client.force_login(nobody)
    assert client.get(url).status_code == 404


# --- query counts --------------------------------------------------------------------------


def test_my_exams_takes_a_fixed_number_of_queries(client, learner, django_assert_max_num_queries):
    category = factories.question_category()
    for _ in range(6):
        exam = factories.exam_create(questions=[factories.question_single(category)], attempts=3)
        _use(exam, learner, 2)
        services.exam_override_set(exam=exam, person=learner, extra_minutes=0, extra_attempts=1)
    client.force_login(learner.user)

    with django_assert_max_num_queries(8):
        page = client.get("/exams/")

    assert page.status_code == 200
    assert page.content.decode().count('class="exam-title"') == 6


def test_the_results_index_takes_a_fixed_number_of_queries(
    client, learner, platform_admin, django_assert_max_num_queries
):
    category = factories.question_category()
    for _ in range(6):
        exam = factories.exam_create(questions=[factories.question_single(category)], attempts=3)
        _use(exam, learner, 1)
    client.force_login(platform_admin.user)

    with django_assert_max_num_queries(20):
        page = client.get("/admin/exams/results/")

    assert page.status_code == 200
    assert page.content.decode().count("/admin/exams/results/") >= 6
