"""The 培训统计 home (/hr/): who may open it, what it shows, bad input, query counts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from courses import services as courses_services
from dashboards import refresh
from dashboards.models import PersonYear, Refresh
from org import services as org_services
from org.models import OrgUnitKind, Person
from tests import factories

YEAR = timezone.localdate().year


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def credit(person: Person, course: Any, *, month: int = 3) -> None:
    enrolment = courses_services.enrolment_elect(person=person, course=course)
    courses_services.credit_award_course(
        enrolment=enrolment, awarded_at=timezone.make_aware(datetime(YEAR, month, 2, 10))
    )


@pytest.fixture(autouse=True)
def figures_in_the_request(settings: Any) -> None:
    """The page recomputes stale figures in the request, as under the embedded default
    (with a broker, a worker would, while the page shows what it has)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def course(db: None) -> Any:
    return factories.course_create(title="统计课程", hours="4.0", lessons=1)


@pytest.fixture
def ningbo_hr(tree: factories.Tree) -> Person:
    person = factories.person_create(unit=tree.ningbo, real_name="宁波人事", username="nbhr")
    org_services.role_grant(person=person, role="hr_officer", org_unit=tree.ningbo)
    return person


def test_a_learner_and_a_visitor_do_not_get_the_page(learner: Person, client: Client) -> None:
    assert client.get("/hr/").status_code == 302
    assert client_for(learner).get("/hr/").status_code == 404


def test_the_city_officer_sees_the_city_and_its_units(
    tree: factories.Tree, hangzhou_hr: Person, learner: Person, course: Any
) -> None:
    credit(learner, course)
    body = client_for(hangzhou_hr).get("/hr/").content.decode()
    assert "杭州市" in body and "西湖区" in body and "滨江区" in body
    assert "宁波市" not in body and "浙江省" not in body
    # 学时 of the city: the learner's 4 hours over the city's two people.
    assert "2.0" in body


def test_another_city_is_a_404_and_leaves_no_trace(
    tree: factories.Tree, ningbo_hr: Person, learner: Person, course: Any
) -> None:
    credit(learner, course)
    client = client_for(ningbo_hr)
    for unit in (tree.hangzhou, tree.xihu, tree.province):
        response = client.get(f"/hr/?unit={unit.pk}")
        assert response.status_code == 404
        assert unit.name not in response.content.decode()
    body = client.get("/hr/").content.decode()
    assert "杭州市" not in body and "西湖区" not in body and learner.real_name not in body


def test_the_breadcrumb_stops_at_the_officer_s_own_root(
    tree: factories.Tree, hangzhou_hr: Person
) -> None:
    body = client_for(hangzhou_hr).get(f"/hr/?unit={tree.xihu_data_bureau.pk}").content.decode()
    crumbs = body.split('class="dash-breadcrumb"')[1].split("</nav>")[0]
    assert "杭州市" in crumbs and "西湖区" in crumbs and "浙江省" not in crumbs


def test_people_sitting_in_a_unit_with_child_units_have_their_own_row(
    tree: factories.Tree, hangzhou_hr: Person
) -> None:
    factories.person_create(unit=tree.xihu, real_name="区直属人员")
    body = client_for(hangzhou_hr).get(f"/hr/?unit={tree.xihu.pk}").content.decode()
    assert "西湖区（本级）" in body or "西湖区 (own staff)" in body


@pytest.mark.parametrize("year", ["abc", "1999", "20266", "２０２６", "2026 OR 1=1", "-1"])
def test_a_year_without_figures_is_a_400_with_a_message(hangzhou_hr: Person, year: str) -> None:
    response = client_for(hangzhou_hr).get("/hr/", {"year": year})
    assert response.status_code == 400
    assert str(YEAR) in response.content.decode()


@pytest.mark.parametrize("unit", ["abc", "0", "-3", "9" * 30, "1.5"])
def test_a_unit_that_cannot_be_an_id_is_a_404(hangzhou_hr: Person, unit: str) -> None:
    assert client_for(hangzhou_hr).get("/hr/", {"unit": unit}).status_code == 404


@pytest.mark.parametrize("sort", ["zzz", "-", "--reach", "<script>", "name;drop"])
def test_an_unknown_sort_is_the_default_order(hangzhou_hr: Person, sort: str) -> None:
    response = client_for(hangzhou_hr).get("/hr/", {"sort": sort})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split('id="main"')[1]


def test_sorting_by_people_orders_the_units(tree: factories.Tree, hangzhou_hr: Person) -> None:
    for _ in range(3):
        factories.person_create(unit=tree.binjiang_hr_bureau, password=None)
    client = client_for(hangzhou_hr)
    descending = client.get("/hr/", {"sort": "-people"}).content.decode()
    assert descending.index("滨江区") < descending.index("西湖区")
    ascending = client.get("/hr/", {"sort": "people"}).content.decode()
    assert ascending.index("西湖区") < ascending.index("滨江区")


def test_the_page_says_when_its_figures_were_computed(hangzhou_hr: Person) -> None:
    body = client_for(hangzhou_hr).get("/hr/").content.decode()
    record = refresh.latest(YEAR)
    assert record is not None
    assert timezone.localtime(record.computed_at).strftime("%Y-%m-%d %H:%M") in body


def test_the_page_reads_a_constant_number_of_queries(
    tree: factories.Tree, hangzhou_hr: Person, course: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(hangzhou_hr)
    client.get("/hr/")

    def measure() -> int:
        refresh.refresh_due()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get("/hr/").status_code == 200
        return len(queries)

    few = measure()
    for index in range(6):
        unit = factories.unit_create(
            parent=tree.hangzhou, name=f"新设部门{index}", kind=OrgUnitKind.DEPARTMENT
        )
        for _ in range(3):
            person = factories.person_create(unit=unit, password=None)
            credit(person, course, month=index + 1)
    assert measure() == few
    with django_assert_max_num_queries(20):
        client.get("/hr/")


def test_figures_on_the_page_follow_the_ledger(
    tree: factories.Tree, hangzhou_hr: Person, learner: Person, course: Any
) -> None:
    client = client_for(hangzhou_hr)
    client.get("/hr/")
    credit(learner, course)
    # The page recomputes once its figures are older than allowed.
    Refresh.objects.update(computed_at=timezone.now() - refresh.max_age() * 2)
    body = client.get("/hr/").content.decode()
    assert "4.0" in body
    assert sum((row.hours for row in PersonYear.objects.all()), Decimal("0")) == Decimal("4.0")
