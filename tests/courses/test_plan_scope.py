"""A plan assigned higher up is visible to the officers below, with their own figures only."""

from __future__ import annotations

from datetime import date

import pytest

from courses import services
from courses.models import Enrolment
from tests import factories

pytestmark = pytest.mark.postgres


@pytest.fixture
def province_plan(tree, platform_admin, eager_tasks, django_capture_on_commit_callbacks):
    course = factories.course_create(title="全省数字素养必修课")
    factories.person_create(unit=tree.xihu_it_section, real_name="杭州学员甲", password=None)
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="杭州学员乙", password=None)
    for name in ("宁波学员丙", "宁波学员丁", "宁波学员戊"):
        factories.person_create(unit=tree.ningbo_data_bureau, real_name=name, password=None)
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.training_plan_create(
            created_by=platform_admin,
            name="全省年度数字素养计划",
            org_unit=tree.province,
            credit_year=2026,
            due_date=date(2026, 12, 31),
            courses=[course],
        )
    return plan


def test_a_city_officer_sees_the_provincial_plan_with_the_citys_figures_only(
    client, tree, hangzhou_hr, province_plan
):
    hangzhou_people = Enrolment.objects.filter(
        training_plan=province_plan, person__org_unit__path__startswith=tree.hangzhou.path
    ).count()
    assert hangzhou_people == 3  # 甲, 乙 and the officer
    assert Enrolment.objects.filter(training_plan=province_plan).count() > hangzhou_people
    client.force_login(hangzhou_hr.user)

    listing = client.get("/hr/plans/").content.decode()
    assert "全省年度数字素养计划" in listing
    assert "没有培训计划" not in listing and "No training plan" not in listing

    detail = client.get(f"/hr/plans/{province_plan.pk}/")
    assert detail.status_code == 200
    people_in_scope = detail.context["people_in_scope"]
    rows = detail.context["course_rows"]
    assert people_in_scope == hangzhou_people
    assert [row["enrolled"] for _course, row in rows] == [hangzhou_people]
    page = detail.content.decode()
    assert "宁波" not in page  # neither Ningbo's people nor its units
    assert listing.count("宁波") == 0


def test_a_county_officer_sees_the_plan_too_and_only_the_countys_people(
    client, tree, xihu_hr, province_plan
):
    client.force_login(xihu_hr.user)
    detail = client.get(f"/hr/plans/{province_plan.pk}/")
    assert detail.status_code == 200
    assert detail.context["people_in_scope"] == 2  # 甲 and the officer, not 乙 of Binjiang
    assert detail.context["plan"].owned is False


def test_plans_of_other_cities_stay_invisible(
    client, tree, hangzhou_hr, platform_admin, eager_tasks
):
    ningbo_plan = services.training_plan_create(
        created_by=platform_admin,
        name="宁波市专项计划",
        org_unit=tree.ningbo,
        credit_year=2026,
        due_date=date(2026, 12, 31),
        courses=[factories.course_create()],
    )
    client.force_login(hangzhou_hr.user)
    assert "宁波市专项计划" not in client.get("/hr/plans/").content.decode()
    assert client.get(f"/hr/plans/{ningbo_plan.pk}/").status_code == 404


def test_the_administrator_sees_every_plan_with_every_figure(client, platform_admin, province_plan):
    client.force_login(platform_admin.user)
    detail = client.get(f"/hr/plans/{province_plan.pk}/")
    assert detail.context["plan"].owned is True
    assert (
        detail.context["people_in_scope"]
        == Enrolment.objects.filter(training_plan=province_plan).count()
    )


def test_the_plan_list_costs_the_same_queries_for_one_plan_or_five(
    client, tree, hangzhou_hr, platform_admin, django_assert_max_num_queries
):
    for index in range(5):
        services.training_plan_create(
            created_by=platform_admin,
            name=f"计划{index}",
            org_unit=tree.province if index % 2 else tree.hangzhou,
            credit_year=2026,
            due_date=date(2026, 12, 31),
            courses=[factories.course_create(title=f"课程{index}")],
        )
    client.force_login(hangzhou_hr.user)
    client.get("/hr/plans/")
    with django_assert_max_num_queries(20):
        assert client.get("/hr/plans/").status_code == 200
