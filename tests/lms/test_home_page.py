"""The home page: the learner's front page (this year's 学时, where to go on, what is due,
exams to sit, certificates), staff links, the visitor's welcome; bounded queries."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses import services as course_services
from courses.models import (
    CreditTarget,
    Enrolment,
    LearningRules,
    LessonPage,
    LessonProgress,
    TrainingPlan,
)
from exams import services as exam_services
from exams.models import ExamOverride
from lms import home
from org import services as org_services
from org.models import Person, Role
from tests import factories
from tests.conftest import sign_in as browser_sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sign_in(client, person: Person) -> None:
    client.force_login(person.user)


def text_of(response) -> str:
    """The page's text without tags and with runs of white space as one space."""
    page = response.content.decode()
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", page)


def section(response, css_class: str) -> str:
    """The text of one block of the home page (<section class="card css_class">...)."""
    page = response.content.decode()
    match = re.search(rf'<(section|nav) class="card {css_class}"(.*?)</\1>', page, flags=re.DOTALL)
    assert match, f"no {css_class} block"
    return re.sub(r"\s+", " ", match.group(0))


def plan_for(
    person: Person, *, name: str = "2026年度必修", due: str = "2026-12-31"
) -> TrainingPlan:
    return TrainingPlan.objects.create(
        name=name,
        org_unit=person.org_unit,
        credit_year=int(due[:4]),
        due_date=datetime.fromisoformat(due).date(),
        mandatory=True,
        created_by=person,
    )


def assign(person: Person, course, *, due: str, mandatory: bool = True) -> Enrolment:
    plan = plan_for(person, due=due)
    return course_services.enrolment_create(
        person=person,
        course=course,
        source="plan",
        training_plan=plan,
        mandatory=mandatory,
        due_date=plan.due_date,
    )


def study(enrolment: Enrolment, *, lessons_done: int, when: datetime) -> None:
    """Open the course's lessons and complete the first ``lessons_done``, at ``when``."""
    lessons = list(LessonPage.objects.child_of(enrolment.course).live().order_by("path"))
    for index, lesson in enumerate(lessons[: max(lessons_done, 1)]):
        progress = LessonProgress.objects.create(
            enrolment=enrolment,
            lesson=lesson,
            engaged_seconds=60,
            completed_at=when if index < lessons_done else None,
        )
        # updated_at is auto_now: set the study time the way the heartbeats would have.
        LessonProgress.objects.filter(pk=progress.pk).update(updated_at=when)
    enrolment.last_lesson = lessons[max(lessons_done, 1) - 1]
    enrolment.save(update_fields=["last_lesson"])


def open_exam(*, title: str = "信息安全考试", attempts: int = 2, **fields):
    category = factories.question_category(name=f"题库-{title}")
    exam = factories.exam_create(
        questions=[factories.question_single(category)], attempts=attempts, **fields
    )
    exam.title = title
    exam.save(update_fields=["title"])
    return exam


# --- visitors and people without a record ---------------------------------------------------


def test_a_visitor_sees_the_welcome_sign_in_and_certificate_verification(client, db):
    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="/accounts/login/?next=/"' in page
    assert 'href="/verify/"' in page
    assert "验证证书" in page
    assert "继续学习" not in page


def test_a_login_without_a_personnel_record_is_told_so_and_staff_get_their_links(client, db):
    from django.contrib.auth.models import User

    user = User.objects.create_superuser("root", password=factories.PASSWORD)
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 200
    assert _("Your account has no personnel record") in text_of(response)
    assert 'href="/admin/"' in section(response, "home-work")


# --- the learner's blocks ------------------------------------------------------------------


def test_a_new_learner_with_nothing_yet_sees_a_plain_sentence_in_every_block(client, learner):
    rules = LearningRules.load()
    rules.default_annual_target_hours = Decimal("0")
    rules.save()
    sign_in(client, learner)

    response = client.get("/")

    assert response.status_code == 200
    assert "欢迎您，张晓明" in text_of(response)
    assert _("No annual target is set for you this year.") in section(response, "home-credits")
    assert _("You have no course in progress.") in section(response, "home-resume")
    assert _("No assigned training waits for you.") in section(response, "home-due")
    assert _("No exam is open to you right now.") in section(response, "home-exams")
    assert _("No certificate yet.") in section(response, "home-certificates")
    assert "home-work" not in response.content.decode()


def test_the_credit_block_shows_this_years_hours_against_the_persons_own_target(
    client, learner, tree
):
    year = timezone.localdate().year
    # The rule lives in courses: the deepest unit above the person, a rank match first.
    CreditTarget.objects.create(org_unit=tree.province, credit_year=year, hours=Decimal("50"))
    CreditTarget.objects.create(
        org_unit=tree.xihu, credit_year=year, rank=learner.rank, hours=Decimal("40")
    )
    factories.course_complete(person=learner, course=factories.course_create(hours="10.0"))
    sign_in(client, learner)

    block = section(client.get("/"), "home-credits")

    assert _("Credit hours in %(year)s") % {"year": year} in block
    assert "<strong>10.0</strong>" in block
    assert _("target %(target)s") % {"target": "40.0"} in block
    assert 'aria-valuenow="25"' in block
    assert _("%(remaining)s credit hours to go") % {"remaining": "30.0"} in block
    assert 'href="/learning/credits/"' in block


def test_the_credit_year_is_the_calendar_year_in_shanghai(learner):
    course = factories.course_create(hours="3.0")
    # 23:30 on 31 December in Shanghai is 15:30 UTC: it still counts for that year.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI)
    factories.course_complete(person=learner, course=course, now=late)

    on_new_years_eve = home.learner_home(learner, now=late + timedelta(minutes=20))
    after_midnight = home.learner_home(learner, now=late + timedelta(minutes=40))

    assert (on_new_years_eve.credits.year, on_new_years_eve.credits.earned) == (2026, 3)
    assert (after_midnight.credits.year, after_midnight.credits.earned) == (2027, 0)


def test_continue_learning_lists_the_three_courses_studied_last_with_the_next_lesson(
    client, learner
):
    now = timezone.now()
    courses = [factories.course_create(title=f"课程{n}", lessons=3) for n in range(5)]
    enrolments = [
        course_services.enrolment_create(person=learner, course=c, source="elective")
        for c in courses
    ]
    for age, enrolment in enumerate(enrolments[:4]):
        study(enrolment, lessons_done=1, when=now - timedelta(hours=age))
    # The newest one is finished: it is not "in progress" any more.
    finished = factories.course_complete(person=learner, course=factories.course_create())
    LessonProgress.objects.filter(enrolment=finished).update(updated_at=now)
    sign_in(client, learner)

    block = section(client.get("/"), "home-resume")

    titles = re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", block)
    assert titles == ["课程0", "课程1", "课程2"]
    second_lesson = LessonPage.objects.child_of(courses[0]).live().order_by("path")[1]
    assert f'href="{second_lesson.url}"' in block
    assert "第2课" in block
    assert 'aria-valuenow="33"' in block


def test_the_next_lesson_is_the_first_not_done_after_the_last_one_opened(learner):
    course = factories.course_create(lessons=3)
    enrolment = course_services.enrolment_create(person=learner, course=course, source="elective")
    lessons = list(LessonPage.objects.child_of(course).live().order_by("path"))
    now = timezone.now()
    # Lessons 2 and 3 done, lesson 1 skipped, lesson 3 opened last: go back to lesson 1.
    for lesson in lessons[1:]:
        LessonProgress.objects.create(enrolment=enrolment, lesson=lesson, completed_at=now)
    enrolment.last_lesson = lessons[2]
    enrolment.save(update_fields=["last_lesson"])

    [resume] = home.learner_home(learner).resume

    assert resume.resume.next_lesson == lessons[0]


def test_to_do_lists_assigned_mandatory_training_soonest_first_with_overdue_marked(client, learner):
    today = timezone.localdate()
    later = assign(
        learner, factories.course_create(title="数据安全"), due=str(today + timedelta(days=30))
    )
    overdue = assign(
        learner, factories.course_create(title="保密常识"), due=str(today - timedelta(days=2))
    )
    soon = assign(
        learner, factories.course_create(title="政务公开"), due=str(today + timedelta(days=3))
    )
    assign(learner, factories.course_create(title="选学课程"), due=str(today), mandatory=False)
    course_services.enrolment_create(
        person=learner, course=factories.course_create(title="自选课程"), source="elective"
    )
    done = assign(learner, factories.course_create(title="已学完"), due=str(today))
    factories.course_complete(person=learner, course=done.course)
    sign_in(client, learner)

    block = section(client.get("/"), "home-due")

    titles = re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", block)
    assert titles == ["保密常识", "政务公开", "数据安全"]
    assert block.count("已逾期") == 1
    assert re.search(r'<li class="overdue">\s*<h3><a [^>]*>保密常识', block)
    assert f'href="{overdue.course.url}"' in block
    assert (today + timedelta(days=3)).isoformat() in block
    del later, soon


def test_exams_open_now_show_attempts_left_and_closing_time_by_the_exams_rule(client, learner):
    now = timezone.now()
    open_one = open_exam(title="等级保护考试", attempts=2, closes_at=now + timedelta(days=2))
    exam_services.attempt_start(exam=open_one, person=learner)
    never_closes = open_exam(title="常设练习", attempts=1)
    used_up = open_exam(title="已用完", attempts=1)
    exam_services.attempt_start(exam=used_up, person=learner)
    exam_services.attempt_submit(attempt=used_up.attempts.get(person=learner))
    extra = open_exam(title="加次考试", attempts=1)
    exam_services.attempt_submit(attempt=exam_services.attempt_start(exam=extra, person=learner))
    ExamOverride.objects.create(exam=extra, person=learner, extra_attempts=1)
    open_exam(title="未开始", opens_at=now + timedelta(days=1))
    open_exam(title="已结束", opens_at=now - timedelta(days=3), closes_at=now - timedelta(hours=1))
    # Passed, with an attempt left: done, not a thing to do (My exams still offers a retake).
    passed = open_exam(title="已通过", attempts=3, shuffle_options=False)
    attempt = exam_services.attempt_start(exam=passed, person=learner)
    exam_services.answer_save(attempt=attempt, position=1, response="c")
    exam_services.attempt_submit(attempt=attempt)
    assert passed.attempts.get(person=learner).passed
    sign_in(client, learner)

    block = section(client.get("/"), "home-exams")

    titles = re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", block)
    assert titles == ["等级保护考试", "加次考试", "常设练习"]  # closing soonest, then by title
    # The started attempt is open: it can be resumed, and one attempt is left after it.
    assert _("Attempt in progress") in block
    assert (
        ngettext("%(counter)s attempt left", "%(counter)s attempts left", 1) % {"counter": 1}
        in block
    )
    closes = timezone.localtime(open_one.closes_at).strftime("%Y-%m-%d %H:%M")
    assert closes in block
    assert f'href="/exams/{open_one.pk}/"' in block
    assert f'href="/exams/{never_closes.pk}/"' in block


def test_latest_certificates_are_listed_with_a_link_to_my_certificates(client, learner):
    for title in ("电子政务概论", "信息安全保障体系"):
        enrolment = factories.course_complete(
            person=learner, course=factories.course_create(title=title)
        )
        factories.certificate_for(enrolment)
    sign_in(client, learner)

    block = section(client.get("/"), "home-certificates")

    assert "电子政务概论" in block
    assert "信息安全保障体系" in block
    assert 'href="/certificates/"' in block


# --- the profile card and staff links ----------------------------------------------------


def test_the_profile_card_keeps_name_unit_path_and_roles(client, learner):
    sign_in(client, learner)

    page = text_of(client.get("/"))

    assert "浙江省 › 杭州市 › 西湖区 › 西湖区数据资源管理局 › 信息化科" in page
    assert "学员" in page
    assert "二级主任科员" in page


def test_a_learner_sees_no_staff_links(client, learner):
    sign_in(client, learner)

    page = client.get("/").content.decode()

    assert "/hr/plans/" not in page.split("</header>")[1]
    assert 'href="/admin/"' not in page.split("</header>")[1]


def test_an_hr_officer_sees_links_to_their_hr_pages(client, xihu_hr):
    sign_in(client, xihu_hr)

    block = section(client.get("/"), "home-work")

    for url in ("/hr/plans/", "/hr/offline-credit/", "/hr/certificates/", "/audit/"):
        assert f'href="{url}"' in block
    assert 'href="/admin/"' in block
    assert "/admin/exams/grading/" not in block


def test_a_trainer_sees_the_admin_grading_and_question_import(client, tree):
    trainer = factories.person_create(unit=tree.provincial_hr_department, username="trainer")
    org_services.role_grant(person=trainer, role=Role.TRAINER)
    sign_in(client, trainer)

    block = section(client.get("/"), "home-work")

    assert 'href="/admin/"' in block
    assert 'href="/admin/exams/grading/"' in block
    assert 'href="/admin/exams/import/"' in block
    assert "/hr/plans/" not in block


def test_a_platform_administrator_also_gets_the_system_administration(client, platform_admin):
    sign_in(client, platform_admin)

    block = section(client.get("/"), "home-work")

    assert 'href="/hr/plans/"' in block
    assert 'href="/django-admin/"' in block


# --- queries -----------------------------------------------------------------------------


def busy_learner(learner: Person, *, n: int) -> None:
    """``n`` of everything: studied courses, assigned courses, open exams, certificates."""
    now = timezone.now()
    for index in range(n):
        studied = course_services.enrolment_create(
            person=learner, course=factories.course_create(lessons=2), source="elective"
        )
        study(studied, lessons_done=1, when=now - timedelta(minutes=index))
        assign(
            learner,
            factories.course_create(),
            due=str(timezone.localdate() + timedelta(days=index - 1)),
        )
        exam = open_exam(title=f"考试{index}", closes_at=now + timedelta(days=index + 1))
        exam_services.attempt_start(exam=exam, person=learner)
        factories.certificate_for(
            factories.course_complete(person=learner, course=factories.course_create())
        )


def count_home_queries(client, django_assert_max_num_queries, limit: int) -> None:
    with django_assert_max_num_queries(limit):
        assert client.get("/").status_code == 200


# The user, the session's refresh and Wagtail's routing take nine; the person, roles and
# unit path three; the enrolments with their progress and this year's hours (records,
# target, rules) six, where to go on two, exams with their allowances three, certificates one.
HOME_QUERIES = 24


def test_the_home_page_of_a_busy_learner_stays_within_a_fixed_number_of_queries(
    client, learner, django_assert_max_num_queries
):
    busy_learner(learner, n=2)
    sign_in(client, learner)
    # The catalogue's address is cached from the first page on, for five minutes: start
    # that time now, or a key set by an earlier test could expire between the two counts.
    cache.delete("lms:catalogue-url")
    client.get("/")
    count_home_queries(client, django_assert_max_num_queries, HOME_QUERIES)

    busy_learner(learner, n=4)

    count_home_queries(client, django_assert_max_num_queries, HOME_QUERIES)
    page = client.get("/").content.decode()
    assert page.count("home-list") == 4


def test_the_number_of_queries_does_not_grow_with_the_number_of_items(client, learner):
    sign_in(client, learner)
    busy_learner(learner, n=1)
    client.get("/")  # caches warm (the catalogue's address)
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    busy_learner(learner, n=5)
    # Warm again: the new courses and exams rightly invalidate cached facts (which cache a
    # test before this one left filled differs), and only growth per item is measured here.
    client.get("/")
    with CaptureQueriesContext(connection) as many:
        client.get("/")

    # The session is written again once a while has passed since the last write (the idle
    # timeout's bookkeeping): a matter of the clock, not of the page, so it is not counted.
    def page_queries(captured: CaptureQueriesContext) -> list[str]:
        return [
            query["sql"][:160]
            for query in captured.captured_queries
            if "django_session" not in query["sql"] and "SAVEPOINT" not in query["sql"]
        ]

    assert len(page_queries(many)) == len(page_queries(few)), "\n".join(
        difflib.unified_diff(page_queries(few), page_queries(many), lineterm="")
    )


# --- in a browser: phone and desktop, without JavaScript, axe-core's WCAG 2.1 A/AA ----------

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots" / "home"
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture
def busy_home(learner: Person, xihu_hr: Person) -> dict[str, str]:
    """Something in every block; made before Playwright starts (see the browser fixture)."""
    today = timezone.localdate()
    now = timezone.now()
    studied = course_services.enrolment_create(
        person=learner,
        course=factories.course_create(title="电子政务概论", lessons=3),
        source="elective",
    )
    study(studied, lessons_done=1, when=now)
    assign(learner, factories.course_create(title="保密常识"), due=str(today - timedelta(days=1)))
    assign(learner, factories.course_create(title="数据安全"), due=str(today + timedelta(days=20)))
    open_exam(title="信息安全考试", closes_at=now + timedelta(days=5))
    factories.certificate_for(
        factories.course_complete(person=learner, course=factories.course_create(title="网络基础"))
    )
    CreditTarget.objects.create(
        org_unit=learner.org_unit, credit_year=today.year, hours=Decimal("24")
    )
    connection.close()  # hand the live server a clean start
    return {"learner": "learner", "hr": "xihuhr"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("who", ["learner", "hr", "visitor"])
def test_the_home_page_reads_well_and_passes_axe_on_phone_and_desktop(
    busy_home, live_server, browser, who, viewport
):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    if who != "visitor":
        browser_sign_in(page, live_server.url, busy_home[who], factories.PASSWORD)
    page.goto(live_server.url + "/")

    results = Axe().run(page, options=WCAG_AA)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"test-{who}-{viewport}.png"), full_page=True)
    context.close()

    assert results.response["passes"], "axe-core checked nothing"
    assert results.violations_count == 0, results.generate_report()
    assert overflow <= 0, "the page scrolls sideways"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_javascript_every_block_and_link_is_there(busy_home, live_server, browser):
    context = browser.new_context(
        locale="zh-CN", viewport=VIEWPORTS["phone"], java_script_enabled=False
    )
    page = context.new_page()
    browser_sign_in(page, live_server.url, "learner", factories.PASSWORD)
    page.goto(live_server.url + "/")

    headings = page.locator("main h2").all_inner_texts()
    page.get_by_role("link", name=re.compile("第2课")).click()
    landed = page.url
    context.close()

    assert headings[:5] == [
        _("Credit hours in %(year)s") % {"year": timezone.localdate().year},
        _("Continue learning"),
        _("To do"),
        _("Exams open to you"),
        _("Latest certificates"),
    ]
    assert "/lesson-" in landed
