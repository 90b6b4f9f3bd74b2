"""A training plan created in the web process is applied by a real Celery worker."""

from __future__ import annotations

import time
from datetime import date

import pytest

from courses import services
from courses.models import Enrolment
from tests import factories
from tests.celery_worker import start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_worker_enrols_the_plans_people_after_commit(tree, xihu_hr, queue):
    course = factories.course_create(title="信息安全保障体系")
    for index in range(5):
        factories.person_create(unit=tree.xihu_it_section, real_name=f"西湖{index}", password=None)
    factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波人", password=None)

    worker = start_worker(queue)
    try:
        services.training_plan_create(
            created_by=xihu_hr,
            name="西湖区年度必修",
            org_unit=tree.xihu,
            credit_year=2026,
            due_date=date(2026, 12, 31),
            courses=[course],
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Enrolment.objects.count() < 6:
            time.sleep(0.2)
    finally:
        stop_worker(worker)

    names = set(Enrolment.objects.values_list("person__real_name", flat=True))
    assert names == {f"西湖{index}" for index in range(5)} | {"赵丽"}
