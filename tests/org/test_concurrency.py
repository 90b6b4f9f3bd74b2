"""Races in the organisation tree, run against real PostgreSQL row locks and constraints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from org.models import OrgUnit, OrgUnitKind, Person
from tests import factories

T = TypeVar("T")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(count: int, work: Callable[[int], T]) -> tuple[list[T], list[BaseException]]:
    """Run ``work(i)`` in ``count`` threads released at once; return results and errors."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def runner(index: int) -> None:
        try:
            barrier.wait()
            outcome = work(index)
            with lock:
                results.append(outcome)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_concurrent_children_of_one_parent_all_get_distinct_paths():
    province = factories.unit_create(parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE)

    def add_city(index: int) -> str:
        parent = OrgUnit.objects.get(pk=province.pk)
        city = factories.unit_create(
            parent=parent, name=f"第{index}市", kind=OrgUnitKind.CITY, division_code="330100"
        )
        return city.path

    paths, errors = race(12, add_city)

    assert errors == []
    assert len(set(paths)) == 12
    province.refresh_from_db()
    assert province.numchild == 12
    assert OrgUnit.objects.filter(path__startswith=province.path, depth=2).count() == 12


def test_two_concurrent_creations_of_one_employee_number_leave_exactly_one_person():
    province = factories.unit_create(parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE)

    def create(index: int) -> Person:
        return factories.person_create(
            unit=province, employee_number="ZJ3300000001", username=f"racer{index}"
        )

    created, errors = race(8, create)

    assert len(created) == 1
    assert len(errors) == 7
    # Either the validation saw the winner's row, or the unique index refused the insert.
    assert all(isinstance(error, ValidationError | IntegrityError) for error in errors)
    assert Person.objects.filter(employee_number="ZJ3300000001").count() == 1


def test_subtree_lookups_can_use_an_index_on_the_path():
    province = factories.unit_create(parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE)
    with connection.cursor() as cursor:
        # A tiny table is cheapest to scan; forbid that to see whether an index can serve
        # the prefix match at all (Django adds a varchar_pattern_ops index for it).
        cursor.execute("SET enable_seqscan = off")
        plan = OrgUnit.objects.filter(path__startswith=province.path).explain()
        cursor.execute("RESET enable_seqscan")

    assert "Index" in plan, plan
