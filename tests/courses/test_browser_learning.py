"""Learning in a real browser: genuine heartbeats complete a lesson; hidden or doubled tabs
earn nothing; the learner pages pass axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from courses import services
from courses.models import CreditTarget, LessonProgress
from courses.selectors import course_lessons
from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = factories.PASSWORD
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def fast_heartbeats(settings: Any) -> None:
    # Beats every 3 s instead of 15: the server still credits only real elapsed time.
    settings.LESSON_HEARTBEAT_SECONDS = 3


@pytest.fixture
def one_minute_course(learner: Any, tree: Any, fast_heartbeats: None) -> Any:
    course = factories.course_create(title="电子政务概论", hours="1.5", lessons=1, minutes=1)
    CreditTarget.objects.create(org_unit=tree.province, credit_year=2026, hours=10)
    connection.close()  # hand the live server a clean start
    return course


def engaged_seconds() -> int:
    return sum(LessonProgress.objects.values_list("engaged_seconds", flat=True))


def hide(page: Any) -> None:
    """What the browser does when a tab goes to the background or the screen locks."""
    page.evaluate(
        """() => {
            Object.defineProperty(
                document, "visibilityState", {value: "hidden", configurable: true}
            );
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


def test_a_learner_enrols_studies_until_heartbeats_complete_the_lesson_and_earns_hours(
    learner, one_minute_course, live_server, browser
):
    page = browser.new_page(locale="zh-CN")
    sign_in(page, live_server.url, "learner", PASSWORD)

    page.goto(live_server.url + one_minute_course.url)
    page.get_by_role("button", name="报名学习").click()
    page.get_by_role("link", name=re.compile("开始学习")).click()

    status = page.locator(".lesson-status .status-text")
    # Chinese once the catalogue has the new sentence (notes/po/courses.po), English until then.
    status.filter(has_text=re.compile("学习中|Studying")).wait_for(timeout=20_000)
    # Only genuine heartbeats over a real minute complete it (the server's clock decides).
    page.locator(".lesson-status .status-text", has_text="本课时已完成").wait_for(timeout=100_000)
    assert page.locator(".lesson-status .progress").get_attribute("aria-valuenow") == "100"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lesson-completed.png"), full_page=True)

    page.goto(live_server.url + "/learning/")
    assert "1.5" in page.locator(".credit-numbers").inner_text()
    assert page.locator(".credit-card .progress").get_attribute("aria-valuenow") == "15"
    assert page.locator(".enrolment .badge.ok").first.inner_text() == "已完成"
    page.screenshot(path=str(SCREENSHOTS / "my-learning.png"), full_page=True)


# Several tabs beat at once: on SQLite the live server's threads would share one in-memory
# connection, so this test runs on the PostgreSQL leg.
@pytest.mark.postgres
def test_a_hidden_page_and_a_second_tab_earn_nothing(
    learner, one_minute_course, live_server, browser
):
    context = browser.new_context(locale="zh-CN")
    first = context.new_page()
    sign_in(first, live_server.url, "learner", PASSWORD)
    first.goto(live_server.url + one_minute_course.url)
    first.get_by_role("button", name="报名学习").click()
    lesson_url = live_server.url + course_lessons(one_minute_course)[0].url
    first.goto(lesson_url)
    first.locator(".lesson-status .status-text", has_text=re.compile("学习中|Studying")).wait_for(
        timeout=20_000
    )

    hide(first)
    first.locator(".lesson-status .status-text", has_text="已暂停").wait_for(timeout=20_000)
    before = engaged_seconds()
    time.sleep(10)
    assert engaged_seconds() - before <= 3  # at most the part of a beat before hiding

    # A second tab of the same learner: only one of the two ever counts.
    second = context.new_page()
    started = time.monotonic()
    before = engaged_seconds()
    second.goto(lesson_url)
    third = context.new_page()
    third.goto(lesson_url)
    third.locator(".lesson-status .status-text", has_text=re.compile("学习中|Studying")).wait_for(
        timeout=20_000
    )
    second.locator(".lesson-status .status-text", has_text="另一个窗口").wait_for(timeout=20_000)
    time.sleep(9)
    elapsed = time.monotonic() - started
    assert engaged_seconds() - before <= elapsed + 1  # never two tabs' worth
    context.close()


@pytest.mark.parametrize("which", ["catalogue", "course", "lesson", "my_learning"])
def test_learner_pages_have_no_wcag_aa_violations(
    learner, one_minute_course, live_server, browser, which
):
    from axe_playwright_python.sync_playwright import Axe

    enrolment = services.enrolment_elect(person=learner, course=one_minute_course)
    assert enrolment.pk
    lesson = course_lessons(one_minute_course)[0]
    urls = {
        "catalogue": "/courses/",
        "course": one_minute_course.url,
        "lesson": lesson.url,
        "my_learning": "/learning/",
    }
    connection.close()
    page = browser.new_page(locale="zh-CN")
    sign_in(page, live_server.url, "learner", PASSWORD)
    page.goto(live_server.url + urls[which])

    results = Axe().run(page, options=WCAG_AA)

    assert results.response["passes"], "axe-core checked nothing"
    assert results.violations_count == 0, results.generate_report()
