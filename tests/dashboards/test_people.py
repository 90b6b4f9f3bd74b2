"""The dashboards' People pages: /hr/people/ (人员, the stored figures a page at a time) and
/hr/people/<id>/ (学时档案, one person's year read live from the rows).

Runs on both legs; on PostgreSQL it also checks that the list's first page is read from
PersonYear's index in order (no sort of the whole subtree).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import services as courses_services
from courses.models import CreditRecord, CreditTarget, Enrolment, TrainingPlan
from dashboards import people as reads
from dashboards import selectors
from dashboards.models import PersonYear
from dashboards.refresh import refresh_due
from exams import services as exam_services
from org import services as org_services
from org.models import Person, Role
from org.selectors import scope_of
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year
LIST = "/hr/people/"
MAX_LIST_QUERIES = 21
MAX_RECORD_QUERIES = 20


def offline(person: Person, hours: str, *, by: Person, reason: str, on: date | None = None) -> None:
    courses_services.credit_record_offline(
        person=person,
        hours=Decimal(hours),
        reason=reason,
        awarded_on=on or TODAY,
        reference=f"REF-{person.employee_number}",
        entered_by=by,
    )


def assign(person: Person, *, due: date, by: Person, title: str = "保密常识") -> Enrolment:
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
        course=factories.course_create(title=title, lessons=1),
        source="plan",
        training_plan=plan,
        mandatory=True,
        due_date=due,
    )


def overdue_due_date() -> date:
    """A due date of this credit year that has passed (none has on 1 January)."""
    if TODAY == date(YEAR, 1, 1):
        pytest.skip("nothing of this year can be overdue on 1 January")
    return TODAY - timedelta(days=1)


@pytest.fixture
def cast(tree: factories.Tree, hangzhou_hr: Person) -> dict[str, Any]:
    """Hangzhou's people in each state, a Ningbo person, and the figures refreshed."""
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
    ningbo = factories.person_create(
        unit=tree.ningbo_data_bureau, real_name="宁波甬江人", employee_number="NB-7731"
    )
    offline(met, "12", by=hangzhou_hr, reason="信息安全线下培训班")
    offline(behind, "3", by=hangzhou_hr, reason="数据治理专题讲座")
    offline(ningbo, "20", by=hangzhou_hr, reason="宁波线下培训班")
    assign(late, due=overdue_due_date(), by=hangzhou_hr)
    refresh_due()
    return {"met": met, "behind": behind, "idle": idle, "late": late, "ningbo": ningbo}


def names(response: Any) -> list[str]:
    """The names in the list's rows, in order."""
    assert response.status_code == 200, response.content[:500]
    page = response.content.decode()
    return re.findall(r'<th scope="row"><a href="/hr/people/\d+/[^"]*">([^<]+)</a></th>', page)


def signed_in(client: Any, person: Person) -> Any:
    client.force_login(person.user)
    return client


# --- the list ---------------------------------------------------------------------------------


def test_a_city_officer_sees_their_people_with_the_years_figures(client, cast, hangzhou_hr):
    response = signed_in(client, hangzhou_hr).get(LIST)

    page = response.content.decode()
    assert names(response) == ["王建国", "进行中", "达标者", "未开始", "逾期者"]
    assert "宁波甬江人" not in page
    row = re.search(r"达标者.*?</tr>", page, flags=re.DOTALL)
    assert row is not None
    assert "HZ-0001" in row.group(0)
    assert "西湖区 / 西湖区数据资源管理局 / 信息化科" in row.group(0)
    assert "12.0 / 10.0" in row.group(0)
    assert _("Target reached") in row.group(0)
    assert 'value="100"' in row.group(0)
    late = re.search(r"逾期者.*?</tr>", page, flags=re.DOTALL)
    assert late is not None
    assert "0 / 1" in late.group(0)
    assert '<span class="badge overdue-badge">1</span>' in late.group(0)
    # The page says when its figures were computed.
    assert "dash-freshness" in page
    assert 'aria-current="page">' + _("People") in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("met", ["达标者"]),
        ("behind", ["进行中"]),
        ("none", ["王建国", "未开始", "逾期者"]),
        ("overdue", ["逾期者"]),
        ("nonsense", ["王建国", "进行中", "达标者", "未开始", "逾期者"]),
    ],
)
def test_the_status_filter(client, cast, hangzhou_hr, status, expected):
    response = signed_in(client, hangzhou_hr).get(LIST, {"status": status})

    assert names(response) == expected


def test_the_rank_filter(client, cast, hangzhou_hr):
    client = signed_in(client, hangzhou_hr)

    assert names(client.get(LIST, {"rank": "clerk_1"})) == ["达标者", "未开始"]
    assert names(client.get(LIST, {"rank": "clerk_2", "status": "behind"})) == ["进行中"]
    assert len(names(client.get(LIST, {"rank": "no_such_rank"}))) == 5


def test_the_search_by_name_or_employee_number_prefix(client, cast, hangzhou_hr):
    client = signed_in(client, hangzhou_hr)

    assert names(client.get(LIST, {"q": "达标"})) == ["达标者"]
    assert names(client.get(LIST, {"q": "BJ-"})) == ["未开始", "逾期者"]
    assert names(client.get(LIST, {"q": "hz-000"})) == ["进行中", "达标者"]
    assert names(client.get(LIST, {"q": "0003"})) == []  # a prefix, not anywhere in it
    # Another city's people are not found by name or number either.
    for query in ("宁波甬江人", "NB-7731"):
        response = client.get(LIST, {"q": query})
        assert names(response) == []
        # What the officer typed comes back in the form's fields (and in the language
        # switcher's return address), and only there.
        body = response.content.decode().replace(f'value="{query}"', "")
        assert query not in body.replace(f"?q={query}", "")


def test_a_unit_narrows_the_list_to_its_subtree(client, cast, hangzhou_hr, tree):
    client = signed_in(client, hangzhou_hr)

    assert names(client.get(LIST, {"unit": tree.xihu.pk})) == ["进行中", "达标者"]
    assert names(client.get(LIST, {"unit": tree.xihu_it_section.pk})) == ["达标者"]
    binjiang = client.get(LIST, {"unit": tree.binjiang.pk, "status": "overdue"})
    assert names(binjiang) == ["逾期者"]
    page = binjiang.content.decode()
    # The breadcrumb leads back up, the filters survive a change of year.
    assert f'href="?unit={tree.hangzhou.pk}&amp;year={YEAR}">杭州市</a>' in page
    assert '<input type="hidden" name="status" value="overdue">' in page


def test_the_units_below_and_the_unit_search_lead_down_the_tree(client, cast, hangzhou_hr, tree):
    client = signed_in(client, hangzhou_hr)

    page = client.get(LIST, {"status": "met"}).content.decode()
    assert f'href="?status=met&amp;unit={tree.xihu.pk}">西湖区</a>' in page
    assert "2 人" in page or "2 people" in page

    found = client.get(LIST, {"unit_q": "数据资源"}).content.decode()
    assert f'unit={tree.xihu_data_bureau.pk}">杭州市 / 西湖区 / 西湖区数据资源管理局</a>' in found
    nothing = client.get(LIST, {"unit_q": "宁波"}).content.decode()
    assert "宁波市大数据发展管理局" not in nothing
    assert _("No unit in your scope has that name or code.") in nothing
    by_code = client.get(LIST, {"unit_q": tree.binjiang_hr_bureau.code}).content.decode()
    assert "滨江区人力资源和社会保障局" in by_code


def test_a_county_officer_sees_no_other_countys_people(client, cast, xihu_hr, tree):
    refresh_due()  # the officer came after the cast's refresh
    client = signed_in(client, xihu_hr)

    response = client.get(LIST)
    assert names(response) == ["进行中", "赵丽", "达标者"]
    page = response.content.decode()
    for trace in ("未开始", "逾期者", "BJ-0003", "宁波甬江人", "滨江区"):
        assert trace not in page
    assert names(client.get(LIST, {"q": "BJ-"})) == []
    assert client.get(LIST, {"unit": tree.binjiang.pk}).status_code == 404
    assert client.get(LIST, {"unit": tree.hangzhou.pk}).status_code == 404


def test_pages_and_a_page_past_the_end_is_the_first(client, cast, hangzhou_hr, tree):
    for number in range(30):
        factories.person_create(
            unit=tree.binjiang_hr_bureau,
            real_name=f"同事{number:02d}",
            employee_number=f"BX-{number:03d}",
        )
    refresh_due()
    client = signed_in(client, hangzhou_hr)

    first = names(client.get(LIST))
    second = client.get(LIST, {"page": "2"})
    assert len(first) == selectors.PEOPLE_PAGE_SIZE
    assert len(names(second)) == 35 - selectors.PEOPLE_PAGE_SIZE
    assert not set(first) & set(names(second))
    page = second.content.decode()
    assert _("Page %(number)s of %(total)s") % {"number": 2, "total": 2} in page
    assert 'href="?page=1"' in page
    for past in ("3", "999999999", "0", "-1", "abc", "２", "1e3"):
        assert names(client.get(LIST, {"page": past})) == first, past


def test_the_unfiltered_lists_stored_count_is_the_number_of_its_rows(
    cast, hangzhou_hr, platform_admin, tree
):
    # Someone leaves and someone moves after the refresh: the stored rows and the stored
    # totals describe the same moment, so the count still fits the pages.
    cast["idle"].is_active = False
    cast["idle"].save()
    cast["behind"].org_unit = tree.ningbo_data_bureau
    cast["behind"].save()
    for officer, unit in (
        (hangzhou_hr, None),
        (hangzhou_hr, tree.binjiang_hr_bureau),
        (hangzhou_hr, tree.xihu_it_section),
        (platform_admin, None),
    ):
        node = selectors.dashboard_node(scope_of(officer.user), unit.pk if unit else None)
        page, _rows = reads.people_page(node, YEAR, reads.people_filters({}), None)
        assert page.paginator.count == selectors.people_in(node, YEAR).count() > 0, unit


def test_a_bad_year_is_a_400_that_says_which_years_there_are(client, cast, hangzhou_hr):
    client = signed_in(client, hangzhou_hr)

    for year in ("abc", "1999", str(YEAR + 1), "２０２６"):
        response = client.get(LIST, {"year": year})
        assert response.status_code == 400, year
        assert (
            _("There are figures for the credit years %(first)s to %(last)s only.")
            % {
                "first": YEAR,
                "last": YEAR,
            }
            in response.content.decode()
        )


def test_a_unit_outside_the_scope_or_not_an_id_is_a_404(client, cast, hangzhou_hr, tree):
    client = signed_in(client, hangzhou_hr)

    for unit in (tree.ningbo.pk, tree.province.pk, "abc", "0", "99999999"):
        response = client.get(LIST, {"unit": unit})
        assert response.status_code == 404, unit
        assert "宁波" not in response.content.decode()


def test_learners_trainers_and_visitors_do_not_reach_the_people_pages(client, cast, learner, tree):
    url = f"/hr/people/{cast['met'].pk}/"
    assert client.get(LIST).status_code == 302
    assert client.get(url).status_code == 302

    trainer = factories.person_create(unit=tree.xihu, real_name="培训师", username="trainer")
    org_services.role_grant(person=trainer, role=Role.TRAINER)
    for person in (learner, trainer):
        client = signed_in(client, person)
        assert client.get(LIST).status_code == 404
        response = client.get(url)
        assert response.status_code == 404
        assert "达标者" not in response.content.decode()


def test_an_administrator_sees_the_whole_province(client, cast, platform_admin, tree):
    client = signed_in(client, platform_admin)

    refresh_due()  # the administrator came after the cast's refresh
    listed = names(client.get(LIST))
    assert {"达标者", "进行中", "未开始", "逾期者", "宁波甬江人", "陈志远"} <= set(listed)
    assert names(client.get(LIST, {"unit": tree.ningbo.pk})) == ["宁波甬江人"]


def many_people(tree: factories.Tree, count: int, *, start: int, by: Person) -> None:
    for number in range(start, start + count):
        person = factories.person_create(
            unit=tree.xihu_it_section if number % 2 else tree.binjiang_hr_bureau,
            real_name=f"人员{number:03d}",
            employee_number=f"Q-{number:04d}",
        )
        if number % 3:
            offline(person, "2", by=by, reason="讲座")
    refresh_due()


def queries_of(client: Any, url: str, params: dict[str, Any] | None = None) -> list[str]:
    client.get(url, params)  # the session's and caches' first reads are not the page's
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_list_reads_a_fixed_number_of_queries(
    client, tree, hangzhou_hr, django_assert_max_num_queries
):
    client = signed_in(client, hangzhou_hr)
    many_people(tree, 5, start=0, by=hangzhou_hr)
    few = queries_of(client, LIST)
    few_filtered = queries_of(client, LIST, {"status": "behind", "q": "人员", "unit_q": "区"})

    many_people(tree, 40, start=5, by=hangzhou_hr)
    many = queries_of(client, LIST)
    many_filtered = queries_of(client, LIST, {"status": "behind", "q": "人员", "unit_q": "区"})

    assert len(many) == len(few), "\n".join(many)
    assert len(many_filtered) == len(few_filtered), "\n".join(many_filtered)
    # Sign-in, scope, year and unit (10, the session's write included), the refresh record,
    # the units below (2), the count, the page, its units' labels; and the unit search (2).
    for params in ({}, {"status": "behind", "q": "人员", "unit_q": "区", "page": "2"}):
        with django_assert_max_num_queries(MAX_LIST_QUERIES):
            assert client.get(LIST, params).status_code == 200


# --- the person's record (学时档案) -----------------------------------------------------------


def record_of(client: Any, person: Person, **params: Any) -> str:
    response = client.get(f"/hr/people/{person.pk}/", params)
    assert response.status_code == 200, response.content[:500]
    return str(response.content.decode())


def test_the_record_lists_the_ledger_live(client, cast, hangzhou_hr):
    met = cast["met"]
    # Recorded after the last refresh: the record reads the ledger, not the stored figures.
    offline(met, "1.5", by=hangzhou_hr, reason="党史学习教育专题")
    client = signed_in(client, hangzhou_hr)

    page = record_of(client, met)
    ledger = CreditRecord.objects.filter(person=met, credit_year=YEAR)
    assert ledger.count() == 2
    for credit in ledger:
        assert credit.reason in page
        assert credit.reference in page
    table = re.search(r'id="dash-ledger-title".*?</section>', page, flags=re.DOTALL)
    assert table is not None
    assert table.group(0).count("王建国") == 2  # who entered each offline record
    assert table.group(0).count(f"<td>{_('Offline training')}</td>") == 2
    total = sum((credit.hours for credit in ledger), Decimal("0"))
    assert f'<td class="num">{total}</td>' in table.group(0)
    assert f"{total} <small>/ 10.0</small>" in page
    # The list still shows the refresh's figure until the next one.
    stored = PersonYear.objects.get(person=met, year=YEAR)
    assert stored.hours == Decimal("12.0")


def test_the_record_shows_enrolments_exams_and_certificates(client, cast, hangzhou_hr):
    late = cast["late"]
    course = factories.course_create(title="网络安全基础", hours="2.0", lessons=1)
    certificate = factories.certificate_for(factories.course_complete(person=late, course=course))
    category = factories.question_category(name="档案题库")
    exam = factories.exam_create(questions=[factories.question_single(category)])
    exam.title = "年度网络安全考试"
    exam.save(update_fields=["title"])
    attempt = exam_services.attempt_start(exam=exam, person=late)
    exam_services.answer_save(attempt=attempt, position=1, response="c")
    exam_services.attempt_submit(attempt=attempt)
    client = signed_in(client, hangzhou_hr)

    page = record_of(client, late)
    courses = re.search(r'id="dash-enrolments-title".*?</section>', page, flags=re.DOTALL)
    assert courses is not None
    assert "保密常识" in courses.group(0)
    assert f"{YEAR}年度必修" in courses.group(0)
    assert _("Overdue") in courses.group(0)
    assert "网络安全基础" in courses.group(0)
    exams = re.search(r'id="dash-exams-title".*?</section>', page, flags=re.DOTALL)
    assert exams is not None
    assert "年度网络安全考试" in exams.group(0)
    assert "1 / 1" in exams.group(0)
    assert _("Passed") in exams.group(0)
    assert f'<a href="/verify/{certificate.code}/">{certificate.serial}</a>' in page
    assert "0 <small>/ 1</small>" in page  # mandatory done of assigned
    assert "dashboards/print.css" in page
    assert "dashboards/print.js" in page
    assert "echarts" not in page


def test_the_record_of_another_year(client, cast, hangzhou_hr):
    met = cast["met"]
    offline(met, "4", by=hangzhou_hr, reason="去年的线下培训", on=date(YEAR - 1, 6, 1))
    refresh_due()  # a page offers the years that have been computed
    client = signed_in(client, hangzhou_hr)

    last_year = record_of(client, met, year=YEAR - 1)
    this_year = record_of(client, met)
    assert "去年的线下培训" in last_year
    assert "信息安全线下培训班" not in last_year
    assert "去年的线下培训" not in this_year
    assert f'<option value="{YEAR - 1}" selected>' in last_year
    response = client.get(f"/hr/people/{met.pk}/", {"year": "1999"})
    assert response.status_code == 400


def test_a_person_outside_the_scope_is_a_404_with_nothing_about_them(client, cast, xihu_hr):
    client = signed_in(client, xihu_hr)

    for person in (cast["ningbo"], cast["idle"]):
        response = client.get(f"/hr/people/{person.pk}/")
        assert response.status_code == 404
        body = response.content.decode()
        assert person.real_name not in body
        assert person.employee_number not in body
    assert client.get("/hr/people/99999999/").status_code == 404
    assert client.get(f"/hr/people/{cast['met'].pk}/").status_code == 200


def test_the_list_links_each_name_to_the_record_keeping_year_and_unit(
    client, cast, hangzhou_hr, tree
):
    client = signed_in(client, hangzhou_hr)

    page = client.get(LIST, {"unit": tree.xihu.pk}).content.decode()
    assert (
        f'href="/hr/people/{cast["met"].pk}/?unit={tree.xihu.pk}&amp;year={YEAR}">达标者</a>'
        in page
    )
    record = record_of(client, cast["met"], unit=tree.xihu.pk)
    assert f'href="/hr/people/?unit={tree.xihu.pk}&amp;year={YEAR}"' in record


def test_the_record_reads_a_fixed_number_of_queries(client, cast, hangzhou_hr):
    client = signed_in(client, hangzhou_hr)
    person = cast["late"]
    few = queries_of(client, f"/hr/people/{person.pk}/")

    for number in range(6):
        offline(person, "1", by=hangzhou_hr, reason=f"讲座{number}")
        course = factories.course_create(title=f"课程{number}", lessons=1)
        factories.certificate_for(factories.course_complete(person=person, course=course))
    many = queries_of(client, f"/hr/people/{person.pk}/")

    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= MAX_RECORD_QUERIES, "\n".join(many)


# --- the order of the list on PostgreSQL --------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "none"},
        {"rank": "clerk_1"},
        {"q": "达标"},
        {"q": "hz-"},
        {"q": "BJ-", "status": "none"},
        {"q": "宁波"},
        {"q": "%"},
    ],
)
def test_the_lists_reads_give_the_selectors_rows_in_its_order(cast, hangzhou_hr, filters):
    node = selectors.dashboard_node(scope_of(hangzhou_hr.user), None)

    expected = list(selectors.people_in(node, YEAR, filters).values_list("pk", flat=True))
    assert list(reads.people_rows(node, YEAR, filters).values_list("pk", flat=True)) == expected
    plain = selectors.people_in(node, YEAR).order_by("path", "employee_number")
    patterned = reads.in_index_order(selectors.people_in(node, YEAR))
    assert list(patterned.values_list("pk", flat=True)) == list(plain.values_list("pk", flat=True))


@pytest.mark.postgres
def test_postgresql_reads_the_first_page_in_index_order(cast, hangzhou_hr):
    node = selectors.dashboard_node(scope_of(hangzhou_hr.user), None)
    first_page = reads.in_index_order(selectors.people_in(node, YEAR))[:25]
    plain = selectors.people_in(node, YEAR)[:25]
    with connection.cursor() as cursor:
        # A handful of rows would be read by a scan anyway; this asks whether the index
        # can give the order at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        patterned_plan = first_page.explain()
        plain_plan = plain.explain()

    assert "person_year_by_path" in patterned_plan
    assert "Sort" not in patterned_plan, patterned_plan
    assert "Sort" in plain_plan, plain_plan
