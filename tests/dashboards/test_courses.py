"""The courses tab (/hr/courses/): each figure against its definition, the scope, the sort,
the query count, and the median computed by PostgreSQL against the portable one."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus
from courses.models import CoursePage, CreditRecord, CreditSource, Enrolment, EnrolmentStatus
from dashboards import courses as course_figures
from dashboards import refresh
from dashboards.selectors import Node, dashboard_node
from exams.models import Attempt, AttemptState, Exam
from org import services as org_services
from org.models import Person, Role
from org.selectors import scope_of
from tests import factories

YEAR = 2025
_serials = itertools.count(1)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute, second))


def enrol(
    person: Person, course: CoursePage, enrolled: datetime, completed: datetime | None = None
) -> Enrolment:
    enrolment = Enrolment.objects.create(person=person, course=course, source="elective")
    Enrolment.objects.filter(pk=enrolment.pk).update(
        enrolled_at=enrolled,
        completed_at=completed,
        status=EnrolmentStatus.COMPLETED if completed else EnrolmentStatus.ACTIVE,
    )
    return enrolment


def attempt(
    exam: Exam,
    person: Person,
    graded: datetime,
    score: str,
    max_score: str = "10",
    *,
    passed: bool = False,
    state: str = AttemptState.GRADED,
) -> Attempt:
    number = Attempt.objects.filter(exam=exam, person=person).count() + 1
    return Attempt.objects.create(
        exam=exam,
        person=person,
        number=number,
        state=state,
        started_at=graded - timedelta(minutes=30),
        deadline=graded + timedelta(minutes=30),
        finished_at=graded,
        graded_at=graded if state == AttemptState.GRADED else None,
        score=Decimal(score) if state == AttemptState.GRADED else None,
        max_score=Decimal(max_score),
        passed=passed if state == AttemptState.GRADED else None,
    )


def certificate(
    person: Person, course: CoursePage, issued: date, status: str = CertificateStatus.ISSUED
) -> Certificate:
    number = next(_serials)
    revoked = status == CertificateStatus.REVOKED
    return Certificate.objects.create(
        person=person,
        course=course,
        cycle=issued.year,
        status=status,
        serial=f"TEST-{number:06d}",
        code=f"code{number:028d}",
        holder_name=person.real_name,
        course_title=course.title,
        credit_hours=course.credit_hours,
        issuer="浙江省公务员培训中心",
        issued_on=issued,
        pdf="certificates/test.pdf",
        revoked_at=timezone.now() if revoked else None,
        revoke_reason="测试撤销" if revoked else "",
    )


def node_of(person: Person, unit_id: int | None = None) -> Node:
    return dashboard_node(scope_of(person.user), unit_id)


@pytest.fixture
def ningbo_hr(tree: factories.Tree) -> Person:
    person = factories.person_create(unit=tree.ningbo, real_name="宁波人事", username="nbhr")
    org_services.role_grant(person=person, role=Role.HR_OFFICER, org_unit=tree.ningbo)
    return person


@pytest.fixture
def year_of_courses(tree: factories.Tree) -> dict[str, Any]:
    """Enrolments, attempts and certificates on both sides of the year's edges (Shanghai),
    inside Hangzhou (Xihu and Binjiang), in Ningbo, and of a person who has left."""

    def person(unit: Any, name: str) -> Person:
        return factories.person_create(unit=unit, real_name=name, password=None)

    xihu_a = person(tree.xihu_it_section, "西湖甲")
    xihu_b = person(tree.xihu_data_bureau, "西湖乙")
    xihu_c = person(tree.xihu_it_section, "西湖丙")
    xihu_d = person(tree.xihu_it_section, "西湖丁")
    binjiang_a = person(tree.binjiang_hr_bureau, "滨江甲")
    binjiang_b = person(tree.binjiang_hr_bureau, "滨江乙")
    ningbo_a = person(tree.ningbo_data_bureau, "宁波甲")
    left = person(tree.xihu_it_section, "已离职者")
    org_services.person_deactivate(person=left)

    main = factories.course_create(title="杭州数据治理", lessons=1)
    ningbo_only = factories.course_create(title="宁波专属课程", lessons=1)
    long_ago = factories.course_create(title="往年课程", lessons=1)
    started = factories.course_create(title="刚开始的课程", lessons=1)

    # main: enrolled counts xihu_a, binjiang_a, binjiang_b, xihu_c; completed xihu_a, binjiang_a.
    enrol(xihu_a, main, local(2024, 12, 1), local(2025, 1, 11))  # 41 days
    enrol(xihu_b, main, local(2024, 6, 1), local(2024, 12, 31, 23, 59, 59))  # done before
    enrol(binjiang_a, main, local(2025, 3, 1), local(2025, 3, 5, 6))  # 4.25 days
    enrol(binjiang_b, main, local(2025, 12, 31, 23, 59, 59))  # the year's last second
    enrol(xihu_d, main, local(2026, 1, 1))  # after the year
    enrol(xihu_c, main, local(2025, 5, 1), local(2026, 1, 1))  # completed after the year
    enrol(ningbo_a, main, local(2025, 2, 1), local(2025, 2, 2))
    enrol(left, main, local(2025, 2, 1), local(2025, 2, 2))
    enrol(ningbo_a, ningbo_only, local(2025, 2, 1), local(2025, 2, 3))
    enrol(xihu_a, long_ago, local(2023, 2, 1), local(2023, 3, 1))
    enrol(xihu_b, started, local(2025, 6, 1))

    first = factories.exam_create(questions=[], course=main)
    second = factories.exam_create(questions=[], course=main)
    unrelated = factories.exam_create(questions=[])
    attempt(first, xihu_a, local(2025, 2, 1, 10), "4")
    attempt(first, xihu_a, local(2025, 3, 1, 10), "8", passed=True)  # best 80 %
    attempt(second, binjiang_a, local(2025, 4, 1, 10), "3", "5")  # 60 %
    attempt(first, binjiang_a, local(2024, 12, 31, 23, 30), "10", passed=True)  # last year
    attempt(first, binjiang_b, local(2025, 6, 1, 10), "0", state=AttemptState.SUBMITTED)
    attempt(first, xihu_c, local(2026, 1, 1, 0, 0, 1), "10", passed=True)  # next year
    attempt(first, ningbo_a, local(2025, 6, 1, 10), "10", passed=True)
    attempt(first, left, local(2025, 6, 1, 10), "10", passed=True)
    attempt(unrelated, xihu_a, local(2025, 6, 1, 10), "10", passed=True)

    certificate(xihu_a, main, date(2025, 1, 12))
    certificate(binjiang_a, main, date(2025, 3, 6), CertificateStatus.REVOKED)
    certificate(xihu_b, main, date(2024, 12, 31))
    certificate(ningbo_a, main, date(2025, 2, 3))
    # The dashboards offer the years from the first with credit records.
    CreditRecord.objects.create(
        person=xihu_a,
        credit_year=YEAR,
        hours=Decimal("1.0"),
        source=CreditSource.OFFLINE,
        reason="线下培训",
        awarded_at=local(YEAR, 1, 11, 12),
        entered_by=xihu_a,
    )
    refresh.refresh_due()  # the pages offer the computed years
    return {"main": main, "ningbo_only": ningbo_only, "long_ago": long_ago, "started": started}


def by_title(rows: list[course_figures.CourseRow]) -> dict[str, course_figures.CourseRow]:
    return {row.course.title: row for row in rows}


def test_each_figure_follows_its_definition(tree, hangzhou_hr, year_of_courses):
    rows = by_title(course_figures.course_rows(node_of(hangzhou_hr), YEAR))

    assert set(rows) == {"杭州数据治理", "刚开始的课程"}  # nothing of Ningbo's, nor of 2023
    main = rows["杭州数据治理"]
    assert (main.enrolled, main.completed, main.completion_rate) == (4, 2, Decimal("50.0"))
    assert main.median_days == Decimal("22.6")  # (41 + 4.25) / 2
    assert (main.exam_takers, main.exam_passed, main.pass_rate) == (2, 1, Decimal("50.0"))
    assert main.mean_score == Decimal("70.0")  # best of each: 80 % and 60 %
    assert main.certificates == 1

    started = rows["刚开始的课程"]
    assert (started.enrolled, started.completed, started.completion_rate) == (1, 0, Decimal("0.0"))
    assert started.median_days is None
    assert (started.exam_takers, started.pass_rate, started.mean_score) == (0, None, None)
    assert started.certificates == 0


def test_a_unit_below_counts_its_own_people_only(tree, hangzhou_hr, year_of_courses):
    rows = by_title(course_figures.course_rows(node_of(hangzhou_hr, tree.xihu.pk), YEAR))

    main = rows["杭州数据治理"]
    assert (main.enrolled, main.completed, main.median_days) == (2, 1, Decimal("41.0"))
    assert (main.exam_takers, main.exam_passed, main.mean_score) == (1, 1, Decimal("80.0"))
    assert main.certificates == 1


def test_the_other_year_has_its_own_figures(tree, hangzhou_hr, year_of_courses):
    rows = by_title(course_figures.course_rows(node_of(hangzhou_hr), 2026))

    # xihu_c completed on 1 January, xihu_d enrolled then; binjiang_b is still studying.
    main = rows["杭州数据治理"]
    assert (main.enrolled, main.completed) == (3, 1)
    assert (main.exam_takers, main.exam_passed) == (1, 1)
    assert "往年课程" not in rows


def test_the_page_shows_the_table_and_how_it_is_counted(client, tree, hangzhou_hr, year_of_courses):
    client.force_login(hangzhou_hr.user)

    response = client.get("/hr/courses/", {"year": YEAR})

    assert response.status_code == 200
    page = response.content.decode()
    assert "杭州数据治理" in page and "22.6" in page and "70.0%" in page
    assert 'aria-current="page"' in page
    assert page.count("<dt>") >= 9  # one sentence per figure


def test_the_table_sorts_by_any_column_and_falls_back_to_the_default(
    client, tree, hangzhou_hr, year_of_courses
):
    client.force_login(hangzhou_hr.user)

    def titles(sort: str) -> list[str]:
        response = client.get("/hr/courses/", {"year": YEAR, "sort": sort})
        assert response.status_code == 200
        return [row.course.title for row in response.context["rows"]]

    assert titles("-enrolled") == ["杭州数据治理", "刚开始的课程"]
    assert titles("enrolled") == ["刚开始的课程", "杭州数据治理"]
    assert titles("-median") == ["杭州数据治理", "刚开始的课程"]  # no median: last
    assert titles("median") == ["杭州数据治理", "刚开始的课程"]
    assert titles("completion") == ["刚开始的课程", "杭州数据治理"]
    for unknown in ("bogus", "-", "--enrolled", "__class__"):
        assert titles(unknown) == ["杭州数据治理", "刚开始的课程"], unknown
    response = client.get("/hr/courses/", {"year": YEAR, "sort": "bogus"})
    assert response.context["sort_key"] == "enrolled" and response.context["descending"]
    assert 'aria-sort="descending"' in response.content.decode()


def test_a_ningbo_officer_sees_ningbos_courses_only(client, tree, ningbo_hr, year_of_courses):
    client.force_login(ningbo_hr.user)

    page = client.get("/hr/courses/", {"year": YEAR}).content.decode()

    assert "宁波专属课程" in page and "杭州数据治理" in page
    rows = by_title(course_figures.course_rows(node_of(ningbo_hr), YEAR))
    assert rows["杭州数据治理"].enrolled == 1 and rows["杭州数据治理"].certificates == 1
    assert "刚开始的课程" not in page


def test_a_unit_outside_the_scope_is_404_with_nothing_in_the_body(
    client, tree, hangzhou_hr, year_of_courses
):
    client.force_login(hangzhou_hr.user)

    for unit in (tree.ningbo.pk, tree.province.pk, "abc", "0", "99999999"):
        response = client.get("/hr/courses/", {"year": YEAR, "unit": unit})
        assert response.status_code == 404, unit
        assert "宁波" not in response.content.decode()


def test_a_year_without_data_is_a_400_and_learners_get_404(client, tree, hangzhou_hr, learner):
    client.force_login(hangzhou_hr.user)
    assert client.get("/hr/courses/", {"year": "1999"}).status_code == 400
    assert client.get("/hr/courses/", {"year": "twenty"}).status_code == 400

    client.force_login(learner.user)
    assert client.get("/hr/courses/").status_code == 404


def test_the_page_costs_the_same_queries_for_one_course_or_many(
    client, tree, hangzhou_hr, django_assert_max_num_queries
):
    client.force_login(hangzhou_hr.user)
    now = timezone.now()

    def add_courses(count: int) -> None:
        for _index in range(count):
            course = factories.course_create(lessons=1)
            exam = factories.exam_create(questions=[], course=course)
            for _number in range(3):
                person = factories.person_create(unit=tree.xihu_it_section, password=None)
                enrol(person, course, now - timedelta(days=9), now - timedelta(days=2))
                attempt(exam, person, now - timedelta(days=1), "7", passed=True)
                certificate(person, course, timezone.localdate())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/hr/courses/").status_code == 200
        return len(captured)

    add_courses(1)
    client.get("/hr/courses/")  # warm the site-root and session caches
    few = queries()
    add_courses(6)
    many = queries()
    assert len(client.get("/hr/courses/").context["rows"]) == 7
    assert many == few
    # Of these, the table's own: 5 on SQLite, 4 on PostgreSQL (the median is in the grouped
    # query); the rest are sign-in, session, the years, the node and the site of the links.
    with django_assert_max_num_queries(15):
        client.get("/hr/courses/")


@pytest.mark.postgres
def test_postgresql_and_the_portable_path_give_the_same_medians(tree, hangzhou_hr, monkeypatch):
    spans: list[
        list[float]
    ] = [  # days from enrolment to completion, odd and even counts, fractions
        [1.5],
        [2, 9],
        [0.25, 3, 3, 40.75],
        [7, 1, 365.5],
        [10.125, 0.5, 2.75, 11, 5],
    ]
    for index, days in enumerate(spans):
        course = factories.course_create(title=f"中位数课程{index}", lessons=1)
        for offset, span in enumerate(days):
            person = factories.person_create(unit=tree.binjiang_hr_bureau, password=None)
            begun = local(YEAR, 1 + index, 1 + offset, 9)
            enrol(person, course, begun, begun + timedelta(days=span))
    node = node_of(hangzhou_hr)

    assert course_figures.median_in_database()
    in_database = by_title(course_figures.course_rows(node, YEAR))
    monkeypatch.setattr(course_figures, "median_in_database", lambda: False)
    in_python = by_title(course_figures.course_rows(node, YEAR))

    assert {t: r.median_days for t, r in in_database.items()} == {
        t: r.median_days for t, r in in_python.items()
    }
    assert in_python["中位数课程2"].median_days == Decimal("3.0")
    assert in_python["中位数课程1"].median_days == Decimal("5.5")
