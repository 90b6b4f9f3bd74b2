"""Trainers author in the Wagtail admin: their section only, and publishing has rules."""

from __future__ import annotations

import pytest
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses.models import CoursePage, LessonPage
from org import services
from tests import factories


@pytest.fixture
def trainer(learner):
    services.role_grant(person=learner, role="trainer")
    return learner


@pytest.fixture
def admin_client(client, trainer):
    client.force_login(trainer.user)
    return client


def lesson_form(title: str, body: list, **extra) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": f"slug-{abs(hash(title)) % 10_000}",
            "required_minutes": 5,
            "body": streamfield(body),
            **extra,
        }
    )


def test_a_trainer_can_add_a_lesson_draft_and_publish_it_with_content(admin_client):
    course = factories.course_create(lessons=1)
    url = f"/admin/pages/add/courses/lessonpage/{course.pk}/"

    draft = admin_client.post(url, lesson_form("草稿课", []))
    assert draft.status_code == 302
    assert LessonPage.objects.get(title="草稿课").live is False

    published = admin_client.post(
        url,
        {
            **lesson_form("正式课", [("paragraph", rich_text("<p>内容</p>"))]),
            "action-publish": "publish",
        },
    )
    assert published.status_code == 302
    assert LessonPage.objects.get(title="正式课").live


def test_a_lesson_without_content_cannot_be_published(admin_client):
    course = factories.course_create(lessons=1)

    response = admin_client.post(
        f"/admin/pages/add/courses/lessonpage/{course.pk}/",
        {**lesson_form("空课", []), "action-publish": "publish"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "需要先添加内容" in str(errors["body"])
    assert not LessonPage.objects.filter(title="空课").exists()


def test_a_course_without_published_lessons_cannot_be_published(admin_client):
    catalogue = factories.catalogue()
    response = admin_client.post(
        f"/admin/pages/add/courses/coursepage/{catalogue.pk}/",
        nested_form_data(
            {
                "title": "空课程",
                "slug": "empty-course",
                "credit_hours": "2.0",
                "completion_rule": "lessons",
                "summary": "简介",
                "objectives": rich_text(""),
                "action-publish": "publish",
            }
        ),
    )

    assert response.status_code == 200
    assert "请先发布至少一个课时" in str(response.context["form"].errors)
    assert not CoursePage.objects.filter(title="空课程").exists()


def test_negative_credit_hours_are_refused(admin_client):
    catalogue = factories.catalogue()
    response = admin_client.post(
        f"/admin/pages/add/courses/coursepage/{catalogue.pk}/",
        nested_form_data(
            {
                "title": "负学时",
                "slug": "negative",
                "credit_hours": "-1.0",
                "completion_rule": "lessons",
                "summary": "简介",
                "objectives": rich_text(""),
            }
        ),
    )

    assert response.status_code == 200
    assert "credit_hours" in response.context["form"].errors
    assert not CoursePage.objects.filter(title="负学时").exists()


def test_a_trainer_cannot_edit_pages_outside_the_course_section(admin_client):
    home = Page.objects.get(depth=2)
    assert admin_client.get(f"/admin/pages/{home.pk}/edit/").status_code in (302, 403)
    catalogue = factories.catalogue()
    assert admin_client.get(f"/admin/pages/{catalogue.pk}/edit/").status_code == 200
