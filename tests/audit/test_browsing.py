"""The /audit/ page: administrators browse and filter everything, an HR officer sees the
records about people in their scope, anybody else gets a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.services import audit_record
from org import services
from org.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/audit/"


@pytest.fixture
def ningbo_person(tree):
    return factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波甲")


@pytest.fixture
def hangzhou_person(tree):
    return factories.person_create(unit=tree.xihu_it_section, real_name="杭州乙")


def about(person, action="export", note=""):
    return audit_record(
        action=action,
        obj=person,
        subject_person_id=person.pk,
        subject_path=person.org_unit.path,
        note=note,
    )


def test_an_administrator_sees_every_record_newest_first(client, platform_admin, ningbo_person):
    audit_record(action="export", note="第一条导出")
    audit_record(action="export", note="第二条导出")
    client.force_login(platform_admin.user)
    body = client.get(URL).content.decode()
    assert body.index("第二条导出") < body.index("第一条导出")
    assert "宁波甲" in body  # the person.create record of the fixture


def test_an_administrator_filters_by_action_actor_text_and_dates(
    client, platform_admin, ningbo_person, hangzhou_person
):
    about(ningbo_person, note="导出名单甲")
    about(hangzhou_person, action="credit.offline", note="线下学时乙")
    client.force_login(platform_admin.user)

    body = client.get(URL, {"action": "credit.offline"}).content.decode()
    assert "线下学时乙" in body and "导出名单甲" not in body

    body = client.get(URL, {"q": "名单甲"}).content.decode()
    assert "导出名单甲" in body and "线下学时乙" not in body

    body = client.get(URL, {"actor": "padmin"}).content.decode()
    assert "导出名单甲" not in body  # written outside a request: nobody's

    today = timezone.localdate()
    body = client.get(URL, {"since": today, "until": today}).content.decode()
    assert "导出名单甲" in body
    yesterday = today - timedelta(days=1)
    body = client.get(URL, {"until": yesterday}).content.decode()
    assert "导出名单甲" not in body

    body = client.get(URL, {"person": ningbo_person.pk}).content.decode()
    assert "导出名单甲" in body and "线下学时乙" not in body


def test_bad_filters_are_a_400_with_a_message(client, platform_admin):
    client.force_login(platform_admin.user)
    response = client.get(URL, {"since": "2026-13-40"})
    assert response.status_code == 400
    response = client.get(URL, {"since": "2026-03-02", "until": "2026-03-01"})
    assert response.status_code == 400
    assert "开始日期晚于结束日期" in response.content.decode()
    assert client.get(URL, {"person": "1180591620717411303424"}).status_code == 400
    assert client.get(URL, {"q": "1.2.3.4"}).status_code == 200
    assert client.get(URL, {"q": "x" * 101}).status_code == 400
    for day in ("0001-01-01", "9999-12-31"):
        response = client.get(URL, {"since": day, "until": day})
        assert response.status_code == 400
        assert "请选择 2000 年至 2100 年之间的日期" in response.content.decode()


def test_the_page_costs_the_same_queries_whatever_its_length(
    client, platform_admin, ningbo_person, django_assert_max_num_queries
):
    for index in range(60):
        about(ningbo_person, note=f"导出{index}")
    client.force_login(platform_admin.user)
    client.get(URL)  # sessions and the first-request caches warm
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"page": "2"})
    assert response.status_code == 200


def test_an_hr_officer_sees_only_records_about_people_in_scope(
    client, tree, hangzhou_hr, ningbo_person, hangzhou_person
):
    about(ningbo_person, note="宁波的导出")
    about(hangzhou_person, note="杭州的导出")
    audit_record(action="export", note="无人的导出")
    client.force_login(hangzhou_hr.user)

    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "杭州的导出" in body
    assert "宁波的导出" not in body and "宁波甲" not in body
    assert "无人的导出" not in body

    # Filters naming a person or unit of another city: 404, and nothing of them in the body.
    for query in ({"person": ningbo_person.pk}, {"unit": tree.ningbo_data_bureau.pk}):
        response = client.get(URL, query)
        assert response.status_code == 404
        assert "宁波" not in response.content.decode()
    # A text filter can only narrow the scope, never widen it.
    body = client.get(URL, {"q": "宁波的"}).content.decode()
    assert "宁波的导出" not in body
    assert client.get(URL, {"person": hangzhou_person.pk}).status_code == 200


def test_learners_and_trainers_get_a_404(client, tree, learner):
    client.force_login(learner.user)
    assert client.get(URL).status_code == 404
    trainer = factories.person_create(unit=tree.xihu_it_section, username="trainer")
    services.role_grant(person=trainer, role=Role.TRAINER)
    client.force_login(trainer.user)
    assert client.get(URL).status_code == 404


def test_the_page_speaks_chinese_and_english(client, platform_admin):
    client.force_login(platform_admin.user)
    assert "审计日志" in client.get(URL).content.decode()
    assert "Audit trail" in client.get("/en" + URL).content.decode()


def test_objects_are_named_by_their_kind_in_the_readers_language(
    client, platform_admin, hangzhou_person
):
    about(hangzhou_person, note="按类型显示")
    client.force_login(platform_admin.user)
    body = client.get(URL, {"q": "按类型显示"}).content.decode()
    assert f"人员 {hangzhou_person.pk}" in body
    assert "org.person" not in body


def test_a_record_of_a_model_that_no_longer_exists_keeps_its_stored_kind(platform_admin):
    record = audit_record(action="export", note="旧模型")
    record.object_type = "gone.model"
    assert record.object_kind == "gone.model"
