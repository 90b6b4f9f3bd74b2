"""The HR forms as officers meet them: paths on units, names before recording, clear errors,
and the worst input refused whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from courses.models import CreditRecord, TrainingPlan
from tests import factories


@pytest.fixture
def officer(client, hangzhou_hr):
    client.force_login(hangzhou_hr.user)
    return client


@pytest.fixture
def offices(tree):
    """Three units named 办公室, as in the real tree."""
    return [
        factories.unit_create(parent=parent, name="办公室", kind="unit")
        for parent in (tree.xihu_data_bureau, tree.binjiang_hr_bureau, tree.ningbo_data_bureau)
    ]


def test_the_unit_list_names_each_unit_with_its_path_and_only_in_scope(officer, offices):
    page = officer.get("/hr/plans/").content.decode()

    assert "杭州市 / 西湖区 / 西湖区数据资源管理局 / 办公室" in page
    assert "杭州市 / 滨江区 / 滨江区人力资源和社会保障局 / 办公室" in page
    assert "宁波" not in page
    # Checkboxes sit inside their labels, in a list of columns.
    assert '<ul class="choices">' in page and '<ul class="choices wide">' in page
    assert '<label class="check" for="id_ranks_0"><input type="checkbox"' in page


def test_errors_are_summarised_at_the_top_linking_to_their_fields(officer, tree):
    response = officer.post(
        "/hr/plans/",
        {"name": "", "org_unit": tree.hangzhou.pk, "credit_year": "2026", "due_date": "2027-01-05"},
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert 'class="error-summary" role="alert"' in page
    assert 'href="#id_name"' in page and 'href="#id_courses"' in page
    assert 'aria-describedby="id_name_error"' in page and 'aria-invalid="true"' in page
    assert 'id="id_due_date_error"' in page  # the due date outside the credit year
    assert not TrainingPlan.objects.exists()


def test_the_offline_form_shows_the_persons_name_before_recording(officer, tree, learner):
    found = officer.get("/hr/offline-credit/", {"employee_number": learner.employee_number})
    page = found.content.decode()
    assert found.status_code == 200
    assert "张晓明" in page and "杭州市 / 西湖区 / 西湖区数据资源管理局 / 信息化科" in page
    assert f'type="hidden" name="employee_number" value="{learner.employee_number}"' in page

    recorded = officer.post(
        "/hr/offline-credit/",
        {
            "employee_number": learner.employee_number,
            "hours": "3.5",
            "awarded_on": "2026-05-20",
            "reason": "党校专题培训",
        },
        follow=True,
    )
    assert recorded.redirect_chain[-1][1] == 302
    listing = recorded.content.decode()
    assert "党校专题培训" in listing and "张晓明" in listing  # the list of records entered


def test_a_number_outside_the_scope_looks_like_nobody(officer, tree):
    outsider = factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波人")

    for number in (outsider.employee_number, "NOSUCH01"):
        response = officer.get("/hr/offline-credit/", {"employee_number": number})
        page = response.content.decode()
        assert response.status_code == 404
        assert "宁波人" not in page and "宁波" not in page
        assert "范围内没有" in page or "Nobody with this employee number" in page


def test_recent_records_are_scoped_and_paginated(officer, tree, learner, hangzhou_hr, xihu_hr):
    from courses import services

    outsider = factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波人")
    services.credit_record_offline(
        person=outsider,
        hours=Decimal(1),
        reason="宁波的培训",
        awarded_on=date(2026, 3, 1),
        entered_by=outsider,
    )
    for day in range(1, 26):
        services.credit_record_offline(
            person=learner,
            hours=Decimal(1),
            reason=f"专题{day}",
            awarded_on=date(2026, 3, day),
            entered_by=xihu_hr,
        )
    first = officer.get("/hr/offline-credit/").content.decode()
    second = officer.get("/hr/offline-credit/?page=2").content.decode()
    assert "专题25" in first and "专题1<" not in first and "专题1<" in second
    assert "宁波的培训" not in first + second
    assert officer.get("/hr/offline-credit/?page=x").status_code == 200


WORST = [
    ("hours", "-3"),
    ("hours", "0"),
    ("hours", "1e400"),
    ("hours", "NaN"),
    ("hours", "99999999999999999999"),
    ("hours", "250"),
    ("hours", "1.25"),
    ("awarded_on", "0001-01-01"),
    ("awarded_on", "9999-12-31"),
    ("awarded_on", "2026-02-30"),
    ("awarded_on", "１９９９-01-01"),
    ("reason", "x" * 100_000),
    ("reason", '=HYPERLINK("http://evil")'),
    ("reason", "+cmd|' /C calc'!A0"),
    ("reason", "@SUM(1)"),
    ("reason", "ÕÅÈý\ufffd培训"),
    ("reason", "   "),
    ("reference", "r" * 5000),
    ("employee_number", "e" * 10_000),
]


@pytest.mark.parametrize(
    ("field", "value"), WORST, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(WORST)]
)
def test_the_worst_input_to_the_offline_form_is_a_form_error_and_nothing_is_stored(
    officer, learner, field, value
):
    data = {
        "employee_number": learner.employee_number,
        "hours": "2",
        "awarded_on": "2026-05-20",
        "reason": "党校培训",
        "reference": "",
        field: value,
    }
    response = officer.post("/hr/offline-credit/", data)
    assert response.status_code in (200, 400, 404)
    assert not CreditRecord.objects.exists()
    if response.status_code == 200:
        assert 'class="error-summary"' in response.content.decode()


def test_markup_is_stored_as_text_and_shown_escaped(officer, learner):
    officer.post(
        "/hr/offline-credit/",
        {
            "employee_number": learner.employee_number,
            "hours": "2",
            "awarded_on": "2026-05-20",
            "reason": "<script>alert(1)</script>培训",
        },
    )
    page = officer.get("/hr/offline-credit/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;培训" in page


PLAN_WORST = [
    ("name", "n" * 100_000),
    ("name", "=1+1"),
    ("name", "<b>计划</b>\x07"),
    ("credit_year", "-2026"),
    ("credit_year", "99999999999999999999999"),
    ("credit_year", "1999"),
    ("due_date", "0000-01-01"),
    ("due_date", "2026-13-01"),
    ("due_date", "2030-01-01"),
    ("org_unit", "99999999999999999999999"),
    ("org_unit", "abc"),
    ("ranks", "general"),
    ("courses", "-1"),
]


@pytest.mark.parametrize(
    ("field", "value"), PLAN_WORST, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(PLAN_WORST)]
)
def test_the_worst_input_to_the_plan_form_is_a_form_error_and_nothing_is_stored(
    officer, tree, field, value
):
    course = factories.course_create()
    data = {
        "name": "年度计划",
        "org_unit": tree.hangzhou.pk,
        "courses": [course.pk],
        "credit_year": "2026",
        "due_date": "2026-12-31",
        field: value,
    }
    response = officer.post("/hr/plans/", data)
    assert response.status_code in (200, 400)
    assert not TrainingPlan.objects.exists()


def test_a_plan_whose_courses_are_gone_says_so(officer, tree, hangzhou_hr):
    from courses import services

    plan = services.training_plan_create(
        created_by=hangzhou_hr,
        name="空计划",
        org_unit=tree.hangzhou,
        credit_year=2026,
        due_date=date(2026, 12, 31),
        courses=[factories.course_create()],
    )
    plan.courses.clear()
    response = officer.get(f"/hr/plans/{plan.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "尚未包含课程" in page or "This plan has no courses." in page


def test_a_person_at_the_root_of_the_scope_is_shown_with_a_short_path(officer, hangzhou_hr):
    response = officer.get("/hr/offline-credit/", {"employee_number": hangzhou_hr.employee_number})
    assert response.status_code == 200
    assert "<dd>杭州市</dd>" in response.content.decode()
