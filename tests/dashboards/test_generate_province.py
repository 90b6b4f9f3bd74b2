"""manage.py generate_province: the province the dashboards benchmark runs on.

A small province on the embedded database (SQLite): the sizes asked for, a tree treebeard
accepts, the ledger's and plans' rules kept, the same rows for the same seed, a refusal
when the database holds people. The shortcuts (paths computed by hand, COPY in text,
indexes dropped for a load) are compared with the ordinary paths; the PostgreSQL ones
run on the services leg.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from certificates.models import Certificate, SerialCounter
from courses.models import (
    CoursePage,
    CreditRecord,
    CreditTarget,
    Enrolment,
    EnrolmentSource,
    TrainingPlan,
)
from dashboards import province_data
from exams.models import Attempt, Exam
from org.models import ALLOWED_CHILD_KINDS, OrgUnit, Person, RoleAssignment
from org.selectors import visible_people
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 3)
SIZES = {"people": 500, "units": 120, "enrolments": 1500, "credits": 3000, "courses": 10}
PASSWORD = "bench-password-123"


SMALL = {"people": 150, "units": 40, "enrolments": 450, "credits": 900, "courses": 8}


def generate(seed: int = 7, sizes: dict[str, int] = SIZES) -> None:
    call_command("generate_province", seed=seed, today=TODAY, password=PASSWORD, **sizes)


def fingerprint() -> str:
    """A digest of the generated rows by their natural keys (ids and the moments the
    services stamp with the clock left out)."""
    number = dict(Person.objects.values_list("pk", "employee_number"))
    slug = dict(CoursePage.objects.values_list("pk", "slug"))
    parts: list[Any] = [
        sorted(OrgUnit.objects.values_list("code", "path", "depth", "numchild", "name")),
        sorted(
            (number[pk], name, unit, rank, active, username)
            for pk, name, unit, rank, active, username in Person.objects.values_list(
                "pk", "real_name", "org_unit__code", "rank", "is_active", "user__username"
            )
        ),
        sorted(
            (number[p], slug[c], status, str(done), str(due), source, mandatory)
            for p, c, status, done, due, source, mandatory in Enrolment.objects.values_list(
                "person", "course", "status", "completed_at", "due_date", "source", "mandatory"
            )
        ),
        sorted(
            (number[p], year, str(hours), source, slug.get(c, ""), str(at), reason)
            for p, year, hours, source, c, at, reason in CreditRecord.objects.values_list(
                "person", "credit_year", "hours", "source", "course", "awarded_at", "reason"
            )
        ),
        sorted(
            (number[p], course, n, str(score), passed, str(at))
            for p, course, n, score, passed, at in Attempt.objects.values_list(
                "person", "exam__course__slug", "number", "score", "passed", "finished_at"
            )
        ),
        sorted(
            (number[p], slug[c], serial, code, cycle)
            for p, c, serial, code, cycle in Certificate.objects.values_list(
                "person", "course", "serial", "code", "cycle"
            )
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def wipe() -> None:
    """Everything generate_province wrote, in an order the foreign keys allow."""
    Certificate.objects.all().delete()
    SerialCounter.objects.all().delete()
    Attempt.objects.all().delete()
    Exam.objects.all().delete()
    CreditRecord.objects.all().delete()
    Enrolment.objects.all().delete()
    TrainingPlan.objects.all().delete()
    CreditTarget.objects.all().delete()
    for course in CoursePage.objects.all():
        course.delete()
    users = list(Person.objects.values_list("user_id", flat=True))
    Person.objects.all().delete()
    User.objects.filter(pk__in=users).delete()
    OrgUnit.objects.all().delete()


def test_it_builds_the_province_asked_for() -> None:
    generate()

    assert OrgUnit.objects.count() == SIZES["units"]
    generated = Person.objects.filter(user__username__startswith="p")
    assert generated.count() == SIZES["people"]
    assert 0 < generated.filter(is_active=False).count() < SIZES["people"] * 0.1
    assert not Person.objects.exclude(is_active=F("user__is_active")).exists()
    assert CoursePage.objects.live().count() == SIZES["courses"]
    assert abs(Enrolment.objects.count() - SIZES["enrolments"]) < SIZES["enrolments"] * 0.15
    assert CreditRecord.objects.count() == SIZES["credits"]  # offline records fill up
    assert Attempt.objects.filter(passed=True).exists()
    assert Certificate.objects.filter(status="issued").exists()
    years = {2025, 2026}
    assert set(CreditTarget.objects.values_list("credit_year", flat=True)) == years
    provincial = TrainingPlan.objects.filter(org_unit__depth=1, ranks=[])
    assert set(provincial.values_list("credit_year", flat=True)) == years
    assert TrainingPlan.objects.filter(org_unit__kind="city").exists()


def test_the_tree_is_one_treebeard_accepts() -> None:
    generate()

    assert OrgUnit.find_problems() == ([], [], [], [], [])
    assert province_data.tree_problems() == []
    (root,) = OrgUnit.get_root_nodes()
    assert root.get_descendant_count() == SIZES["units"] - 1
    units = {unit.path: unit for unit in OrgUnit.objects.all()}
    for path, unit in units.items():
        if unit.depth > 1:
            assert unit.kind in ALLOWED_CHILD_KINDS[units[path[: -OrgUnit.steplen]].kind]
    assert OrgUnit.objects.filter(depth__gte=6).exists()  # some sections under sections


def test_the_ledger_and_the_plans_follow_the_services_rules() -> None:
    generate()
    today = timezone.make_aware(datetime(2026, 12, 3))

    completed = {
        (e.person_id, e.course_id): e
        for e in Enrolment.objects.filter(status="completed").select_related("course")
    }
    for record in CreditRecord.objects.all():
        assert record.awarded_at < today
        assert record.credit_year == timezone.localtime(record.awarded_at).year
        if record.source == "offline":
            assert record.entered_by_id is not None and record.course_id is None
            continue
        enrolment = completed[(record.person_id, record.course_id)]
        assert record.awarded_at == enrolment.completed_at
        assert record.reference == f"enrolment:{enrolment.pk}"
        if record.source == "course":
            assert record.hours == enrolment.course.credit_hours
        else:
            assert record.hours == Decimal("1.0")
    assert not Enrolment.objects.filter(status="active", completed_at__isnull=False).exists()
    exam_courses = set(Exam.objects.values_list("course_id", flat=True))
    for (person, course), enrolment in completed.items():
        if course in exam_courses:  # lessons_and_exam: the pass completes the course
            assert enrolment.exam_passed_at == enrolment.completed_at
            assert Attempt.objects.filter(
                person_id=person, exam__course_id=course, passed=True
            ).exists()
    for plan in TrainingPlan.objects.all():
        enrolled = set(
            Enrolment.objects.filter(training_plan=plan).values_list("person_id", flat=True)
        )
        scope = Person.objects.filter(is_active=True, org_unit__path__startswith=plan.org_unit.path)
        if plan.ranks:
            scope = scope.filter(rank__in=plan.ranks)
        # Everyone active in scope, as training_plan_apply enrols them.
        assert enrolled == set(scope.values_list("pk", flat=True))
        assert (
            Enrolment.objects.filter(training_plan=plan)
            .exclude(due_date=plan.due_date, source=EnrolmentSource.PLAN, mandatory=True)
            .count()
            == 0
        )
    serials = Counter(Certificate.objects.values_list("serial", flat=True))
    assert max(serials.values()) == 1
    last = {(c.prefix, c.year): c.last for c in SerialCounter.objects.all()}
    assert last == dict(
        Counter((serial.split("-")[0], int(serial.split("-")[1])) for serial in serials)
    )


def test_it_creates_the_benchmarks_accounts() -> None:
    generate()

    province = Person.objects.select_related("user").get(user__username="bench_province")
    county = Person.objects.select_related("user").get(user__username="bench_county")
    learner = Person.objects.select_related("user").get(user__username="bench_learner")
    for person in (province, county, learner):
        assert person.user.check_password(PASSWORD)
    (root,) = OrgUnit.get_root_nodes()
    assert RoleAssignment.objects.get(person=province).org_unit == root
    county_scope = RoleAssignment.objects.get(person=county).org_unit
    assert county_scope is not None and county_scope.kind == "county"
    assert province.user.is_staff and county.user.is_staff
    assert not RoleAssignment.objects.filter(person=learner).exists()
    assert not learner.user.is_staff
    assert visible_people(province.user).count() == Person.objects.count()
    assert 0 < visible_people(county.user).count() < Person.objects.count()
    assert set(visible_people(learner.user)) == {learner}
    # The learner's plans reached them, as a person placed in the tree.
    assert Enrolment.objects.filter(person=learner, source="plan").exists()


def test_the_same_seed_makes_the_same_province() -> None:
    generate(seed=11, sizes=SMALL)
    first = fingerprint()
    wipe()
    generate(seed=11, sizes=SMALL)

    assert fingerprint() == first
    wipe()
    generate(seed=12, sizes=SMALL)
    assert fingerprint() != first


def test_it_refuses_a_database_that_holds_people(tree: factories.Tree) -> None:
    factories.person_create(unit=tree.xihu_it_section, real_name="张晓明")

    with pytest.raises(CommandError, match="already holds 1 people"):
        generate()
    assert Person.objects.count() == 1


def test_computed_paths_are_the_paths_treebeard_gives() -> None:
    plan = province_data.tree_plan(80, random.Random(3))

    def tree() -> dict[str, tuple[str, int, int]]:
        return {
            code: (path, depth, numchild)
            for code, path, depth, numchild in OrgUnit.objects.values_list(
                "code", "path", "depth", "numchild"
            )
        }

    province_data.tree_insert(plan, fast=True)
    computed = tree()
    OrgUnit.objects.all().delete()
    province_data.tree_insert(plan, fast=False)  # org_unit_create, one unit at a time

    assert tree() == computed
    assert province_data.FAST_TREE  # the treebeard this was written against is installed


@pytest.mark.postgres
def test_copy_rows_read_back_as_the_orm_writes_them(tree: factories.Tree) -> None:
    person = factories.person_create(unit=tree.xihu_it_section)
    awarded = datetime(2026, 3, 1, 9, 30, 15, tzinfo=province_data.SHANGHAI)
    epoch = int(awarded.timestamp())
    reason = 'tab\there, a back\\slash, a "quote", a\nnew line and 中文'
    orm = CreditRecord.objects.create(
        person=person,
        credit_year=2026,
        hours=Decimal("2.5"),
        source="offline",
        reason=reason,
        awarded_at=awarded,
        entered_by=person,
    )
    row = (orm.pk + 1, person.pk, 2026, Decimal("2.5"), "offline", None, "", reason, epoch)
    province_data.write_rows(
        CreditRecord,
        province_data.CREDIT_FIELDS,
        [(*row, person.pk, epoch)],
        ("awarded_at", "created_at"),
    )
    fields = ("credit_year", "hours", "source", "course", "reference", "reason", "awarded_at")
    copied = CreditRecord.objects.values_list(*fields).get(pk=orm.pk + 1)

    assert copied == CreditRecord.objects.values_list(*fields).get(pk=orm.pk)


@pytest.mark.postgres
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # outside a transaction, as the command runs
def test_a_load_leaves_the_schema_as_it_was() -> None:
    def schema(table: str) -> tuple[list[Any], list[Any]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1",
                [table],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                "WHERE conrelid = %s::regclass ORDER BY 1",
                [table],
            )
            return indexes, cursor.fetchall()

    models = (CreditRecord, Enrolment, Person, OrgUnit, Certificate, Attempt)
    before = {m._meta.db_table: schema(m._meta.db_table) for m in models}
    for model in models:
        with province_data.indexes_deferred(model):
            assert schema(model._meta.db_table) != before[model._meta.db_table]

    assert {m._meta.db_table: schema(m._meta.db_table) for m in models} == before
