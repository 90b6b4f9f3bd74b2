"""The seed_demo command: a believable Zhejiang, about 300 people and one account per role,
the demo catalogue, all read from demo/ by the loader."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from demo import loader
from org import selectors
from org.demo_data import people_plan
from org.models import (
    ALLOWED_CHILD_KINDS,
    REGION_KINDS,
    OrgUnit,
    OrgUnitKind,
    Person,
    Rank,
    Role,
    RoleAssignment,
)

CITIES = {
    "330100": "杭州市",
    "330200": "宁波市",
    "330300": "温州市",
    "330400": "嘉兴市",
    "330500": "湖州市",
    "330600": "绍兴市",
    "330700": "金华市",
    "330800": "衢州市",
    "330900": "舟山市",
    "331000": "台州市",
    "331100": "丽水市",
}
DEMO = loader.load()
DEMO_ACCOUNTS = DEMO.org.accounts
DEMO_USERNAMES = {account.username for account in DEMO_ACCOUNTS}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the whole module, in a transaction rolled back when the module ends.

    Seeding goes through the services (about 7,000 queries), so seeding per test would make
    this file slow. Each test still runs in its own savepoint (the ``db`` fixture), so what
    a test writes is undone, and no seeded row leaks into other modules.
    """
    # MD5 keeps the four demo passwords from costing seconds of PBKDF2; tests only.
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        try:
            yield seed()
        finally:
            transaction.set_rollback(True)


def demo_person(username: str) -> Person:
    return Person.objects.select_related("user", "org_unit").get(user__username=username)


def test_it_builds_one_province_with_eleven_cities(seeded, db):
    province = OrgUnit.objects.get(kind=OrgUnitKind.PROVINCE)
    assert (province.name, province.division_code, province.code) == ("浙江省", "330000", "zj")
    cities = OrgUnit.objects.filter(kind=OrgUnitKind.CITY)
    assert {city.division_code: city.name for city in cities} == CITIES
    assert all(city.get_parent() == province for city in cities)


def test_every_county_sits_under_the_city_its_code_belongs_to(seeded, db):
    counties = OrgUnit.objects.filter(kind=OrgUnitKind.COUNTY)
    assert 25 <= counties.count() <= 40
    for county in counties:
        city = county.get_parent()
        assert city.kind == OrgUnitKind.CITY
        assert county.division_code[:4] == city.division_code[:4]
        assert county.code == county.division_code
    assert OrgUnit.objects.get(division_code="330106", kind=OrgUnitKind.COUNTY).name == "西湖区"


def test_departments_and_units_follow_the_tree_rules_and_carry_their_regions_code(seeded, db):
    units = {unit.path: unit for unit in OrgUnit.objects.all()}
    assert OrgUnit.objects.filter(kind=OrgUnitKind.DEPARTMENT, depth=2).count() >= 12
    assert OrgUnit.objects.filter(kind=OrgUnitKind.UNIT).count() >= 40
    for unit in units.values():
        assert re.fullmatch(r"[a-z0-9-]{1,40}", unit.code)
        if unit.depth == 1:
            continue
        parent = units[unit.path[: -unit.steplen]]
        assert unit.kind in ALLOWED_CHILD_KINDS[parent.kind]
        if unit.kind not in REGION_KINDS:
            assert unit.division_code == parent.division_code


def test_it_creates_about_three_hundred_people_with_ranks_and_positions(seeded, db):
    people = list(Person.objects.select_related("org_unit"))
    assert 280 <= len(people) <= 320
    for person in people:
        assert re.fullmatch(r"ZJ\d{10}", person.employee_number)
        assert person.employee_number[2:8] == person.org_unit.division_code
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", person.real_name)
        assert person.rank in Rank.values
        assert person.position
    # People work in departments and sections at every level, not only at the top.
    levels = {person.org_unit.division_code[4:] == "00" for person in people}
    assert levels == {True, False}
    assert {person.org_unit.kind for person in people} == {"department", "unit"}


def test_generated_people_have_no_usable_password(seeded, db):
    people = Person.objects.select_related("user").exclude(user__username__in=DEMO_USERNAMES)
    assert people.count() == Person.objects.count() - 4
    for person in people:
        assert person.user.username == person.employee_number.lower()
        assert not person.user.has_usable_password()


def test_it_generates_the_same_people_every_time(seeded, db):
    plan = people_plan(DEMO.org)
    assert plan == people_plan(DEMO.org)
    stored = dict(Person.objects.values_list("employee_number", "real_name"))
    assert {person.employee_number: person.real_name for person in plan}.items() <= stored.items()


def test_the_demo_accounts_hold_one_role_each(seeded, db):
    granted = RoleAssignment.objects.values_list("person__user__username", "role", "org_unit__code")
    assert sorted(granted) == [
        ("admin", Role.PLATFORM_ADMIN, None),
        ("hr", Role.HR_OFFICER, "330100"),
        ("trainer", Role.TRAINER, None),
    ]
    assert OrgUnit.objects.get(code="330100").name == "杭州市"
    assert selectors.is_platform_admin(demo_person("admin").user)
    assert not demo_person("learner").user.is_staff


def test_the_demo_accounts_sit_where_the_readme_says(seeded, db):
    def ancestry(username: str) -> list[str]:
        return [unit.name for unit in selectors.org_unit_ancestry(demo_person(username).org_unit)]

    learner = demo_person("learner")
    assert (learner.real_name, learner.rank) == ("张晓明", Rank.LEVEL_2_PRINCIPAL_CLERK)
    assert ancestry("learner") == ["浙江省", "杭州市", "西湖区", "西湖区数据资源管理局", "信息化科"]
    assert ancestry("trainer")[1] == "浙江省人力资源和社会保障厅"
    assert ancestry("hr")[:3] == ["浙江省", "杭州市", "杭州市人力资源和社会保障局"]
    assert ancestry("admin")[1] == "浙江省数据局"


@pytest.mark.parametrize(
    ("username", "password"),
    [(account.username, account.password) for account in DEMO_ACCOUNTS],
)
def test_the_demo_accounts_log_in_with_the_documented_passwords(seeded, db, username, password):
    request = RequestFactory().post("/")
    user = authenticate(request, username=username, password=password)
    assert user is not None
    assert user.username == username
    assert authenticate(RequestFactory().post("/"), username=username, password="wrong") is None


def test_the_hr_officer_sees_only_people_under_hangzhou(seeded, db):
    hangzhou = OrgUnit.objects.get(code="330100")
    ningbo = OrgUnit.objects.get(code="330200")
    visible = selectors.visible_people(demo_person("hr").user)
    assert visible.count() >= 20
    assert all(person.org_unit.path.startswith(hangzhou.path) for person in visible)
    assert (
        visible.count() == Person.objects.filter(org_unit__path__startswith=hangzhou.path).count()
    )
    ningbo_people = Person.objects.filter(org_unit__path__startswith=ningbo.path)
    assert ningbo_people.exists()
    assert not visible.filter(pk__in=ningbo_people).exists()
    assert visible.filter(user__username="learner").exists()


def test_running_it_twice_changes_nothing(seeded, db):
    def counts() -> list[int]:
        return [
            OrgUnit.objects.count(),
            Person.objects.count(),
            get_user_model().objects.count(),
            RoleAssignment.objects.count(),
        ]

    before = counts()
    output = seed()
    assert counts() == before
    assert "Nothing changed" in output


def test_it_reports_what_it_created_unless_told_to_be_quiet(seeded, db):
    assert "People: 300 (300 new)" in seeded
    assert "learner, trainer, hr, admin" in seeded
    out = StringIO()
    call_command("seed_demo", verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_it_builds_the_catalogue_with_real_lessons_and_a_provincial_plan(seeded, db):
    from courses.models import CoursePage, Enrolment, LessonPage, TrainingPlan

    courses = list(CoursePage.objects.live().order_by("path"))
    assert [course.slug for course in courses] == [c.slug for c in DEMO.catalogue.courses]
    assert [course.title for course in courses][:6] == [
        "电子政务概论",
        "政府网站建设与信息发布规范",
        "信息安全保障体系",
        "协同办公与业务协同",
        "打破信息孤岛：数据共享与互联互通",
        "公务员计算机与网络应用基础",
    ]
    for course, data in zip(courses, DEMO.catalogue.courses, strict=True):
        lessons = LessonPage.objects.child_of(course).live().order_by("path")
        assert [lesson.slug for lesson in lessons] == [lesson.slug for lesson in data.lessons]
        assert all(lesson.checkpoints() for lesson in lessons)
        assert course.trainer is not None and course.trainer.user.username == "trainer"
        assert course.credit_hours == data.credit_hours
    # This year's plan of catalogue.yaml (the history adds last year's and a smaller one).
    year = timezone.localdate().year
    plan = TrainingPlan.objects.get(
        name=DEMO.catalogue.plan.name.replace("{year}", str(year)), credit_year=year
    )
    assert plan.org_unit.kind == "province"
    assert plan.courses.count() == 3
    # Everyone in the province is enrolled in each of the plan's courses.
    assert Enrolment.objects.filter(training_plan=plan).count() == 3 * Person.objects.count()


def test_the_demo_learner_can_reach_the_annual_target_with_room_to_spare(seeded, db):
    # Defect 14: the catalogue offered about half of the 30 学时 target.
    from django.utils import timezone

    from courses import selectors as course_selectors
    from courses.models import CoursePage

    learner = demo_person("learner")
    target = course_selectors.credit_target_for(learner, year=timezone.localdate().year)
    assert target == Decimal("30")
    offered = sum(course.credit_hours for course in course_selectors.published_courses())
    assert offered >= target + 10
    assigned = sum(
        CoursePage.objects.filter(enrolments__person=learner).values_list("credit_hours", flat=True)
    )
    assert assigned < target  # the electives matter


def test_every_demo_course_has_a_question_bank_and_an_exam_that_can_be_taken(seeded, db):
    from courses.models import CoursePage
    from exams import services as exam_services
    from exams.models import Exam

    assert set(
        CoursePage.objects.filter(exams__isnull=False).values_list("slug", flat=True)
    ) == set(DEMO.exams.banks)
    for course in CoursePage.objects.filter(slug__in=list(DEMO.exams.banks)):
        exam = Exam.objects.get(course=course)
        bank = exam.draw_rules.first()
        assert bank is not None
        assert bank.category.questions.count() >= 20
        kinds = set(bank.category.questions.values_list("current_version__kind", flat=True))
        assert kinds == {"single", "multiple", "true_false", "fill", "short"}
    learner = Person.objects.get(user__username="learner")
    exam = Exam.objects.get(course__title="信息安全保障体系")
    assert exam.review_policy == "after_last_attempt"
    attempt = exam_services.attempt_start(exam=exam, person=learner)
    assert attempt.paper.count() == 14
    assert attempt.max_score == 100


def test_it_refuses_bad_demo_files_before_writing_anything(db, monkeypatch):
    from django.core.management.base import CommandError

    def bad_data() -> loader.DemoData:
        raise loader.DemoDataError(loader.DEMO_ROOT / "org" / "tree.yaml", 12, "is empty", "name")

    before = OrgUnit.objects.count()
    monkeypatch.setattr(loader, "load", bad_data)
    with pytest.raises(CommandError, match=r"demo/org/tree.yaml:12: name: is empty"):
        call_command("seed_demo", stdout=StringIO())
    assert OrgUnit.objects.count() == before


def test_check_only_reads_the_files(db):
    before = (OrgUnit.objects.count(), Person.objects.count())
    out = StringIO()
    call_command("seed_demo", "--check", stdout=out)
    assert "The demo files are valid" in out.getvalue()
    assert (OrgUnit.objects.count(), Person.objects.count()) == before


def test_the_demo_learner_has_a_course_to_go_on_with_on_the_home_page(seeded, db, client):
    learner = demo_person("learner")
    client.force_login(learner.user)
    body = client.get("/").content.decode()
    resume = body[body.index('id="home-resume-heading"') :]
    assert "电子政务概论" in resume[: resume.index("</section>")]


# --- the history: last year and this year so far (demo/history.yaml) ------------------------


def this_year() -> int:
    return timezone.localdate().year


def this_year_has_begun() -> bool:
    """Whether anything has happened this year: the history stops before today."""
    return timezone.localdate() > date(this_year(), 1, 1)


def target_rate(unit_code: str, year: int) -> float:
    """学时达标率 from the rows: the share of the unit's active people whose credit hours in
    the year (the ledger's credit_year) reach their own target."""
    from django.db.models import Sum

    from courses import selectors as course_selectors
    from courses.models import CreditRecord

    unit = OrgUnit.objects.get(code=unit_code)
    people = list(
        Person.objects.filter(is_active=True, org_unit__path__startswith=unit.path).select_related(
            "org_unit"
        )
    )
    hours = dict(
        CreditRecord.objects.filter(person__in=people, credit_year=year)
        .values_list("person_id")
        .annotate(total=Sum("hours"))
        .values_list("person_id", "total")
    )
    reached = sum(
        1
        for person in people
        if hours.get(person.pk, Decimal("0"))
        >= course_selectors.credit_target_for(person, year=year)
    )
    return reached / len(people)


def history_counts() -> dict[str, object]:
    from django.db.models import Max

    from courses.models import CreditRecord, CreditTarget, Enrolment, LessonProgress, TrainingPlan

    return {
        "credits": CreditRecord.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "progress": LessonProgress.objects.count(),
        "plans": TrainingPlan.objects.count(),
        "targets": CreditTarget.objects.count(),
        "latest": LessonProgress.objects.aggregate(Max("updated_at")),
        "enrolled": Enrolment.objects.aggregate(Max("enrolled_at")),
    }


def test_the_history_is_written_once(seeded, db):
    before = history_counts()
    seed()
    assert history_counts() == before


def test_the_history_covers_last_year_and_this_year_with_plans_and_targets(seeded, db):
    from courses.models import CreditRecord, CreditTarget, TrainingPlan

    year = this_year()
    years = {year - 1, year} if this_year_has_begun() else {year - 1}
    assert set(CreditRecord.objects.values_list("credit_year", flat=True)) == years
    assert CreditRecord.objects.filter(credit_year=year - 1, source="course").count() > 500
    assert CreditRecord.objects.filter(credit_year=year - 1, source="offline").count() > 300
    for credit_year in (year - 1, year):
        assert CreditTarget.objects.filter(
            credit_year=credit_year, org_unit__kind="province", rank=""
        ).exists()
    last = TrainingPlan.objects.get(credit_year=year - 1)
    assert (last.due_date, last.mandatory, last.is_active) == (date(year - 1, 12, 31), True, False)
    assert last.created_at.year == year - 1
    assert last.enrolments.filter(status="completed").count() > last.enrolments.count() / 2


def test_nothing_in_the_history_lies_in_the_future(seeded, db):
    from django.db.models import Max

    from courses.models import CreditRecord, Enrolment, LessonProgress

    now = timezone.now()
    latest = [
        *CreditRecord.objects.aggregate(Max("awarded_at"), Max("created_at")).values(),
        *Enrolment.objects.aggregate(
            Max("enrolled_at"), Max("completed_at"), Max("exam_passed_at")
        ).values(),
        *LessonProgress.objects.aggregate(Max("updated_at"), Max("completed_at")).values(),
    ]
    assert all(moment <= now for moment in latest)


def test_every_completion_has_its_course_credit_in_its_credit_year_and_its_lessons(seeded, db):
    from courses.models import CreditRecord, Enrolment, LessonPage, LessonProgress
    from courses.services import credit_year_of

    credits = {(c.person_id, c.course_id): c for c in CreditRecord.objects.filter(source="course")}
    completed = list(Enrolment.objects.filter(status="completed").select_related("course"))
    assert len(completed) == len(credits) > 1000
    lessons = {
        course_id: set(LessonPage.objects.child_of(e.course).values_list("pk", flat=True))
        for course_id, e in {e.course_id: e for e in completed}.items()
    }
    done: dict[int, dict[int, datetime | None]] = {}
    for enrolment_id, lesson_id, at in LessonProgress.objects.filter(
        completed_at__isnull=False
    ).values_list("enrolment_id", "lesson_id", "completed_at"):
        done.setdefault(enrolment_id, {})[lesson_id] = at
    for enrolment in completed:
        credit = credits[(enrolment.person_id, enrolment.course_id)]
        assert credit.awarded_at == enrolment.completed_at
        assert credit.credit_year == credit_year_of(enrolment.completed_at)
        assert credit.hours == enrolment.course.credit_hours
        assert set(done[enrolment.pk]) == lessons[enrolment.course_id]
        assert enrolment.completed_at is not None
        assert all(at and at <= enrolment.completed_at for at in done[enrolment.pk].values())
        if enrolment.course.completion_rule == "lessons_and_exam":
            assert enrolment.exam_passed_at is not None
    assert not Enrolment.objects.filter(status="active", completed_at__isnull=False).exists()


def test_offline_hours_say_what_the_training_was_and_who_entered_them(seeded, db):
    from courses.models import CreditRecord

    offline = CreditRecord.objects.filter(source="offline").select_related("entered_by__user")
    assert offline.exists()
    for record in offline:
        assert record.reason
        assert record.entered_by is not None
        assert record.entered_by.user.username in {"hr", "admin"}
        assert record.created_at >= record.awarded_at
    hangzhou = OrgUnit.objects.get(code="330100")
    in_hangzhou = offline.filter(person__org_unit__path__startswith=hangzhou.path)
    assert set(in_hangzhou.values_list("entered_by__user__username", flat=True)) == {"hr"}


def test_the_ledgers_credit_year_decides_at_the_turn_of_the_year(seeded, db):
    from courses.models import CreditRecord

    year = this_year()
    shanghai = timezone.get_default_timezone()
    eve = datetime(year - 1, 12, 31, 23, 59, 30, tzinfo=shanghai)
    new_year = datetime(year, 1, 1, 0, 0, 30, tzinfo=shanghai)
    assert CreditRecord.objects.get(awarded_at=eve).credit_year == year - 1
    if not this_year_has_begun():
        return
    first = CreditRecord.objects.get(awarded_at=new_year)
    # In UTC the first minute of the year is still last year: the ledger's field counts.
    assert first.awarded_at.astimezone(UTC).year == year - 1
    assert first.credit_year == year
    assert CreditRecord.objects.filter(pk=first.pk, credit_year=year).exists()


def test_this_year_has_overdue_mandatory_training(seeded, db):
    from courses.models import Enrolment, TrainingPlan

    today = timezone.localdate()
    if today < date(today.year, 1, 15):
        pytest.skip("in the first two weeks of a year nothing of the year is overdue yet")
    overdue = Enrolment.objects.filter(
        mandatory=True, status="active", due_date__lt=today, due_date__year=today.year
    )
    assert overdue.count() >= 20
    plan = TrainingPlan.objects.get(credit_year=today.year, due_date__lt=today)
    assert plan.is_active and plan.ranks
    assert plan.enrolments.filter(status="completed").exists()


def test_units_are_ahead_and_behind_by_the_target_rate(seeded, db):
    year = this_year()
    for ahead in ("330100", "330200"):  # 杭州市, 宁波市
        assert target_rate(ahead, year - 1) >= 0.8
        assert target_rate(ahead, year) >= 0.5 or not this_year_has_begun()
    # 衢州市, 丽水市, 浙江省公安厅, 浙江省交通运输厅
    for behind in ("330800", "331100", "330000-d05", "330000-d09"):
        assert target_rate(behind, year - 1) < 0.3
        assert target_rate(behind, year) < 0.3


def test_some_units_have_not_started_this_year_and_some_people_have_no_hours(seeded, db):
    from courses.models import CreditRecord, LessonProgress

    year = this_year()
    stalled = OrgUnit.objects.get(code="330000-d13")  # 浙江省生态环境厅
    people = Person.objects.filter(org_unit__path__startswith=stalled.path)
    assert people.exists()
    assert not CreditRecord.objects.filter(person__in=people, credit_year=year).exists()
    assert not LessonProgress.objects.filter(
        enrolment__person__in=people, updated_at__year=year
    ).exists()
    assert CreditRecord.objects.filter(person__in=people, credit_year=year - 1).exists()
    credited = CreditRecord.objects.filter(credit_year=year).values("person")
    nothing = Person.objects.filter(is_active=True).exclude(pk__in=credited)
    assert nothing.count() >= 30
    # Some of them have begun a course: they took part without earning hours yet.
    assert (
        LessonProgress.objects.filter(enrolment__person__in=nothing, updated_at__year=year).exists()
        or not this_year_has_begun()
    )


def test_learning_piles_up_before_the_year_ends_and_pauses_for_the_spring_festival(seeded, db):
    from collections import Counter

    from courses.models import CreditRecord

    hours: Counter[int] = Counter()
    for awarded_at, credit in CreditRecord.objects.filter(credit_year=this_year() - 1).values_list(
        "awarded_at", "hours"
    ):
        hours[timezone.localtime(awarded_at).month] += int(credit)
    assert min(hours, key=lambda month: hours[month]) == 2
    assert hours[11] + hours[12] > 0.3 * sum(hours.values())


def test_the_demo_accounts_keep_their_own_state(seeded, db):
    from courses.models import CreditRecord, Enrolment

    learner = demo_person("learner")
    enrolments = Enrolment.objects.filter(person=learner).select_related("course")
    assert sorted(e.course.slug for e in enrolments) == sorted(DEMO.catalogue.plan.course_slugs)
    assert {e.course.slug: e.status for e in enrolments}["e-government-introduction"] == "active"
    credited = CreditRecord.objects.filter(person=learner).values_list("course__slug", flat=True)
    assert list(credited) == ["computer-and-network-basics"]
    others = [demo_person(username) for username in ("trainer", "hr", "admin")]
    assert not CreditRecord.objects.filter(person__in=others).exists()
    assert not Enrolment.objects.filter(person__in=others, status="completed").exists()
