"""Training plans: HR assigns courses to a subtree; people in scope, now or later, are enrolled."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from courses import services
from courses.models import Enrolment, TrainingPlan
from tests import factories


@pytest.fixture
def course(db, eager_tasks):
    return factories.course_create(title="信息安全保障体系")


def plan_for(unit, course, creator, **kwargs):
    defaults = {
        "name": "年度信息安全必修",
        "org_unit": unit,
        "credit_year": 2026,
        "due_date": date(2026, 12, 31),
        "courses": [course],
    }
    return services.training_plan_create(created_by=creator, **{**defaults, **kwargs})


def enrolled_names(course) -> set[str]:
    return set(Enrolment.objects.filter(course=course).values_list("person__real_name", flat=True))


def test_a_plan_enrols_everyone_in_the_subtree_and_nobody_outside(
    tree, course, xihu_hr, django_capture_on_commit_callbacks
):
    factories.person_create(unit=tree.xihu_it_section, real_name="西湖甲", password=None)
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="滨江乙", password=None)

    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_for(tree.xihu, course, xihu_hr)

    assert enrolled_names(course) == {"西湖甲", "赵丽"}
    enrolment = Enrolment.objects.get(person__real_name="西湖甲")
    assert enrolment.training_plan == plan
    assert enrolment.mandatory
    assert enrolment.due_date == date(2026, 12, 31)


def test_a_plan_can_be_narrowed_to_ranks(tree, course, xihu_hr, django_capture_on_commit_callbacks):
    factories.person_create(unit=tree.xihu, real_name="科员", rank="clerk_1", password=None)
    factories.person_create(unit=tree.xihu, real_name="调研员", rank="researcher_2", password=None)

    with django_capture_on_commit_callbacks(execute=True):
        plan_for(tree.xihu, course, xihu_hr, ranks=["clerk_1"])

    assert enrolled_names(course) == {"科员"}


def test_someone_who_joins_the_subtree_later_is_enrolled(
    tree, course, xihu_hr, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan_for(tree.xihu, course, xihu_hr)
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = factories.person_create(unit=tree.xihu_it_section, real_name="新同事")
        outsider = factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波人")

    assert Enrolment.objects.filter(person=newcomer, course=course).exists()
    assert not Enrolment.objects.filter(person=outsider, course=course).exists()


def test_leaving_the_subtree_keeps_the_history(tree, course, xihu_hr, learner):
    plan = plan_for(tree.xihu, course, xihu_hr)
    services.training_plan_apply(plan=plan)

    learner.org_unit = tree.ningbo_data_bureau
    learner.save()
    services.training_plan_apply(plan=plan)

    assert Enrolment.objects.filter(person=learner, course=course, training_plan=plan).exists()


def test_an_elective_taken_before_the_plan_becomes_part_of_it(tree, course, xihu_hr, learner):
    services.enrolment_elect(person=learner, course=course)
    plan = plan_for(tree.xihu, course, xihu_hr)

    services.training_plan_apply(plan=plan)
    services.training_plan_apply(plan=plan)  # applying twice changes nothing

    enrolment = Enrolment.objects.get(person=learner, course=course)
    assert enrolment.training_plan == plan
    assert enrolment.mandatory
    assert Enrolment.objects.filter(course=course).count() == 2  # learner and the officer


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"courses": []}, "courses"),
        ({"due_date": date(2027, 1, 15)}, "due_date"),
        ({"ranks": ["general"]}, "ranks"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_plan_is_refused_whole(tree, course, xihu_hr, changes, field):
    with pytest.raises(ValidationError) as refused:
        plan_for(tree.xihu, course, xihu_hr, **changes)
    assert field in refused.value.message_dict
    assert not TrainingPlan.objects.exists()


def test_hr_pages_are_scoped_to_the_officers_subtree(client, tree, course, xihu_hr, learner):
    ningbo_plan = plan_for(tree.ningbo, course, xihu_hr, name="宁波计划")
    xihu_plan = plan_for(tree.xihu, course, xihu_hr, name="西湖计划")
    client.force_login(xihu_hr.user)

    listing = client.get("/hr/plans/").content.decode()
    assert "西湖计划" in listing and "宁波计划" not in listing
    assert client.get(f"/hr/plans/{xihu_plan.pk}/").status_code == 200
    assert client.get(f"/hr/plans/{ningbo_plan.pk}/").status_code == 404

    # The unit list offers only the officer's subtree; another county is refused.
    response = client.post(
        "/hr/plans/",
        {
            "name": "越权计划",
            "org_unit": tree.binjiang.pk,
            "courses": [course.pk],
            "credit_year": 2026,
            "due_date": "2026-12-31",
            "mandatory": "on",
        },
    )
    assert response.status_code == 200
    assert not TrainingPlan.objects.filter(name="越权计划").exists()


def test_learners_do_not_reach_the_hr_pages(client, learner):
    client.force_login(learner.user)
    assert client.get("/hr/plans/").status_code == 404
    assert client.get("/hr/offline-credit/").status_code == 404


def test_hr_records_offline_hours_only_for_people_in_scope(client, tree, xihu_hr, learner):
    outsider = factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波人")
    client.force_login(xihu_hr.user)
    form = {"hours": "3.5", "awarded_on": "2026-05-20", "reason": "党校专题培训"}

    refused = client.post(
        "/hr/offline-credit/", {**form, "employee_number": outsider.employee_number}
    )
    assert refused.status_code == 200  # the form again, with its error
    assert not outsider.credits.exists()

    accepted = client.post(
        "/hr/offline-credit/", {**form, "employee_number": learner.employee_number}
    )
    assert accepted.status_code == 302
    record = learner.credits.get()
    assert (str(record.hours), record.entered_by) == ("3.5", xihu_hr)
