"""Rules of the organisation tree, people and roles, enforced by services and the database."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from org import selectors, services
from org.models import OrgUnit, OrgUnitKind, RoleAssignment
from tests import factories


def test_a_county_cannot_sit_directly_under_the_province(tree):
    with pytest.raises(ValidationError, match="不能设在"):
        factories.unit_create(parent=tree.province, name="某县", kind=OrgUnitKind.COUNTY)


def test_only_a_province_can_be_a_root(db):
    with pytest.raises(ValidationError, match="只有省级机构"):
        factories.unit_create(parent=None, name="杭州市", kind=OrgUnitKind.CITY)


def test_an_administrative_division_code_has_six_digits(tree):
    with pytest.raises(ValidationError, match="六位数字"):
        factories.unit_create(
            parent=tree.province, name="错误市", kind=OrgUnitKind.CITY, division_code="3301"
        )
    assert not OrgUnit.objects.filter(name="错误市").exists()


def test_children_get_paths_under_their_parent(tree):
    assert tree.xihu.path.startswith(tree.hangzhou.path)
    assert tree.xihu_it_section.get_ancestors().count() == 4
    assert [unit.name for unit in selectors.org_unit_ancestry(tree.xihu_it_section)] == [
        "浙江省",
        "杭州市",
        "西湖区",
        "西湖区数据资源管理局",
        "信息化科",
    ]


def test_a_weak_password_is_refused_and_nothing_is_created(tree):
    with pytest.raises(ValidationError):
        factories.person_create(unit=tree.xihu, username="weak", password="12345678")
    assert not tree.xihu.people.exists()


def test_employee_numbers_are_unique(tree):
    factories.person_create(unit=tree.xihu, employee_number="ZJ0001")
    with pytest.raises(ValidationError) as refused:
        factories.person_create(unit=tree.binjiang, employee_number="ZJ0001")
    assert "employee_number" in refused.value.message_dict
    assert tree.binjiang.people.count() == 0


def test_the_database_refuses_an_hr_officer_without_a_unit(learner):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(person=learner, role="hr_officer", org_unit=None)


def test_the_service_explains_an_hr_officer_needs_a_unit(learner):
    with pytest.raises(ValidationError, match="必须指定所负责的组织机构"):
        services.role_grant(person=learner, role="hr_officer")


def test_the_learner_role_is_everyones_and_cannot_be_granted(learner):
    with pytest.raises(ValidationError, match="每位人员都是学员"):
        services.role_grant(person=learner, role="learner")
    assert selectors.person_roles(learner).roles == ["learner"]


def test_granting_a_role_twice_changes_nothing(tree, learner):
    services.role_grant(person=learner, role="hr_officer", org_unit=tree.xihu)
    services.role_grant(person=learner, role="hr_officer", org_unit=tree.xihu)

    assert learner.role_assignments.count() == 1
    assert selectors.person_roles(learner).roles == ["learner", "hr_officer"]
    assert selectors.person_roles(learner).hr_scopes == [tree.xihu]


def test_a_trainer_gets_into_the_wagtail_admin_and_loses_it_on_revoke(learner):
    services.role_grant(person=learner, role="trainer")
    learner.user.refresh_from_db()
    assert learner.user.is_staff
    assert learner.user.has_perm("wagtailadmin.access_admin")

    services.role_revoke(person=learner, role="trainer")
    learner.user.refresh_from_db()
    learner.user = type(learner.user).objects.get(pk=learner.user.pk)  # drop the perm cache
    assert not learner.user.is_staff
    assert not learner.user.has_perm("wagtailadmin.access_admin")


def test_a_platform_admin_is_a_superuser(platform_admin):
    platform_admin.user.refresh_from_db()
    assert platform_admin.user.is_superuser
    assert selectors.is_platform_admin(platform_admin.user)


def test_a_deactivated_person_can_no_longer_sign_in(learner):
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="learner", password=factories.PASSWORD) is not None

    services.person_deactivate(person=learner)

    assert authenticate(request, username="learner", password=factories.PASSWORD) is None
    learner.refresh_from_db()
    assert not learner.is_active
