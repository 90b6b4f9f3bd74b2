"""What the trail records: sign-in and sign-out, roles, people, offline credits, certificate
revocation and re-issue, and administrators' changes in the Django and Wagtail admins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from wagtail.log_actions import log
from wagtail.models import Page

from audit.models import AuditRecord
from certificates import services as certificate_services
from courses import services as courses_services
from org import services
from org.models import Person, Role
from tests import factories

pytestmark = pytest.mark.django_db


def only(action: str) -> AuditRecord:
    return AuditRecord.objects.get(action=action)


def sign_in(client, username: str, password: str):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3"
    )


def test_a_sign_in_is_recorded_with_who_and_from_where(client, learner):
    assert sign_in(client, "learner", factories.PASSWORD).status_code == 302
    record = only("auth.login")
    assert (record.actor_user_id, record.actor_label) == (learner.user_id, "learner")
    assert record.ip == "10.1.2.3"
    assert (record.object_type, record.object_id) == ("auth.user", str(learner.user_id))


def test_a_failed_sign_in_records_the_username_tried_and_never_the_password(client, learner):
    assert sign_in(client, "learner", "Wrong-Password-2026").status_code == 200
    record = only("auth.login_failed")
    assert record.after == {"username": "learner"}
    assert record.ip == "10.1.2.3"
    row = str(AuditRecord.objects.filter(pk=record.pk).values().get())
    assert "Wrong-Password-2026" not in row


def test_a_lockout_is_recorded(client, learner):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "learner", "Wrong-Password-2026")
    record = AuditRecord.objects.filter(action="auth.lockout").first()
    assert record is not None
    assert record.after == {"username": "learner", "ip_address": "10.1.2.3"}
    assert record.ip == "10.1.2.3"


def test_a_sign_out_is_recorded(client, learner):
    client.force_login(learner.user)
    assert client.post("/accounts/logout/", REMOTE_ADDR="10.1.2.3").status_code == 302
    record = only("auth.logout")
    assert (record.actor_user_id, record.actor_label, record.ip) == (
        learner.user_id,
        "learner",
        "10.1.2.3",
    )


def test_a_role_grant_and_revocation_are_recorded_under_the_person(tree, learner):
    services.role_grant(person=learner, role=Role.HR_OFFICER, org_unit=tree.xihu)
    services.role_grant(person=learner, role=Role.HR_OFFICER, org_unit=tree.xihu)  # no change
    services.role_revoke(person=learner, role=Role.HR_OFFICER, org_unit=tree.xihu)
    services.role_revoke(person=learner, role=Role.HR_OFFICER, org_unit=tree.xihu)  # no change

    grant, revoke = only("role.grant"), only("role.revoke")
    assert grant.after == {
        "role": "hr_officer",
        "org_unit": tree.xihu.pk,
        "org_unit_name": "西湖区",
    }
    assert revoke.before == grant.after
    for record in (grant, revoke):
        assert record.subject_person_id == learner.pk
        assert record.subject_path == tree.xihu_it_section.path


def test_creating_and_deactivating_a_person_are_recorded(tree):
    person = factories.person_create(unit=tree.ningbo_data_bureau, real_name="李娜")
    created = only("person.create")
    assert (created.object_type, created.object_id) == ("org.person", str(person.pk))
    assert created.subject_path == tree.ningbo_data_bureau.path
    assert created.after is not None
    assert created.after["real_name"] == "李娜"
    assert "password" not in str(created.after)

    services.person_deactivate(person=person)
    gone = only("person.deactivate")
    assert (gone.before, gone.after) == ({"is_active": True}, {"is_active": False})
    assert (gone.subject_person_id, gone.subject_path) == (person.pk, tree.ningbo_data_bureau.path)


def test_an_offline_credit_is_recorded(learner, xihu_hr):
    record = courses_services.credit_record_offline(
        person=learner,
        hours=Decimal("4.5"),
        reason="线下专题培训",
        awarded_on=date(2026, 3, 2),
        entered_by=xihu_hr,
    )
    audit = only("credit.offline")
    assert (audit.object_type, audit.object_id) == ("courses.creditrecord", str(record.pk))
    assert audit.subject_person_id == learner.pk
    assert audit.after is not None
    assert audit.after["hours"] == "4.5"
    assert audit.after["awarded_on"] == "2026-03-02"
    assert audit.after["entered_by"] == xihu_hr.employee_number


@pytest.fixture
def certificate(learner, media_root):
    course = factories.course_create(title="网络安全法解读", hours="3.0", lessons=1)
    enrolment = factories.course_complete(person=learner, course=course)
    return factories.certificate_for(enrolment)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_revoking_and_reissuing_a_certificate_are_recorded(tree, learner, xihu_hr, certificate):
    old_serial = certificate.serial
    new = certificate_services.certificate_reissue(
        certificate=certificate, by=xihu_hr, reason="姓名更正"
    )
    reissue = only("certificate.reissue")
    assert reissue.before is not None and reissue.after is not None
    assert reissue.before["serial"] == old_serial
    assert reissue.after["serial"] == new.serial
    assert reissue.subject_path == tree.xihu_it_section.path

    certificate_services.certificate_revoke(certificate=new, by=xihu_hr, reason="学时记录有误")
    revoke = only("certificate.revoke")
    assert (revoke.object_type, revoke.object_id) == ("certificates.certificate", str(new.pk))
    assert revoke.after == {"status": "revoked", "reason": "学时记录有误"}
    assert (revoke.subject_person_id, revoke.subject_path) == (
        learner.pk,
        tree.xihu_it_section.path,
    )


def person_form(person: Person, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "user": person.user_id,
        "real_name": person.real_name,
        "employee_number": person.employee_number,
        "org_unit": person.org_unit_id,
        "rank": person.rank,
        "position": person.position,
        "is_active": "on" if person.is_active else "",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_a_person_moved_in_the_django_admin_is_recorded_as_a_move(
    client, tree, learner, platform_admin
):
    client.force_login(platform_admin.user)
    response = client.post(
        f"/django-admin/org/person/{learner.pk}/change/",
        person_form(learner, org_unit=tree.ningbo_data_bureau.pk, position="副科长"),
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    move = only("person.move")
    assert move.before == {
        "org_unit": tree.xihu_it_section.pk,
        "org_unit_name": "信息化科",
        "org_unit_path": tree.xihu_it_section.path,
        "position": "科员",
    }
    assert move.after == {
        "org_unit": tree.ningbo_data_bureau.pk,
        "org_unit_name": "宁波市大数据发展管理局",
        "org_unit_path": tree.ningbo_data_bureau.path,
        "position": "副科长",
    }
    assert (move.actor_label, move.ip) == ("padmin", "10.9.9.9")
    assert (move.subject_person_id, move.subject_path) == (learner.pk, tree.ningbo_data_bureau.path)


def test_a_role_added_inline_and_a_change_without_a_move_are_recorded(
    client, tree, learner, platform_admin
):
    client.force_login(platform_admin.user)
    data = person_form(
        learner,
        position="科长",
        **{
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-0-role": "trainer",
            "role_assignments-0-org_unit": "",
            "role_assignments-0-person": learner.pk,
        },
    )
    response = client.post(f"/django-admin/org/person/{learner.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = only("admin.change")
    assert (change.before, change.after) == ({"position": "科员"}, {"position": "科长"})
    added = only("admin.add")
    assert added.object_type == "org.roleassignment"
    assert added.after is not None and added.after["role"] == "trainer"
    assert added.subject_person_id == learner.pk


def test_a_deletion_in_the_django_admin_is_recorded_with_the_values_before(
    client, tree, platform_admin
):
    person = factories.person_create(unit=tree.ningbo_data_bureau, real_name="临时人员")
    client.force_login(platform_admin.user)
    response = client.post(f"/django-admin/org/person/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=person.pk).exists()
    deleted = only("admin.delete")
    assert deleted.object_id == str(person.pk)
    assert deleted.before is not None and deleted.before["real_name"] == "临时人员"
    assert deleted.after is None


def test_wagtail_admin_log_entries_are_copied_into_the_trail(platform_admin):
    page = Page.objects.get(depth=2)
    log(instance=page, action="wagtail.publish", user=platform_admin.user)
    record = only("admin.wagtail")
    assert record.note == "wagtail.publish"
    assert (record.actor_user_id, record.actor_label) == (platform_admin.user_id, "padmin")
    assert record.object_id == str(page.pk)
    assert record.object_label == page.get_admin_display_title()


def test_a_unit_dragged_to_another_place_in_the_tree_admin_is_recorded(
    client, tree, platform_admin
):
    old_path = tree.binjiang_hr_bureau.path
    client.force_login(platform_admin.user)
    response = client.post(
        "/django-admin/org/orgunit/move/",
        {"node_id": tree.binjiang_hr_bureau.pk, "sibling_id": tree.xihu.pk, "as_child": 1},
    )
    assert response.status_code == 200
    tree.binjiang_hr_bureau.refresh_from_db()
    assert tree.binjiang_hr_bureau.path.startswith(tree.xihu.path)
    record = only("admin.change")
    assert record.object_id == str(tree.binjiang_hr_bureau.pk)
    assert (record.before, record.after) == (
        {"path": old_path},
        {"path": tree.binjiang_hr_bureau.path},
    )
