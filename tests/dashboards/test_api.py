"""The dashboards' API under /api/v1/dashboards/ (summary, units, people): the pages' figures
for scripts, with the pages' scope rules, in a fixed number of queries.

Runs on both legs.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from courses import services as courses_services
from courses.models import CreditTarget, Enrolment, TrainingPlan
from dashboards import selectors
from dashboards.refresh import refresh_due
from org import services as org_services
from org.models import OrgUnitKind, Person, Role
from org.selectors import scope_of
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year
SUMMARY = "/api/v1/dashboards/summary/"
UNITS = "/api/v1/dashboards/units/"
PEOPLE = "/api/v1/dashboards/people/"
ENDPOINTS = (SUMMARY, UNITS, PEOPLE)
HANGZHOU_TRACES = (
    "杭州",
    "西湖",
    "滨江",
    "达标者",
    "进行中",
    "未开始",
    "逾期者",
    "HZ-0001",
    "王建国",
)


def offline(person: Person, hours: str, *, by: Person) -> None:
    courses_services.credit_record_offline(
        person=person,
        hours=Decimal(hours),
        reason="线下培训班",
        awarded_on=TODAY,
        reference=f"REF-{person.employee_number}",
        entered_by=by,
    )


def assign(person: Person, *, due: date, by: Person) -> Enrolment:
    plan = TrainingPlan.objects.create(
        name=f"{due.year}年度必修",
        org_unit=person.org_unit,
        credit_year=due.year,
        due_date=due,
        mandatory=True,
        created_by=by,
    )
    return courses_services.enrolment_create(
        person=person,
        course=factories.course_create(title="保密常识", lessons=1),
        source="plan",
        training_plan=plan,
        mandatory=True,
        due_date=due,
    )


def token_client(person: Person) -> APIClient:
    _token, key = org_services.api_token_issue(user=person.user, name="报表脚本")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def officer_of(unit: Any, name: str, username: str) -> Person:
    officer = factories.person_create(unit=unit, real_name=name, username=username)
    org_services.role_grant(person=officer, role=Role.HR_OFFICER, org_unit=unit)
    return officer


@pytest.fixture
def cast(tree: factories.Tree, hangzhou_hr: Person) -> dict[str, Any]:
    """Hangzhou's people in each state, Ningbo's officer and one of their people, refreshed."""
    CreditTarget.objects.create(org_unit=tree.hangzhou, credit_year=YEAR, hours=Decimal("10"))
    met = factories.person_create(
        unit=tree.xihu_it_section, real_name="达标者", employee_number="HZ-0001", rank="clerk_1"
    )
    behind = factories.person_create(
        unit=tree.xihu_data_bureau, real_name="进行中", employee_number="HZ-0002", rank="clerk_2"
    )
    idle = factories.person_create(
        unit=tree.binjiang_hr_bureau, real_name="未开始", employee_number="BJ-0003", rank="clerk_1"
    )
    late = factories.person_create(
        unit=tree.binjiang_hr_bureau, real_name="逾期者", employee_number="BJ-0004"
    )
    ningbo_hr = officer_of(tree.ningbo, "宁波人事", "nbhr")
    ningbo = factories.person_create(
        unit=tree.ningbo_data_bureau, real_name="宁波甬江人", employee_number="NB-7731"
    )
    offline(met, "12", by=hangzhou_hr)
    offline(behind, "3", by=hangzhou_hr)
    offline(ningbo, "20", by=ningbo_hr)
    if TODAY != date(YEAR, 1, 1):  # nothing of this year can be overdue on 1 January
        assign(late, due=TODAY - timedelta(days=1), by=hangzhou_hr)
    refresh_due()
    return {
        "met": met,
        "behind": behind,
        "idle": idle,
        "late": late,
        "ningbo": ningbo,
        "ningbo_hr": ningbo_hr,
    }


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.content[:500]
    return response.json()


def rate(value: Decimal | None) -> str | None:
    """A rate or an hour count as the API writes it: one decimal, or null."""
    return None if value is None else str(value.quantize(Decimal("0.1")))


def as_json(figures: selectors.Figures) -> dict[str, Any]:
    """The figures as the API gives them: rates and hours as decimal strings, or null."""
    return {
        "people": figures.people,
        "participants": figures.participants,
        "participation_rate": rate(figures.participation_rate),
        "reached": figures.reached,
        "reach_rate": rate(figures.reach_rate),
        "hours": rate(figures.hours),
        "hours_per_person": rate(figures.hours_per_person),
        "mandatory_assigned": figures.mandatory_assigned,
        "mandatory_done": figures.mandatory_done,
        "mandatory_rate": rate(figures.mandatory_rate),
        "overdue": figures.overdue,
        "exams_passed": figures.exams_passed,
        "certificates": figures.certificates,
    }


def scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in ("bands", "months")}


# --- the summary ----------------------------------------------------------------------------


def test_the_summary_has_the_pages_figures(cast, hangzhou_hr, tree):
    data = ok(token_client(hangzhou_hr).get(SUMMARY))

    node = selectors.dashboard_node(scope_of(hangzhou_hr.user), None)
    shot = selectors.snapshot(node, YEAR)
    assert data["node"] == {
        "id": tree.hangzhou.pk,
        "name": "杭州市",
        "label": "杭州市",
        "trail": [{"id": tree.hangzhou.pk, "name": "杭州市"}],
    }
    assert data["year"] == YEAR
    assert data["computed_at"] is not None and data["as_of"] is not None
    assert scalars(data["figures"]) == as_json(shot.figures)
    # Five people (the officer too), one of them at the target, 15 hours between them.
    assert data["figures"]["people"] == 5
    assert data["figures"]["reach_rate"] == "20.0"
    assert data["figures"]["hours"] == "15.0"
    assert data["figures"]["hours_per_person"] == "3.0"
    assert data["figures"]["bands"] == [
        {"label": label, "people": people}
        for label, people in zip(selectors.band_labels(), shot.figures.bands, strict=True)
    ]
    assert data["figures"]["bands"][0]["label"] == _("No hours")
    months = selectors.month_rows(node, YEAR, shot.figures)
    assert data["figures"]["months"] == [
        {"month": row.month, "hours": rate(row.hours), "reach_rate": rate(row.reach_rate)}
        for row in months
    ]
    assert data["figures"]["months"][TODAY.month - 1]["reach_rate"] == "20.0"
    if TODAY.month < 12:
        assert data["figures"]["months"][TODAY.month] == {
            "month": TODAY.month + 1,
            "hours": None,
            "reach_rate": None,
        }
    # This year runs: last year on the same day, which has no figures here.
    assert data["comparison"] == {"year": YEAR - 1, "basis": "same_day", "figures": None}


def test_the_summary_of_a_unit_and_of_last_year(cast, hangzhou_hr, tree):
    api = token_client(hangzhou_hr)
    CreditTarget.objects.create(org_unit=tree.hangzhou, credit_year=YEAR - 1, hours=Decimal("4"))
    courses_services.credit_record_offline(
        person=cast["met"],
        hours=Decimal("5"),
        reason="去年的培训班",
        awarded_on=date(YEAR - 1, 6, 1),
        reference="LAST-YEAR",
        entered_by=hangzhou_hr,
    )
    refresh_due()

    unit = ok(api.get(SUMMARY, {"unit": tree.xihu_it_section.pk}))
    assert unit["node"]["label"] == "杭州市 / 西湖区 / 西湖区数据资源管理局 / 信息化科"
    assert [step["name"] for step in unit["node"]["trail"]] == [
        "杭州市",
        "西湖区",
        "西湖区数据资源管理局",
        "信息化科",
    ]
    assert unit["figures"]["people"] == 1
    assert unit["figures"]["reach_rate"] == "100.0"
    # Last year on this day: the five hours of June if today is past June.
    compare = unit["comparison"]
    assert compare["basis"] == "same_day"
    assert compare["figures"]["people"] == 1
    assert compare["figures"]["hours"] == ("5.0" if TODAY >= date(TODAY.year, 6, 1) else "0.0")

    last = ok(api.get(SUMMARY, {"year": YEAR - 1, "unit": tree.xihu_it_section.pk}))
    assert last["figures"]["hours"] == "5.0"
    assert last["figures"]["reach_rate"] == "100.0"
    assert [month["hours"] for month in last["figures"]["months"]] == (
        ["0.0"] * 5 + ["5.0"] + ["0.0"] * 6
    )
    # A past year compares with the whole of the year before, which has nothing.
    assert last["comparison"] == {"year": YEAR - 2, "basis": "year", "figures": None}


def test_rates_of_nobody_are_null(cast, hangzhou_hr, tree):
    empty = factories.unit_create(parent=tree.xihu, name="空科室", kind=OrgUnitKind.DEPARTMENT)
    refresh_due()

    figures = ok(token_client(hangzhou_hr).get(SUMMARY, {"unit": empty.pk}))["figures"]

    assert figures["people"] == 0
    for name in ("participation_rate", "reach_rate", "hours_per_person", "mandatory_rate"):
        assert figures[name] is None, name
    assert all(month["reach_rate"] is None for month in figures["months"])


# --- the units ------------------------------------------------------------------------------


def test_the_units_are_the_pages_rows(cast, hangzhou_hr, tree):
    api = token_client(hangzhou_hr)

    data = ok(api.get(UNITS))

    node = selectors.dashboard_node(scope_of(hangzhou_hr.user), None)
    rows = selectors.child_rows(node, YEAR)
    assert data["sort"] == "-reach"
    assert data["alert_percent"] == 60
    assert data["node"]["id"] == tree.hangzhou.pk
    assert [(row["id"], row["name"], row["own"]) for row in data["results"]] == [
        (row.unit.pk, row.unit.name, row.own) for row in rows
    ]
    assert [row["name"] for row in data["results"]] == ["西湖区", "滨江区", "杭州市"]
    for given, row in zip(data["results"], rows, strict=True):
        assert given["figures"] == as_json(row.figures)
        assert given["rank"] == row.rank
        assert given["below"] == row.below
        assert given["has_children"] == row.has_children
        assert given["comparison_reach_rate"] == rate(row.compare.reach_rate)
    xihu, binjiang, own = data["results"]
    assert (xihu["rank"], xihu["figures"]["reach_rate"], xihu["below"]) == (1, "50.0", True)
    assert (binjiang["rank"], binjiang["figures"]["reach_rate"]) == (2, "0.0")
    assert own["own"] and own["rank"] is None and not own["has_children"]


def test_the_units_sort_and_an_unknown_sort_is_the_default(cast, hangzhou_hr):
    api = token_client(hangzhou_hr)

    by_name = ok(api.get(UNITS, {"sort": "name"}))
    assert by_name["sort"] == "name"
    assert [row["name"] for row in by_name["results"]] == ["杭州市", "西湖区", "滨江区"]
    by_people = ok(api.get(UNITS, {"sort": "-people"}))
    assert [row["figures"]["people"] for row in by_people["results"]] == [2, 2, 1]
    for nonsense in ("size", "--reach", "", "名称"):
        data = ok(api.get(UNITS, {"sort": nonsense}))
        assert data["sort"] == "-reach", nonsense
        assert [row["name"] for row in data["results"]] == ["西湖区", "滨江区", "杭州市"]


def test_the_units_of_a_unit_lead_down_the_tree(cast, hangzhou_hr, tree):
    data = ok(token_client(hangzhou_hr).get(UNITS, {"unit": tree.xihu.pk}))

    assert [row["name"] for row in data["results"]] == ["西湖区数据资源管理局"]
    assert data["results"][0]["has_children"] is True
    assert data["results"][0]["figures"]["people"] == 2


# --- the people ----------------------------------------------------------------------------


def names(data: dict[str, Any]) -> list[str]:
    return [row["name"] for row in data["results"]]


def test_the_people_list_has_the_pages_rows(cast, hangzhou_hr, tree):
    data = ok(token_client(hangzhou_hr).get(PEOPLE))

    assert names(data) == ["王建国", "进行中", "达标者", "未开始", "逾期者"]
    assert (data["count"], data["page"], data["next"], data["previous"]) == (5, 1, None, None)
    assert data["year"] == YEAR and data["computed_at"] is not None
    met = data["results"][2]
    assert met == {
        "id": cast["met"].pk,
        "name": "达标者",
        "employee_number": "HZ-0001",
        "unit": tree.xihu_it_section.pk,
        "unit_label": "杭州市 / 西湖区 / 西湖区数据资源管理局 / 信息化科",
        "rank": "clerk_1",
        "rank_label": met["rank_label"],
        "hours": "12.0",
        "target": "10.0",
        "status": "met",
        "status_label": _("Target reached"),
        "mandatory_done": 0,
        "mandatory_assigned": 0,
        "overdue": 0,
    }
    assert met["rank_label"]
    statuses = {row["name"]: row["status"] for row in data["results"]}
    assert statuses == {
        "王建国": "none",
        "进行中": "behind",
        "达标者": "met",
        "未开始": "none",
        "逾期者": "none",
    }
    if TODAY != date(YEAR, 1, 1):
        late = data["results"][4]
        assert (late["mandatory_assigned"], late["mandatory_done"], late["overdue"]) == (1, 0, 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "met"}, ["达标者"]),
        ({"status": "behind"}, ["进行中"]),
        ({"status": "none"}, ["王建国", "未开始", "逾期者"]),
        ({"status": "nonsense"}, ["王建国", "进行中", "达标者", "未开始", "逾期者"]),
        ({"rank": "clerk_1"}, ["达标者", "未开始"]),
        ({"rank": "clerk_2", "status": "behind"}, ["进行中"]),
        ({"rank": "no_such_rank"}, ["王建国", "进行中", "达标者", "未开始", "逾期者"]),
        ({"q": "达标"}, ["达标者"]),
        ({"q": "bj-"}, ["未开始", "逾期者"]),
        ({"q": "宁波甬江人"}, []),
        ({"q": "NB-7731"}, []),
        ({"unit": "xihu"}, ["进行中", "达标者"]),
    ],
)
def test_the_people_filters(cast, hangzhou_hr, tree, params, expected):
    if params.get("unit") == "xihu":
        params = {**params, "unit": tree.xihu.pk}

    assert names(ok(token_client(hangzhou_hr).get(PEOPLE, params))) == expected


def test_an_overdue_person_is_found_by_the_overdue_status(cast, hangzhou_hr):
    if TODAY == date(YEAR, 1, 1):
        pytest.skip("nothing of this year can be overdue on 1 January")

    assert names(ok(token_client(hangzhou_hr).get(PEOPLE, {"status": "overdue"}))) == ["逾期者"]


def test_people_come_a_page_at_a_time_and_a_page_past_the_end_is_the_first(
    cast, hangzhou_hr, monkeypatch
):
    monkeypatch.setattr(selectors, "PEOPLE_PAGE_SIZE", 2)
    api = token_client(hangzhou_hr)

    first = ok(api.get(PEOPLE, {"status": "nonsense"}))
    assert (first["count"], first["page"], first["previous"]) == (5, 1, None)
    assert first["next"] == "http://testserver/api/v1/dashboards/people/?page=2&status=nonsense"
    second = ok(api.get(first["next"]))
    assert names(second) == ["达标者", "未开始"]
    assert second["previous"] == "http://testserver/api/v1/dashboards/people/?status=nonsense"
    third = ok(api.get(second["next"]))
    assert (names(third), third["next"]) == (["逾期者"], None)
    assert third["previous"].endswith("?page=2&status=nonsense")
    for past in ("4", "999999999", "0", "-1", "abc", "２", "1e3"):
        data = ok(api.get(PEOPLE, {"page": past}))
        assert (data["page"], names(data)) == (1, names(first)), past


# --- scope, roles, credentials, bad input ---------------------------------------------------


def test_a_ningbo_officer_finds_nothing_of_hangzhou_in_any_endpoint(cast, tree):
    api = token_client(cast["ningbo_hr"])

    for url in ENDPOINTS:
        response = api.get(url)
        body = response.content.decode()
        assert response.status_code == 200, url
        for trace in HANGZHOU_TRACES:
            assert trace not in body, (url, trace)
        for unit in (tree.hangzhou, tree.xihu, tree.xihu_it_section, tree.province):
            outside = api.get(url, {"unit": unit.pk})
            assert outside.status_code == 404, (url, unit.name)
            assert outside.json() == {"detail": _("Not found.")}
    people = ok(api.get(PEOPLE))
    assert names(people) == ["宁波人事", "宁波甬江人"]
    for query in ("达标者", "HZ-0001", "HZ", "王建国"):
        assert names(ok(api.get(PEOPLE, {"q": query}))) == [], query
    summary = ok(api.get(SUMMARY))
    assert summary["node"]["trail"] == [{"id": tree.ningbo.pk, "name": "宁波市"}]
    assert summary["figures"]["people"] == 2
    assert [row["name"] for row in ok(api.get(UNITS))["results"]] == [
        "宁波市大数据发展管理局",
        "宁波市",
    ]


def test_learners_trainers_and_logins_without_a_person_get_a_404(cast, learner, tree):
    trainer = factories.person_create(unit=tree.xihu, real_name="培训师", username="trainer")
    org_services.role_grant(person=trainer, role=Role.TRAINER)
    for person in (learner, trainer):
        api = token_client(person)
        for url in ENDPOINTS:
            # A bad year or unit changes nothing: the endpoint is not theirs.
            for params in ({}, {"year": "abc"}, {"unit": tree.xihu.pk}, {"unit": "x"}):
                response = api.get(url, params)
                assert response.status_code == 404, (person.real_name, url, params)
                assert "达标者" not in response.content.decode()


def test_anonymous_requests_are_refused_and_a_session_works_too(cast, hangzhou_hr):
    anonymous = APIClient()
    for url in ENDPOINTS:
        response = anonymous.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        bad_token = APIClient()
        bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        assert bad_token.get(url).status_code == 401
    session = APIClient()
    session.force_login(hangzhou_hr.user)
    assert ok(session.get(SUMMARY))["figures"]["people"] == 5


def test_an_administrator_sees_the_province_and_an_officer_of_two_cities_both(cast, tree):
    admin_person = factories.person_create(
        unit=tree.provincial_hr_department, real_name="陈志远", username="padmin"
    )
    org_services.role_grant(person=admin_person, role=Role.PLATFORM_ADMIN)
    both = officer_of(tree.hangzhou, "两市人事", "twohr")
    org_services.role_grant(person=both, role=Role.HR_OFFICER, org_unit=tree.ningbo)
    refresh_due()

    admin = ok(token_client(admin_person).get(SUMMARY))
    assert admin["node"]["name"] == "浙江省"
    assert admin["figures"]["people"] == 9  # the cast, both officers and the administrator
    summary = ok(token_client(both).get(SUMMARY))
    assert summary["node"] == {
        "id": None,
        "name": _("All units in your scope"),
        "label": _("All units in your scope"),
        "trail": [],
    }
    assert summary["figures"]["people"] == 8
    units = ok(token_client(both).get(UNITS, {"sort": "name"}))
    assert [row["name"] for row in units["results"]] == ["杭州市", "宁波市"]
    assert len(ok(token_client(both).get(PEOPLE))["results"]) == 8


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_bad_year_is_a_400_naming_the_years_and_a_bad_unit_a_404(cast, hangzhou_hr, url):
    api = token_client(hangzhou_hr)
    message = _("There are figures for the credit years %(first)s to %(last)s only.") % {
        "first": YEAR,
        "last": YEAR,
    }

    for year in ("abc", "1999", str(YEAR + 1), "２０２６", "20261", "-1"):
        response = api.get(url, {"year": year})
        assert response.status_code == 400, year
        assert response.json() == {"detail": f"year: {message}", "errors": {"year": [message]}}
    for unit in ("abc", "0", "-1", "1.5", "9" * 13, "99999999"):
        response = api.get(url, {"unit": unit})
        assert response.status_code == 404, unit
        assert response.json() == {"detail": _("Not found.")}
    assert api.get(url, {"year": str(YEAR)}).status_code == 200


# --- queries --------------------------------------------------------------------------------


def grow(tree: factories.Tree, *, units: int, people: int, by: Person, start: int = 0) -> None:
    """More units under Xihu and Binjiang, and more people in them, some with hours."""
    parents = [tree.xihu, tree.binjiang]
    made = [
        factories.unit_create(
            parent=parents[number % 2], name=f"新部门{number:03d}", kind=OrgUnitKind.DEPARTMENT
        )
        for number in range(start, start + units)
    ]
    for number in range(start, start + people):
        person = factories.person_create(
            unit=made[number % len(made)],
            real_name=f"人员{number:03d}",
            employee_number=f"Q-{number:04d}",
        )
        if number % 3:
            offline(person, "2", by=by)
    refresh_due()


def queries_of(client: APIClient, url: str, params: dict[str, Any]) -> list[str]:
    ok(client.get(url, params))  # caches' first reads
    with CaptureQueriesContext(connection) as captured:
        ok(client.get(url, params))
    return [query["sql"] for query in captured.captured_queries]


CASES = [
    (SUMMARY, {}),
    (UNITS, {}),
    (UNITS, {"sort": "-people"}),
    (PEOPLE, {}),
    (PEOPLE, {"status": "behind", "q": "人员", "page": "2"}),
]
# Token, person and scope (3); the unit (1 when asked) and its trail; the years with figures
# and the latest refresh; the stored figures (1-3); the units' labels. Measured on SQLite:
# summary 9 (10 with a unit, one more with last year's figures), units 10-11, people 9-10.
MAX_QUERIES = 12


def test_each_endpoint_reads_a_fixed_number_of_queries(
    tree, hangzhou_hr, django_assert_max_num_queries
):
    api = token_client(hangzhou_hr)
    grow(tree, units=2, people=4, by=hangzhou_hr)
    few = {f"{url} {params}": queries_of(api, url, params) for url, params in CASES}

    grow(tree, units=30, people=80, by=hangzhou_hr, start=100)
    many = {f"{url} {params}": queries_of(api, url, params) for url, params in CASES}

    for case, queries in many.items():
        assert len(queries) == len(few[case]), case + "\n" + "\n".join(queries)
    for url, params in CASES:
        for unit in (None, tree.xihu.pk):
            asked = params if unit is None else {**params, "unit": unit}
            with django_assert_max_num_queries(MAX_QUERIES):
                ok(api.get(url, asked))
