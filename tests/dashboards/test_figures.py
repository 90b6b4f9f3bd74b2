"""The dashboards' figures against a brute-force count from the raw rows.

A property-based test builds random trees, people, targets, enrolments, lesson time and
ledger records (moves and leavers included), refreshes the stored figures and checks every
figure of the home page, the drill-down and the people list's statuses against a direct
computation that uses nothing of dashboards.figures: the ledger summed per person, the
target from ``courses.selectors.credit_target_for`` (the rule the learner's own page uses).
Edge cases of the credit year and of the tree follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from courses import services as courses_services
from courses.models import (
    CreditRecord,
    CreditSource,
    CreditTarget,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    LearningRules,
    LessonProgress,
)
from courses.selectors import credit_target_for
from dashboards import figures, refresh, selectors
from dashboards.models import Basis
from org import services as org_services
from org.models import OrgUnit, OrgUnitKind, Person, Rank
from org.selectors import Scope
from tests import factories

RANKS = [Rank.values[0], Rank.values[3], Rank.values[6]]


def local(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0
) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute, second))


# --- the brute force ---------------------------------------------------------------------------


@dataclass
class Expected:
    people: int = 0
    participants: int = 0
    reached: int = 0
    hours: Decimal = Decimal("0")
    mandatory_assigned: int = 0
    mandatory_done: int = 0
    overdue: int = 0
    bands: tuple[int, ...] = (0,) * figures.BANDS
    month_hours: tuple[Decimal, ...] = (Decimal("0"),) * 12
    month_reached: tuple[int, ...] = (0,) * 12


def brute_person(person: Person, year: int, now: datetime) -> dict[str, Any]:
    start = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))
    end = min(now, timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min)))
    records = [
        r
        for r in CreditRecord.objects.filter(person=person, credit_year=year)
        if r.awarded_at <= now
    ]
    hours = sum((r.hours for r in records), Decimal("0"))
    target = credit_target_for(person, year=year)
    months = [Decimal("0")] * 12
    for record in records:
        months[timezone.localtime(record.awarded_at).month - 1] += record.hours
    studied = LessonProgress.objects.filter(
        enrolment__person=person,
        engaged_seconds__gt=0,
        updated_at__gte=start,
        updated_at__lt=end,
    ).exists()
    today = timezone.localtime(min(now, end - timedelta(microseconds=1))).date()
    mandatory = [
        e
        for e in Enrolment.objects.filter(person=person, mandatory=True)
        if e.due_date and e.due_date.year == year and e.enrolled_at < end
    ]
    done = [e for e in mandatory if e.completed_at is not None and e.completed_at < end]
    late = [e for e in mandatory if e.due_date and e.due_date < today and e not in done]
    reached = hours >= target
    reached_month = None
    if reached:
        running = Decimal("0")
        for index, amount in enumerate(months, start=1):
            running += amount
            if running >= target:
                reached_month = index
                break
    if hours <= 0:
        band = 0
    elif reached:
        band = 5
    else:
        band = 1 + min(3, int(hours * 4 / target))
    return {
        "hours": hours,
        "target": target,
        "participated": hours > 0 or studied,
        "reached": reached,
        "reached_month": reached_month,
        "months": months,
        "assigned": len(mandatory),
        "done": len(done),
        "late": len(late),
        "band": band,
    }


def brute(people: Iterable[Person], year: int, now: datetime) -> Expected:
    expected = Expected()
    bands = [0] * figures.BANDS
    months = [Decimal("0")] * 12
    reached_by = [0] * 12
    for person in people:
        facts = brute_person(person, year, now)
        expected.people += 1
        expected.participants += facts["participated"]
        expected.reached += facts["reached"]
        expected.hours += facts["hours"]
        expected.mandatory_assigned += facts["assigned"]
        expected.mandatory_done += facts["done"]
        expected.overdue += facts["late"]
        bands[facts["band"]] += 1
        for index in range(12):
            months[index] += facts["months"][index]
        if facts["reached_month"] is not None:
            for index in range(facts["reached_month"] - 1, 12):
                reached_by[index] += 1
    expected.bands = tuple(bands)
    expected.month_hours = tuple(months)
    expected.month_reached = tuple(reached_by)
    return expected


def shown(found: selectors.Figures) -> Expected:
    return Expected(
        people=found.people,
        participants=found.participants,
        reached=found.reached,
        hours=found.hours,
        mandatory_assigned=found.mandatory_assigned,
        mandatory_done=found.mandatory_done,
        overdue=found.overdue,
        bands=tuple(found.bands),
        month_hours=tuple(found.month_hours),
        month_reached=tuple(found.month_reached),
    )


def active_under(path: str, *, directly: bool = False) -> list[Person]:
    people = Person.objects.filter(is_active=True, org_unit__path__startswith=path)
    if directly:
        people = people.filter(org_unit__path=path)
    return list(people.select_related("org_unit"))


def check_everything(year: int, now: datetime) -> None:
    """Every figure of the home page, the drill-down and the people statuses, at every
    unit of the tree, for an administrator's scope and for each city's officer."""
    everything = Scope(user_id=1, roots=None)
    for unit in OrgUnit.objects.order_by("path"):
        scopes = [everything] if unit.depth > 2 else [everything, Scope(user_id=1, roots=(unit,))]
        for scope in scopes:
            node = selectors.dashboard_node(scope, unit.pk)
            assert shown(selectors.node_figures(node, year)) == brute(
                active_under(unit.path), year, now
            ), unit.name
            rows = selectors.child_rows(node, year)
            for row in rows:
                expected = brute(active_under(row.unit.path, directly=row.own), year, now)
                assert shown(row.figures) == expected, (unit.name, row.unit.name, row.own)
            children = OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
            assert {row.unit.pk for row in rows if not row.own} == {c.pk for c in children}
            direct = active_under(unit.path, directly=True)
            # People sitting directly in a unit with child units are counted, not lost.
            assert any(row.own for row in rows) == bool(children and direct)
        statuses = {
            "none": lambda f: not f["participated"] and not f["reached"],
            "behind": lambda f: f["participated"] and not f["reached"],
            "met": lambda f: f["reached"],
            "overdue": lambda f: f["late"] > 0,
        }
        node = selectors.dashboard_node(everything, unit.pk)
        people = active_under(unit.path)
        facts = {p.pk: brute_person(p, year, now) for p in people}
        for status, test in statuses.items():
            listed = set(
                selectors.people_in(node, year, {"status": status}).values_list(
                    "person_id", flat=True
                )
            )
            assert listed == {pk for pk, f in facts.items() if test(f)}, (unit.name, status)
        listed_rows = {row.person_id: row for row in selectors.people_in(node, year)}
        assert set(listed_rows) == set(facts)
        for pk, entry in listed_rows.items():
            assert (entry.hours, entry.target) == (facts[pk]["hours"], facts[pk]["target"])
            assert (entry.mandatory_done, entry.mandatory_assigned, entry.overdue) == (
                facts[pk]["done"],
                facts[pk]["assigned"],
                facts[pk]["late"],
            )


# --- random provinces ---------------------------------------------------------------------------

YEAR = timezone.localdate().year
MOMENTS = st.builds(
    lambda days, seconds: local(YEAR - 1, 1, 1, 0) + timedelta(days=days, seconds=seconds),
    st.integers(min_value=0, max_value=(timezone.localdate() - date(YEAR - 1, 1, 1)).days - 1),
    st.integers(min_value=0, max_value=86_399),
)


@st.composite
def provinces(draw: Any) -> dict[str, Any]:
    units = draw(st.integers(min_value=1, max_value=6))
    parents = [draw(st.integers(min_value=0, max_value=index)) for index in range(units)]
    people = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "unit": st.integers(min_value=0, max_value=units),
                    "rank": st.sampled_from(RANKS),
                    "active": st.booleans() | st.just(True),
                    "moved_to": st.none() | st.integers(min_value=0, max_value=units),
                    "credits": st.lists(
                        st.tuples(MOMENTS, st.sampled_from(["0.5", "2.0", "8.0", "30.0"])),
                        max_size=4,
                    ),
                    "mandatory": st.lists(
                        st.tuples(
                            st.integers(min_value=-400, max_value=60),  # due, days from today
                            st.none() | MOMENTS,  # completed at
                        ),
                        max_size=2,
                    ),
                    "studied": st.none() | MOMENTS,
                }
            ),
            max_size=10,
        )
    )
    targets = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=units),
                st.sampled_from(["", *RANKS]),
                st.sampled_from([YEAR - 1, YEAR]),
                st.sampled_from(["4.0", "10.0", "40.0"]),
            ),
            max_size=5,
            unique_by=lambda t: (t[0], t[1], t[2]),
        )
    )
    return {"parents": parents, "people": people, "targets": targets}


class RandomProvinceTest(TestCase):
    courses: list[Any]
    root: OrgUnit
    officer: Person

    @classmethod
    def setUpTestData(cls) -> None:
        cls.courses = [factories.course_create(title=f"课程{n}", lessons=1) for n in range(2)]
        cls.root = factories.unit_create(parent=None, name="省", kind=OrgUnitKind.PROVINCE)
        cls.officer = factories.person_create(unit=cls.root, real_name="录入人")
        settings_row = LearningRules.load()
        settings_row.default_annual_target_hours = Decimal("12.0")
        settings_row.save()

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(provinces())
    def test_every_figure_equals_the_brute_force(self, province: dict[str, Any]) -> None:
        units = [self.root]
        for index, parent in enumerate(province["parents"]):
            kind = OrgUnitKind.CITY if parent == 0 else OrgUnitKind.DEPARTMENT
            if units[parent].kind == OrgUnitKind.DEPARTMENT:
                kind = OrgUnitKind.UNIT
            if units[parent].kind == OrgUnitKind.UNIT:
                kind = OrgUnitKind.UNIT
            units.append(
                factories.unit_create(parent=units[parent], name=f"单位{index}", kind=kind)
            )
        for unit_index, rank, year, hours in province["targets"]:
            CreditTarget.objects.create(
                org_unit=units[unit_index], rank=rank, credit_year=year, hours=Decimal(hours)
            )
        today = timezone.localdate()
        now = timezone.now()
        for index, spec in enumerate(province["people"]):
            person = factories.person_create(
                unit=units[spec["unit"]], real_name=f"人员{index}", rank=spec["rank"], password=None
            )
            for moment, hours in spec["credits"]:
                CreditRecord.objects.create(
                    person=person,
                    credit_year=timezone.localtime(moment).year,
                    hours=Decimal(hours),
                    source=CreditSource.OFFLINE,
                    reason="线下培训",
                    awarded_at=moment,
                    entered_by=self.officer,
                )
            for course, (due_in, completed_at) in zip(
                self.courses, spec["mandatory"], strict=False
            ):
                enrolment = Enrolment.objects.create(
                    person=person,
                    course=course,
                    source=EnrolmentSource.PLAN,
                    mandatory=True,
                    due_date=today + timedelta(days=due_in),
                    status=EnrolmentStatus.COMPLETED if completed_at else EnrolmentStatus.ACTIVE,
                    completed_at=completed_at,
                )
                Enrolment.objects.filter(pk=enrolment.pk).update(
                    enrolled_at=local(YEAR - 1, 1, 1, 0)
                )
                if spec["studied"] is not None:
                    progress = LessonProgress.objects.create(
                        enrolment=enrolment,
                        lesson=course.get_children().first().specific,
                        engaged_seconds=60,
                    )
                    LessonProgress.objects.filter(pk=progress.pk).update(updated_at=spec["studied"])
            if spec["moved_to"] is not None:
                person.org_unit = units[spec["moved_to"]]
                person.save(update_fields=["org_unit"])
            if not spec["active"]:
                org_services.person_deactivate(person=person)
        refresh.refresh_due(now=now)
        for year in refresh.years_with_data(now):
            check_everything(year, now)


# --- edges ------------------------------------------------------------------------------------


@pytest.fixture
def course(db: None) -> Any:
    return factories.course_create(title="年末课程", hours="3.0", lessons=1)


def completed(person: Person, course: Any, at: datetime) -> Enrolment:
    enrolment = courses_services.enrolment_elect(person=person, course=course)
    courses_services.credit_award_course(enrolment=enrolment, awarded_at=at)
    return enrolment


def test_the_last_seconds_of_december_count_for_that_year(
    tree: factories.Tree, course: Any
) -> None:
    late = factories.person_create(unit=tree.xihu_it_section, real_name="跨年甲")
    early = factories.person_create(unit=tree.xihu_it_section, real_name="跨年乙")
    completed(late, course, local(YEAR - 1, 12, 31, 23, 59, 30))
    completed(early, course, local(YEAR, 1, 1, 0, 0, 10))
    refresh.refresh_due()
    node = selectors.dashboard_node(Scope(user_id=1, roots=None), tree.xihu_it_section.pk)
    last_year = selectors.node_figures(node, YEAR - 1)
    this_year = selectors.node_figures(node, YEAR)
    assert last_year.hours == Decimal("3.0") and last_year.month_hours[11] == Decimal("3.0")
    assert this_year.hours == Decimal("3.0") and this_year.month_hours[0] == Decimal("3.0")
    people = {row.person_id: row.hours for row in selectors.people_in(node, YEAR - 1)}
    assert people == {late.pk: Decimal("3.0"), early.pk: Decimal("0.0")}


def test_a_person_who_moved_counts_where_they_are_now(tree: factories.Tree, course: Any) -> None:
    mover = factories.person_create(unit=tree.xihu_it_section, real_name="调动人")
    completed(mover, course, local(YEAR, 1, 5))
    mover.org_unit = tree.ningbo_data_bureau
    mover.save(update_fields=["org_unit"])
    refresh.refresh_due()
    everything = Scope(user_id=1, roots=None)
    xihu = selectors.node_figures(selectors.dashboard_node(everything, tree.xihu.pk), YEAR)
    ningbo = selectors.node_figures(selectors.dashboard_node(everything, tree.ningbo.pk), YEAR)
    assert (xihu.people, xihu.hours) == (0, Decimal("0"))
    assert (ningbo.people, ningbo.hours) == (1, Decimal("3.0"))


def test_inactive_people_are_not_counted(tree: factories.Tree, course: Any) -> None:
    leaver = factories.person_create(unit=tree.xihu_it_section, real_name="离职人")
    stayer = factories.person_create(unit=tree.xihu_it_section, real_name="在职人")
    completed(leaver, course, local(YEAR, 1, 5))
    org_services.person_deactivate(person=leaver)
    refresh.refresh_due()
    node = selectors.dashboard_node(Scope(user_id=1, roots=None), tree.xihu.pk)
    found = selectors.node_figures(node, YEAR)
    assert (found.people, found.hours) == (1, Decimal("0"))
    assert list(selectors.people_in(node, YEAR).values_list("person_id", flat=True)) == [stayer.pk]


def test_a_person_without_a_target_uses_the_default(tree: factories.Tree, course: Any) -> None:
    rules = LearningRules.load()
    rules.default_annual_target_hours = Decimal("3.0")
    rules.save()
    person = factories.person_create(unit=tree.binjiang_hr_bureau, real_name="默认目标")
    other = factories.person_create(unit=tree.xihu_it_section, real_name="有目标")
    CreditTarget.objects.create(org_unit=tree.xihu, credit_year=YEAR, hours=Decimal("10.0"))
    completed(person, course, local(YEAR, 2, 1))
    completed(other, course, local(YEAR, 2, 1))
    refresh.refresh_due()
    node = selectors.dashboard_node(Scope(user_id=1, roots=None), tree.hangzhou.pk)
    rows = {row.person_id: row for row in selectors.people_in(node, YEAR)}
    assert (rows[person.pk].target, rows[person.pk].reached) == (Decimal("3.0"), True)
    assert (rows[other.pk].target, rows[other.pk].reached) == (Decimal("10.0"), False)
    assert selectors.node_figures(node, YEAR).month_reached[1] == 1


def test_the_comparison_is_last_year_on_the_same_day(tree: factories.Tree, course: Any) -> None:
    person = factories.person_create(unit=tree.xihu_it_section, real_name="同期人")
    other = factories.person_create(unit=tree.xihu_it_section, real_name="同期乙")
    now = timezone.now()
    a_year_ago = figures.same_moment_a_year_before(now)
    completed(person, course, a_year_ago - timedelta(days=1))
    completed(other, course, a_year_ago + timedelta(days=1))
    refresh.refresh_due(now=now)
    node = selectors.dashboard_node(Scope(user_id=1, roots=None), tree.xihu.pk)
    same_day = selectors.node_figures(node, YEAR - 1, Basis.SAME_DAY)
    whole = selectors.node_figures(node, YEAR - 1)
    assert same_day.hours == Decimal("3.0")
    assert whole.hours == Decimal("6.0")
    assert refresh.comparison_basis(YEAR) == (YEAR - 1, Basis.SAME_DAY)
    assert refresh.comparison_basis(YEAR - 1) == (YEAR - 2, Basis.YEAR)


def test_the_nightly_check_repairs_and_reports_a_difference(
    tree: factories.Tree, course: Any, caplog: Any
) -> None:
    person = factories.person_create(unit=tree.xihu_it_section, real_name="核对人")
    completed(person, course, local(YEAR, 3, 1))
    refresh.refresh_due()
    assert refresh.verify() == 0
    from dashboards.models import PersonYear, UnitYear

    UnitYear.objects.filter(org_unit=tree.province, year=YEAR, subtree=True).update(people=999)
    PersonYear.objects.filter(person=person, year=YEAR).update(hours=Decimal("99.0"))
    assert refresh.verify() == 2
    assert "differed from a full recomputation" in caplog.text
    node = selectors.dashboard_node(Scope(user_id=1, roots=None), tree.province.pk)
    assert (
        selectors.node_figures(node, YEAR).people == Person.objects.filter(is_active=True).count()
    )
    assert refresh.verify() == 0


def test_a_refresh_writes_only_what_changed(tree: factories.Tree, course: Any) -> None:
    person = factories.person_create(unit=tree.xihu_it_section, real_name="增量人")
    first = refresh.refresh(YEAR)
    assert first.changed > 0
    assert refresh.refresh(YEAR).changed == 0
    completed(person, course, local(YEAR, 3, 1))
    # The person's row, and the subtree rows of the unit and its four ancestors, and its own.
    assert refresh.refresh(YEAR).changed == 1 + 5 + 1
