"""Learner pages through HTTP: catalogue, course, lesson, My learning; their query budgets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import services
from courses.models import CourseCategory, Enrolment
from courses.selectors import course_lessons
from tests import factories


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner.user)
    return client


def test_the_catalogue_lists_courses_and_filters_by_category_and_search(signed_in, db):
    security = CourseCategory.objects.create(name="信息安全", slug="security")
    factories.course_create(title="电子政务概论")
    secure = factories.course_create(title="信息安全保障体系")
    secure.category = security
    secure.save_revision().publish()

    page = signed_in.get("/courses/").content.decode()
    assert "电子政务概论" in page and "信息安全保障体系" in page

    filtered = signed_in.get("/courses/?category=security").content.decode()
    assert "信息安全保障体系" in filtered and "电子政务概论" not in filtered

    searched = signed_in.get("/courses/?q=电子政务").content.decode()
    assert "电子政务概论" in searched and "信息安全保障体系" not in searched


def test_enrolling_from_the_course_page_shows_the_syllabus_and_progress(signed_in, learner):
    course = factories.course_create(lessons=3)

    response = signed_in.post(course.url, follow=True)

    assert Enrolment.objects.filter(person=learner, course=course).exists()
    page = response.content.decode()
    assert 'role="progressbar"' in page
    assert "0 / 3" in page or "0 of 3" in page or "已完成 0" in page
    assert "第1课" in page and "第3课" in page


def test_a_lesson_of_a_course_not_enrolled_in_sends_the_learner_to_the_course(signed_in):
    course = factories.course_create()
    lesson = course_lessons(course)[0]

    response = signed_in.get(lesson.url)

    assert response.status_code == 302
    assert response["Location"] == course.url


def test_an_anonymous_visitor_is_asked_to_sign_in_for_a_lesson(client, db):
    lesson = course_lessons(factories.course_create())[0]
    response = client.get(lesson.url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_lesson_page_offers_previous_next_and_remembers_where_the_learner_was(
    signed_in, learner
):
    course = factories.course_create(lessons=3)
    services.enrolment_elect(person=learner, course=course)
    first, second, third = course_lessons(course)

    page = signed_in.get(second.url).content.decode()
    assert f'href="{first.url}"' in page and f'href="{third.url}"' in page

    # The lesson opened last is where the course page resumes.
    services.lesson_view_open(
        enrolment=Enrolment.objects.get(person=learner, course=course), lesson=second
    )
    course_page = signed_in.get(course.url).content.decode()
    assert f'href="{second.url}"' in course_page


def test_a_checkpoint_is_answered_with_a_plain_form(signed_in, learner):
    course = factories.course_create(lessons=1, checkpoint=True)
    services.enrolment_elect(person=learner, course=course)
    lesson = course_lessons(course)[0]
    block_id = next(iter(lesson.checkpoints()))

    wrong = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "1"}, follow=True)
    assert "再试" in wrong.content.decode() or "try once more" in wrong.content.decode()
    right = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "2"}, follow=True)
    assert "回答正确" in right.content.decode() or "Answered correctly" in right.content.decode()
    bad = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "x"})
    assert bad.status_code == 302


def test_the_course_and_lesson_pages_stay_within_15_queries_whatever_the_lessons(
    signed_in, learner, django_assert_max_num_queries
):
    small = factories.course_create(lessons=2)
    large = factories.course_create(lessons=12)
    for course in (small, large):
        services.enrolment_elect(person=learner, course=course)
        # Measure a warm server: content types, site root paths and the catalogue's address
        # are cached per process after the first request.
        signed_in.get(course.url)
        signed_in.get(course_lessons(course)[-1].url)
        last_lesson_url = course_lessons(course)[-1].url
        with django_assert_max_num_queries(15):
            assert signed_in.get(course.url).status_code == 200
        with django_assert_max_num_queries(15):
            assert signed_in.get(last_lesson_url).status_code == 200


def test_my_learning_costs_the_same_queries_for_one_enrolment_or_ten(
    signed_in, learner, django_assert_num_queries
):
    services.enrolment_elect(person=learner, course=factories.course_create())
    signed_in.get("/learning/")  # warm the per-process caches (content types, settings)
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get("/learning/").status_code == 200
    for index in range(9):
        course = factories.course_create(title=f"课程{index}")
        services.enrolment_elect(person=learner, course=course)
    with django_assert_num_queries(len(one.captured_queries)):
        page = signed_in.get("/learning/")
    assert page.content.decode().count('class="card enrolment') == 10


def test_my_learning_shows_due_dates_overdue_marks_and_credit_progress(signed_in, learner, tree):
    from datetime import date

    plan = services.training_plan_create(
        created_by=learner,
        name="年度必修",
        org_unit=tree.xihu,
        credit_year=2026,
        due_date=date(2026, 1, 31),
        courses=[factories.course_create(title="公务员计算机与网络应用基础")],
    )
    services.training_plan_apply(plan=plan)

    page = signed_in.get("/learning/").content.decode()

    assert "公务员计算机与网络应用基础" in page
    assert "2026-01-31" in page
    assert "已逾期" in page or "Overdue" in page
    assert "学时" in page


def test_a_course_that_needs_its_exam_links_to_it(signed_in, learner):
    from django.urls import reverse

    course = factories.course_create(lessons=1, rule="lessons_and_exam")
    exam_url = reverse("exams:for_course", args=[course.pk])

    before = signed_in.get(course.url).content.decode()
    assert f'href="{exam_url}"' in before  # signed in, not yet enrolled
    services.enrolment_elect(person=learner, course=course)
    services.enrolment_record_exam_pass(person=learner, course=course)
    after = signed_in.get(course.url).content.decode()
    assert f'href="{exam_url}"' in after
    assert "考试已通过" in after or "Exam passed" in after


def test_a_course_without_an_exam_or_a_visitor_gets_no_exam_link(client, signed_in):
    from django.urls import reverse

    plain = factories.course_create(lessons=1)
    with_exam = factories.course_create(lessons=1, rule="lessons_and_exam")
    assert "/exams/course/" not in signed_in.get(plain.url).content.decode()
    signed_in.logout()
    page = client.get(with_exam.url).content.decode()
    assert reverse("exams:for_course", args=[with_exam.pk]) not in page


def test_a_course_without_lessons_says_so(signed_in, learner):
    course = factories.course_create(lessons=0)
    services.enrolment_elect(person=learner, course=course)

    response = signed_in.get(course.url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "还没有课时" in page or "no lessons yet" in page
