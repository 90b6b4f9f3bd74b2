"""The access scope: who may see whom. Every later list, export and API starts here."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from org import selectors, services
from org.models import Role
from tests import factories


def names(people) -> set[str]:
    return {person.real_name for person in people}


def test_an_hr_officer_of_one_county_sees_nobody_from_another(tree, xihu_hr):
    xihu_clerk = factories.person_create(unit=tree.xihu_it_section, real_name="西湖甲")
    binjiang_clerk = factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江乙")
    factories.person_create(unit=tree.binjiang, real_name="滨江丙")

    visible = selectors.visible_people(xihu_hr.user)

    assert xihu_clerk in visible
    assert binjiang_clerk not in visible
    assert not visible.filter(org_unit__path__startswith=tree.binjiang.path).exists()
    assert names(visible) == {"西湖甲", "赵丽"}


def test_an_hr_officer_of_a_city_sees_every_county_under_it_and_no_other_city(tree, hangzhou_hr):
    factories.person_create(unit=tree.xihu_it_section, real_name="西湖甲")
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江乙")
    factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波丙")
    factories.person_create(unit=tree.provincial_hr_department, real_name="省厅丁")

    assert names(selectors.visible_people(hangzhou_hr.user)) == {"西湖甲", "滨江乙", "王建国"}


def test_a_platform_admin_sees_everyone(tree, platform_admin, learner):
    factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波丙")

    assert names(selectors.visible_people(platform_admin.user)) == {"陈志远", "张晓明", "宁波丙"}
    assert selectors.visible_org_units(platform_admin.user).count() == 10


def test_a_learner_sees_only_themselves(tree, learner):
    factories.person_create(unit=tree.xihu_it_section, real_name="同事")

    assert list(selectors.visible_people(learner.user)) == [learner]
    assert not selectors.visible_org_units(learner.user).exists()


def test_an_anonymous_visitor_sees_nobody(tree, learner):
    assert not selectors.visible_people(AnonymousUser()).exists()
    assert not selectors.visible_org_units(AnonymousUser()).exists()


def test_a_filter_can_only_narrow_the_scope(tree, xihu_hr):
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江乙")

    # Asking for another county's people through a filter yields nobody, not them.
    narrowed = selectors.visible_people(xihu_hr.user).filter(
        org_unit__path__startswith=tree.binjiang.path
    )
    assert not narrowed.exists()


def test_an_officer_over_two_subtrees_sees_both_and_counts_nobody_twice(tree, xihu_hr):
    services.role_grant(person=xihu_hr, role=Role.HR_OFFICER, org_unit=tree.xihu_data_bureau)
    services.role_grant(person=xihu_hr, role=Role.HR_OFFICER, org_unit=tree.ningbo)
    factories.person_create(unit=tree.xihu_it_section, real_name="西湖甲")
    factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波丙")
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江乙")

    visible = selectors.visible_people(xihu_hr.user)

    assert sorted(names(visible)) == sorted(["西湖甲", "宁波丙", "赵丽"])
    assert visible.count() == 3
    roots = selectors.scope_roots(xihu_hr.user)
    assert roots is not None
    assert [unit.name for unit in roots] == ["西湖区", "宁波市"]


def test_the_scope_ends_when_the_officer_leaves(tree, xihu_hr):
    factories.person_create(unit=tree.xihu_it_section, real_name="西湖甲")

    services.person_deactivate(person=xihu_hr)
    xihu_hr.user.refresh_from_db()

    assert not selectors.visible_people(xihu_hr.user).exists()


def test_visible_org_units_of_a_county_officer_are_its_subtree(tree, xihu_hr):
    assert [unit.name for unit in selectors.visible_org_units(xihu_hr.user)] == [
        "西湖区",
        "西湖区数据资源管理局",
        "信息化科",
    ]


def test_the_people_list_costs_the_same_queries_whatever_its_length(
    tree, hangzhou_hr, django_assert_num_queries
):
    for index in range(30):
        factories.person_create(unit=tree.xihu_it_section, real_name=f"人员{index}", password=None)

    # The scope (the officer's roles with their units), and the list itself.
    with django_assert_num_queries(2):
        people = list(selectors.visible_people(hangzhou_hr.user))
        assert all(person.org_unit.name for person in people)
    assert len(people) == 31
