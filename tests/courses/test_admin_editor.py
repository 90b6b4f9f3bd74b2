"""The course editor as trainers meet it: readable ASCII addresses, a plain category select."""

from __future__ import annotations

import pytest
from wagtail.test.utils.form_data import nested_form_data, rich_text

from courses.forms import ascii_slug
from courses.models import CourseCategory, CoursePage
from org import services
from tests import factories


@pytest.fixture
def admin_client(client, learner):
    services.role_grant(person=learner, role="trainer")
    client.force_login(learner.user)
    return client


def course_form(title: str, slug: str = "", **extra) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "credit_hours": "2.0",
            "summary": "简介",
            "completion_rule": "lessons",
            "objectives": rich_text(""),
            **extra,
        }
    )


def test_a_chinese_title_gets_a_readable_ascii_slug(admin_client):
    add = f"/admin/pages/add/courses/coursepage/{factories.catalogue().pk}/"

    # The editor copies the title into the slug; an empty slug is filled the same way.
    first = admin_client.post(add, course_form("电子政务概论", slug="电子政务概论"))
    second = admin_client.post(add, course_form("电子政务概论"))

    assert first.status_code == second.status_code == 302
    slugs = sorted(CoursePage.objects.filter(title="电子政务概论").values_list("slug", flat=True))
    assert slugs == ["dian-zi-zheng-wu-gai-lun", "dian-zi-zheng-wu-gai-lun-2"]
    page = CoursePage.objects.get(slug="dian-zi-zheng-wu-gai-lun")
    assert page.url is None or "%" not in (page.get_url() or "")


def test_a_slug_typed_by_the_trainer_is_kept(admin_client):
    add = f"/admin/pages/add/courses/coursepage/{factories.catalogue().pk}/"
    admin_client.post(add, course_form("信息安全保障体系", slug="infosec-2026"))
    page = CoursePage.objects.get(title="信息安全保障体系")
    assert page.slug == "infosec-2026"

    edit = admin_client.post(
        f"/admin/pages/{page.pk}/edit/", course_form("信息安全保障体系", slug="infosec")
    )
    assert edit.status_code == 302
    assert CoursePage.objects.get(pk=page.pk).get_latest_revision_as_object().slug == "infosec"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("电子政务概论", "dian-zi-zheng-wu-gai-lun"),
        ("G2C 与“一网通办”", "g2c-yu-yi-wang-tong-ban"),
        ("第1课：数据共享", "di-1-ke-shu-ju-gong-xiang"),
    ],
)
def test_titles_are_spelled_in_pinyin(title, slug):
    assert ascii_slug(title) == slug


def test_the_category_is_a_plain_select_not_a_chooser_modal(admin_client):
    for index, name in enumerate(["电子政务", "信息安全", "协同办公", "数据共享", "计算机应用"]):
        CourseCategory.objects.create(name=name, slug=f"c{index}", sort_order=index)

    page = admin_client.get(
        f"/admin/pages/add/courses/coursepage/{factories.catalogue().pk}/"
    ).content.decode()

    assert '<select name="category" id="id_category">' in page
    assert "<option value=" in page and "信息安全" in page
    assert "snippet-chooser" not in page.split('id="id_category"')[1][:400]
