"""The People pages in Debian's chromium: an HR officer filters the list by status, opens a
person's 学时档案, and prints it. axe-core finds no WCAG 2.1 A/AA violation on desktop or
phone, nothing makes the page scroll sideways (a wide table scrolls inside its .dash-scroll
box), and the print stylesheet leaves the header, tabs and forms off the paper.

Screenshots: var/screens/people-*.png.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from courses import services as courses_services
from courses.models import CreditTarget, TrainingPlan
from dashboards.refresh import refresh_due
from exams import services as exam_services
from org.models import Person
from tests import factories
from tests.conftest import VIEWPORTS, WCAG_AA, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def city(tree: factories.Tree, hangzhou_hr: Person) -> dict[str, Any]:
    """A Hangzhou with people in every state and one full record; built before Playwright
    starts (see the browser fixture)."""
    today = timezone.localdate()
    CreditTarget.objects.create(org_unit=tree.hangzhou, credit_year=today.year, hours=Decimal("24"))
    units = [tree.xihu_it_section, tree.xihu_data_bureau, tree.binjiang_hr_bureau, tree.hangzhou]
    people = []
    for number in range(14):
        person = factories.person_create(
            unit=units[number % len(units)],
            real_name=["欧阳晓明", "张伟", "李娜", "王芳", "诸葛明远"][number % 5] + f"{number}",
            employee_number=f"HZ-{number:04d}",
            rank=["clerk_1", "principal_clerk_2", "researcher_4", ""][number % 4],
            position="科员",
        )
        hours = ["0", "6", "30", "12.5"][number % 4]
        if hours != "0":
            courses_services.credit_record_offline(
                person=person,
                hours=Decimal(hours),
                reason="全省数字政府建设专题培训班（线下，三天）",
                awarded_on=today,
                reference=f"ZJ-{today.year}-{number:03d}",
                entered_by=hangzhou_hr,
            )
        people.append(person)
    star = people[1]
    plan = TrainingPlan.objects.create(
        name=f"{today.year}年度公务员网络安全必修计划",
        org_unit=tree.hangzhou,
        credit_year=today.year,
        due_date=max(today - timedelta(days=1), today.replace(month=1, day=1)),
        mandatory=True,
        created_by=hangzhou_hr,
    )
    courses_services.enrolment_create(
        person=star,
        course=factories.course_create(title="网络安全等级保护制度解读", lessons=1),
        source="plan",
        training_plan=plan,
        mandatory=True,
        due_date=plan.due_date,
    )
    course = factories.course_create(title="电子政务概论", hours="2.0", lessons=1)
    factories.certificate_for(factories.course_complete(person=star, course=course))
    category = factories.question_category(name="浏览器题库")
    exam = factories.exam_create(questions=[factories.question_single(category)])
    attempt = exam_services.attempt_start(exam=exam, person=star)
    exam_services.answer_save(attempt=attempt, position=1, response="c")
    exam_services.attempt_submit(attempt=attempt)
    refresh_due()
    connection.close()  # hand the live server a clean start
    return {"star": star}


def check(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    sideways = page.evaluate(SIDEWAYS)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    assert results.response["passes"], "axe-core checked nothing"
    assert results.violations_count == 0, results.generate_report()
    assert sideways <= 0, f"{name} scrolls sideways by {sideways}px"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_officer_filters_the_list_and_opens_a_record(city, live_server, browser, viewport):
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    sign_in(page, live_server.url, "hzhr", factories.PASSWORD)

    page.goto(live_server.url + "/hr/people/")
    everyone = page.locator("table.dash-people tbody tr").count()
    check(page, f"people-list-{viewport}")
    page.locator("#dash-status").select_option("behind")
    page.locator("#dash-status").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url("**status=behind**")
    behind = page.locator("table.dash-people tbody tr").count()
    table = page.locator(".dash-scroll").first.evaluate(
        "(box) => [box.scrollWidth, box.clientWidth]"
    )
    check(page, f"people-list-behind-{viewport}")

    page.get_by_role("link", name=city["star"].real_name, exact=True).click()
    page.wait_for_url(f"**/hr/people/{city['star'].pk}/**")
    print_button = page.locator("[data-print]").is_visible()
    check(page, f"people-record-{viewport}")
    context.close()

    assert everyone == 15  # the officer and the fourteen
    assert 0 < behind < everyone
    if viewport == "phone":
        assert table[0] > table[1], "on a phone the table scrolls inside its box"
    assert print_button, "with JavaScript the record has a print button"


def test_the_record_prints_without_the_site_around_it(city, live_server, browser):
    # A4 is 794 CSS pixels wide at 96 dpi.
    context = browser.new_context(locale="zh-CN", viewport={"width": 794, "height": 1123})
    page = context.new_page()
    sign_in(page, live_server.url, "hzhr", factories.PASSWORD)
    page.goto(live_server.url + f"/hr/people/{city['star'].pk}/")

    page.emulate_media(media="print")
    hidden = {
        selector: page.locator(selector).first.is_visible()
        for selector in (".site-header", ".dash-tabs", "form.dash-filters", "[data-print]")
    }
    shown = page.locator("h1").is_visible() and page.locator("table").first.is_visible()
    sideways = page.evaluate(SIDEWAYS)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "people-record-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=False)
    context.close()

    assert hidden == dict.fromkeys(hidden, False), hidden
    assert shown
    assert sideways <= 0
    assert pdf.startswith(b"%PDF")


def test_without_javascript_the_record_says_how_to_print(city, live_server, browser):
    context = browser.new_context(
        locale="zh-CN", viewport=VIEWPORTS["phone"], java_script_enabled=False
    )
    page = context.new_page()
    sign_in(page, live_server.url, "hzhr", factories.PASSWORD)
    page.goto(live_server.url + f"/hr/people/{city['star'].pk}/")

    button = page.locator("[data-print]").is_visible()
    hint = page.locator("p.hint.dash-noprint").first.inner_text()
    context.close()

    assert not button
    assert "打印" in hint and "浏览器" in hint
