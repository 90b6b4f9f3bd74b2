"""The demo's history (demo/history.yaml): the loader's checks of the file, and the rows the
generator draws from it (courses/demo_history.py). What seed_demo writes from them is
tested in tests/lms/test_seed_demo.py, which seeds once for its module."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from courses.demo_history import CourseFacts, HistoryRows, history_rows
from courses.services import credit_year_of
from demo import loader
from demo.loader import DEMO_ROOT, DemoDataError

DEMO = loader.load()
COURSES = [
    CourseFacts(course.slug, course.credit_hours, len(course.lessons), course.requires_exam)
    for course in DEMO.catalogue.courses
]
TZ = timezone.get_default_timezone()


def rows_for(today: date) -> HistoryRows:
    return history_rows(
        history=DEMO.history,
        catalogue=DEMO.catalogue,
        org=DEMO.org,
        courses=COURSES,
        today=today,
        tz=TZ,
    )


def copy_demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO_ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def edit(root: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in history.yaml by ``new``; the line it is on."""
    path = root / "history.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


# --- the loader's checks -------------------------------------------------------------------


def test_the_history_file_loads():
    history = DEMO.history
    assert len(history.months) == 12
    assert {plan.year for plan in history.plans} == {"last", "this"}
    assert history.unit_profiles["330100"] == "ahead"
    assert history.default_profile in history.profiles


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "{year: last, unit: zj, hours: 30}",
            "{year: last, unit: zj, hours: 30, ranks: x}",
            "targets[0].ranks",
            "unknown field",
        ),
        (
            "{year: last, unit: 330200, hours: 36}",
            "{year: last, unit: 339900, hours: 36}",
            "targets[5].unit",
            "no unit has the code '339900'",
        ),
        (
            "{year: last, unit: zj, hours: 30}",
            "{year: this, unit: zj, hours: 30}",
            "targets[0].unit",
            "catalogue.yaml",
        ),
        (
            "      - data-security-law",
            "      - information-security-assurance",
            "plans[1].courses",
            "is in catalogue.yaml's plan too",
        ),
        ("    due: 06-30", "    due: 02-29", "plans[1].due", "write MM-DD"),
        ("    assigned: 03-02", "    assigned: 12-31x", "plans[0].assigned", "write MM-DD"),
        (
            "this: {reach: 0.65, started: 0.05, idle: 0.05}",
            "this: {reach: 0.95, started: 0.05, idle: 0.05}",
            "profiles.ahead.this",
            "the shares add up to more than 1",
        ),
        ("reach: 0.65,", "reach: 0.655,", "profiles.ahead.this.reach", "decimal place"),
        (
            "{scope: 330100, account: hr}",
            "{scope: 330100, account: learner}",
            "entered_by[1].account",
            "neither an HR officer",
        ),
        ("330800: behind", "330800: slow", "units.330800", "unknown value 'slow'"),
        ('at: "12-31 23:59:30"', 'at: "12-32 23:59:30"', "year_turn[0].at", "MM-DD HH:MM:SS"),
        ("months: [7, 3,", "months: [3,", "months", "twelve weights"),
    ],
)
def test_a_mistake_in_the_history_is_refused_with_its_line_and_field(
    tmp_path, old, new, field, message
):
    root = copy_demo(tmp_path)
    line = edit(root, old, new)
    with pytest.raises(DemoDataError) as raised:
        loader.load(root)
    error = raised.value
    assert (error.path, error.field) == (root / "history.yaml", field)
    assert error.line == line
    assert message in str(error)


def test_an_open_plan_may_not_enrol_a_demo_account(tmp_path):
    # Without its ranks the leaders' plan would enrol the demo learner, whose home page the
    # demo keeps as it is.
    root = copy_demo(tmp_path)
    edit(
        root,
        "    ranks: [inspector_1, inspector_2, researcher_1, researcher_2, researcher_3]\n",
        "",
    )
    with pytest.raises(DemoDataError, match="would enrol the demo account 'learner'") as raised:
        loader.load(root)
    assert raised.value.field == "plans[1].unit"


def test_offline_trainings_must_be_able_to_bring_anyone_to_their_target(tmp_path):
    root = copy_demo(tmp_path)
    edit(root, "{year: this, unit: 330200, hours: 36}", "{year: this, unit: 330200, hours: 90}")
    with pytest.raises(DemoDataError, match="less than the highest target") as raised:
        loader.load(root)
    assert raised.value.field == "offline"


def test_seed_demo_check_reads_the_history_too(tmp_path, monkeypatch):
    out = StringIO()
    call_command("seed_demo", "--check", stdout=out)
    assert "offline trainings" in out.getvalue()
    root = copy_demo(tmp_path)
    line = edit(root, "    due: 06-30", "    due: 06-31")
    load = loader.load
    monkeypatch.setattr(loader, "load", lambda: load(root))
    with pytest.raises(CommandError, match=rf"history.yaml:{line}: plans\[1\].due: write MM-DD"):
        call_command("seed_demo", "--check", stdout=StringIO())


# --- the generator ---------------------------------------------------------------------------


def test_the_same_day_gives_the_same_rows_on_every_run():
    assert rows_for(date(2026, 12, 3)) == rows_for(date(2026, 12, 3))


def test_last_year_does_not_move_with_the_day_of_seeding():
    def last_year(rows: HistoryRows) -> tuple[object, ...]:
        return (
            [study for study in rows.studies if study.credit_year == 2025],
            [row for row in rows.offline if row.awarded_on.year == 2025],
        )

    assert last_year(rows_for(date(2026, 3, 10))) == last_year(rows_for(date(2026, 12, 3)))


@pytest.mark.parametrize(
    "today",
    [date(2027, 1, 1), date(2027, 1, 2), date(2028, 2, 29), date(2026, 6, 20), date(2026, 12, 31)],
)
def test_nothing_is_dated_on_or_after_the_day_of_seeding(today):
    rows = rows_for(today)
    midnight = timezone.make_aware(datetime.combine(today, time(0, 0)), TZ)
    assert rows.studies
    for study in rows.studies:
        moments = [*study.lessons_done_at, study.last_activity]
        assert study.enrolled_at <= min(moments)
        assert moments == sorted(moments)
        assert study.last_activity < midnight
        if study.completed_at is not None:
            assert credit_year_of(study.completed_at) == study.credit_year
    for row in rows.offline:
        assert row.awarded_on < today
        assert row.recorded_at < midnight
    if today.month == today.day == 1:
        assert {study.credit_year for study in rows.studies} == {today.year - 1}


def test_a_plan_due_soon_is_due_before_the_day_of_seeding_instead():
    rows = rows_for(date(2026, 3, 1))
    leaders = next(row for row in rows.plans if row.plan.past_due_days)
    assert leaders.due_date == date(2026, 2, 15)
    assert leaders.assigned_at.date() < leaders.due_date
    assert next(r for r in rows_for(date(2026, 12, 3)).plans if r.plan.past_due_days).due_date == (
        date(2026, 6, 30)
    )


def test_people_ahead_reach_their_target_and_people_part_way_do_not():
    rows = rows_for(date(2026, 12, 3))
    hours_of = {course.slug: course.hours for course in COURSES}
    hours: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for study in rows.studies:
        if study.completed_at is not None:
            hours[(study.credit_year, study.employee_number)] += hours_of[study.course]
    for row in rows.offline:
        hours[(row.awarded_on.year, row.employee_number)] += row.hours
    for year, statuses in rows.statuses.items():
        targets = rows.targets_of[year]
        for number, status in statuses.items():
            earned = hours[(year, number)]
            if status == "reach":
                assert earned >= targets[number]
            elif status == "partial":
                assert 0 < earned < targets[number]
            else:
                assert earned == 0


def test_a_person_studies_a_course_once_over_both_years():
    rows = rows_for(date(2026, 12, 3))
    keys = [(study.employee_number, study.course) for study in rows.studies]
    assert len(keys) == len(set(keys))


def test_plan_courses_are_studied_after_the_plan_is_assigned():
    rows = rows_for(date(2026, 12, 3))
    assigned = {
        (row.credit_year, slug): row.assigned_at
        for row in rows.plans
        for slug in row.plan.course_slugs
    }
    for study in rows.studies:
        if not study.elective:
            assert study.enrolled_at == assigned[(study.credit_year, study.course)]
            assert min([*study.lessons_done_at, study.last_activity]) > study.enrolled_at
