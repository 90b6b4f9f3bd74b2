"""A training plan's page (/hr/plans/<id>/) for the officers who follow it: per child unit of
their part of the tree (drill-down by ``unit``), and who is overdue, paged; a provincial plan
shows a city officer that city's people only, in every figure and list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import services
from courses.models import TrainingPlan
from org import services as org_services
from org.models import Person, Role
from tests import factories

HANGZHOU_NAMES = ("杭州学员甲", "杭州学员乙", "滨江学员丙")
NINGBO_NAMES = ("宁波学员丁", "宁波学员戊")


def due_date() -> date:
    return timezone.localdate() - timedelta(days=30)


def plan_create(
    admin: Person, unit: Any, name: str, courses: list[Any], **fields: Any
) -> TrainingPlan:
    due = fields.pop("due_date", None) or due_date()
    return services.training_plan_create(
        created_by=admin,
        name=name,
        org_unit=unit,
        credit_year=due.year,
        due_date=due,
        courses=courses,
        **fields,
    )


@pytest.fixture
def ningbo_hr(tree: factories.Tree) -> Person:
    person = factories.person_create(unit=tree.ningbo, real_name="宁波人事", username="nbhr")
    org_services.role_grant(person=person, role=Role.HR_OFFICER, org_unit=tree.ningbo)
    return person


@pytest.fixture
def province_plan(
    tree, platform_admin, hangzhou_hr, ningbo_hr, eager_tasks, django_capture_on_commit_callbacks
) -> dict[str, Any]:
    """Two courses for the whole province, due a month ago. In Hangzhou 甲 has done both,
    乙 one, 丙 (Binjiang) and the officer (sitting in 杭州市 itself) none; in Ningbo 丁 has
    done both, 戊 none; a Xihu leaver is not counted."""
    people = {
        "杭州学员甲": factories.person_create(unit=tree.xihu_it_section, real_name="杭州学员甲"),
        "杭州学员乙": factories.person_create(unit=tree.xihu_data_bureau, real_name="杭州学员乙"),
        "滨江学员丙": factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江学员丙"),
        "宁波学员丁": factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波学员丁"),
        "宁波学员戊": factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波学员戊"),
        "离职学员": factories.person_create(unit=tree.xihu_it_section, real_name="离职学员"),
    }
    first = factories.course_create(title="数字政府建设", lessons=1)
    second = factories.course_create(title="数据安全法解读", lessons=1)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_create(platform_admin, tree.province, "全省年度必修计划", [first, second])
    for name, courses in (
        ("杭州学员甲", [first, second]),
        ("杭州学员乙", [first]),
        ("宁波学员丁", [first, second]),
    ):
        for course in courses:
            factories.course_complete(person=people[name], course=course)
    org_services.person_deactivate(person=people["离职学员"])
    return {"plan": plan, "people": people, "first": first, "second": second}


def unit_figures(response: Any) -> dict[str, tuple[int, int, int]]:
    return {
        (f"本级:{row.unit.name}" if row.own else row.unit.name): (
            row.enrolled,
            row.completed,
            row.overdue,
        )
        for row in response.context["unit_rows"]
    }


def test_a_city_officer_sees_the_citys_units_and_people_only(
    client, tree, hangzhou_hr, province_plan
):
    client.force_login(hangzhou_hr.user)

    response = client.get(f"/hr/plans/{province_plan['plan'].pk}/")

    assert response.status_code == 200
    assert unit_figures(response) == {
        "西湖区": (2, 1, 1),  # 甲 done, 乙 overdue on the second course
        "滨江区": (1, 0, 1),
        "本级:杭州市": (1, 0, 1),  # the officer sits in 杭州市 itself
    }
    total = response.context["unit_total"]
    assert (total.enrolled, total.completed, total.overdue) == (4, 1, 3)
    assert str(total.completion_rate) == "25.0"
    assert [
        (course.title, row["enrolled"], row["completed"], row["overdue"])
        for course, row in response.context["course_rows"]
    ] == [
        ("数字政府建设", 4, 2, 2),
        ("数据安全法解读", 4, 1, 3),
    ]
    overdue = [
        (line.enrolment.person.real_name, line.enrolment.course.title, line.days_overdue)
        for line in response.context["overdue_lines"]
    ]
    assert sorted(overdue) == sorted(
        [
            ("杭州学员乙", "数据安全法解读", 30),
            ("滨江学员丙", "数字政府建设", 30),
            ("滨江学员丙", "数据安全法解读", 30),
            ("王建国", "数字政府建设", 30),
            ("王建国", "数据安全法解读", 30),
        ]
    )
    page = response.content.decode()
    for name in NINGBO_NAMES + ("宁波", "离职学员"):
        assert name not in page, name
    person = province_plan["people"]["杭州学员乙"]
    assert f'href="/hr/people/{person.pk}/"' in page
    assert "西湖区 / 西湖区数据资源管理局" in page  # the unit label starts at the scope root


def test_a_ningbo_officer_sees_the_provincial_plan_with_ningbos_people_only(
    client, tree, ningbo_hr, province_plan
):
    client.force_login(ningbo_hr.user)

    response = client.get(f"/hr/plans/{province_plan['plan'].pk}/")

    assert response.status_code == 200
    assert response.context["people_in_scope"] == 3  # 丁, 戊 and the officer
    assert unit_figures(response) == {
        "宁波市大数据发展管理局": (2, 1, 1),
        "本级:宁波市": (1, 0, 1),
    }
    assert [row["enrolled"] for _course, row in response.context["course_rows"]] == [3, 3]
    names = {line.enrolment.person.real_name for line in response.context["overdue_lines"]}
    assert names == {"宁波学员戊", "宁波人事"}
    page = response.content.decode()
    for name in (*HANGZHOU_NAMES, "王建国", "杭州市", "西湖区", "滨江区"):
        assert name not in page, name


def test_a_plan_of_another_city_is_404_with_nothing_in_the_body(
    client, tree, platform_admin, ningbo_hr, province_plan, eager_tasks
):
    hangzhou_plan = plan_create(
        platform_admin, tree.hangzhou, "杭州市专项计划", [province_plan["first"]]
    )
    client.force_login(ningbo_hr.user)

    for url in (
        f"/hr/plans/{hangzhou_plan.pk}/",
        f"/hr/plans/{hangzhou_plan.pk}/?unit={tree.ningbo.pk}",
        f"/hr/plans/{province_plan['plan'].pk}/?unit={tree.hangzhou.pk}",
        f"/hr/plans/{province_plan['plan'].pk}/?unit={tree.xihu.pk}",
        f"/hr/plans/{province_plan['plan'].pk}/?unit={tree.province.pk}",
        f"/hr/plans/{province_plan['plan'].pk}/?unit=abc",
        f"/hr/plans/{province_plan['plan'].pk}/?unit=0",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        page = response.content.decode()
        for trace in ("杭州市专项计划", *HANGZHOU_NAMES, "西湖区"):
            assert trace not in page, (url, trace)


def test_a_unit_drills_down_to_its_own_units_and_people(client, tree, hangzhou_hr, province_plan):
    client.force_login(hangzhou_hr.user)

    response = client.get(f"/hr/plans/{province_plan['plan'].pk}/", {"unit": tree.xihu.pk})

    assert response.status_code == 200
    assert unit_figures(response) == {"西湖区数据资源管理局": (2, 1, 1)}
    assert response.context["people_in_scope"] == 2
    assert [row["enrolled"] for _course, row in response.context["course_rows"]] == [2, 2]
    names = [line.enrolment.person.real_name for line in response.context["overdue_lines"]]
    assert names == ["杭州学员乙"]
    assert [unit.name for unit in response.context["trail"]] == ["杭州市", "西湖区"]
    page = response.content.decode()
    assert f'href="?unit={tree.xihu_data_bureau.pk}"' in page  # one level further down
    assert f'href="?unit={tree.hangzhou.pk}"' in page  # and back up
    assert "滨江学员丙" not in page

    leaf = client.get(f"/hr/plans/{province_plan['plan'].pk}/", {"unit": tree.xihu_it_section.pk})
    assert unit_figures(leaf) == {"本级:信息化科": (1, 1, 0)}
    assert leaf.context["overdue_lines"] == []


def test_the_overdue_list_pages_by_25_and_a_page_past_the_end_is_the_first(
    client, tree, platform_admin, ningbo_hr, eager_tasks, django_capture_on_commit_callbacks
):
    for index in range(30):
        factories.person_create(
            unit=tree.ningbo_data_bureau,
            real_name=f"宁波逾期{index:02d}",
            employee_number=f"NB{index:04d}",
            password=None,
        )
    course = factories.course_create(title="保密常识", lessons=1)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_create(platform_admin, tree.ningbo, "宁波保密计划", [course])
    client.force_login(ningbo_hr.user)
    url = f"/hr/plans/{plan.pk}/"

    first = client.get(url)
    second = client.get(url, {"page": 2})

    assert first.context["overdue_page"].paginator.count == 31  # 30 and the officer
    assert len(first.context["overdue_lines"]) == 25
    assert len(second.context["overdue_lines"]) == 6
    assert second.context["overdue_page"].number == 2
    for wrong in ("3", "99", "0", "abc", "-1", "1e3"):
        response = client.get(url, {"page": wrong})
        assert response.status_code == 200, wrong
        assert response.context["overdue_page"].number == 1, wrong
    assert "page=2" in first.content.decode()
    drilled = client.get(url, {"unit": tree.ningbo_data_bureau.pk}).content.decode()
    assert f"unit={tree.ningbo_data_bureau.pk}&amp;page=2" in drilled  # the unit is kept


def test_the_plan_page_costs_the_same_queries_for_few_people_or_many(
    client,
    tree,
    platform_admin,
    hangzhou_hr,
    eager_tasks,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    courses = [factories.course_create(title=f"课程{index}", lessons=1) for index in range(3)]
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江老人", password=None)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_create(platform_admin, tree.province, "全省计划", courses)
    client.force_login(hangzhou_hr.user)
    url = f"/hr/plans/{plan.pk}/"

    def queries() -> tuple[int, int]:
        counts = []
        for params in ({}, {"unit": tree.binjiang.pk, "page": "2"}):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, params).status_code == 200
            counts.append(len(captured))
        return counts[0], counts[1]

    client.get(url)
    few = queries()
    for index in range(12):
        unit = factories.unit_create(
            parent=tree.binjiang, name=f"滨江新单位{index}", kind="department"
        )
        person = factories.person_create(unit=unit, real_name=f"新人{index}", password=None)
        services.training_plans_apply_for_person(person=person)
        if index % 2:
            factories.course_complete(person=person, course=courses[0])
    many = queries()

    assert many == few
    assert many[1] - many[0] == 2  # the unit looked up in the scope, and the breadcrumb
    with django_assert_max_num_queries(20):
        client.get(url, {"unit": tree.binjiang.pk})
