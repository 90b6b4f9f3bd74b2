"""The courses tab and a training plan's page in chromium, as an HR officer, on a phone and a
desktop: axe-core's WCAG 2.1 A/AA rules, no sideways scrolling of the page, screenshots in
var/screens/ to look at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from courses import services as course_services
from org.models import Person
from tests import factories
from tests.conftest import VIEWPORTS, WCAG_AA, sign_in
from tests.dashboards.test_courses import attempt, certificate, enrol

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"


@pytest.fixture
def busy_city(
    tree: factories.Tree,
    hangzhou_hr: Person,
    platform_admin: Person,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> dict[str, str]:
    """A year of courses in Hangzhou and a provincial plan with people overdue; made before
    Playwright starts (see the browser fixture)."""
    now = timezone.now()
    units = [tree.xihu_it_section, tree.xihu_data_bureau, tree.binjiang_hr_bureau]
    names = ["李明", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐峰"]
    people = [
        factories.person_create(unit=units[index % 3], real_name=name, password=None)
        for index, name in enumerate(names)
    ]
    titles = ["电子政务概论", "网络安全等级保护制度解读", "数据安全法与个人信息保护", "公文写作"]
    for number, title in enumerate(titles):
        course = factories.course_create(title=title, lessons=1)
        exam = factories.exam_create(questions=[], course=course) if number < 3 else None
        for index, person in enumerate(people[: 10 - 2 * number]):
            begun = now - timedelta(days=60 + 7 * index)
            done = begun + timedelta(days=3 + index) if index % 3 != 2 else None
            enrol(person, course, begun, done)
            if exam is not None and done is not None:
                attempt(exam, person, done, str(6 + index % 5), passed=index % 5 != 0)
            if done is not None and index % 2 == 0:
                certificate(person, course, timezone.localtime(done).date())
    due = timezone.localdate() - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        plan = course_services.training_plan_create(
            created_by=platform_admin,
            name="全省公务员年度必修计划",
            org_unit=tree.province,
            credit_year=due.year,
            due_date=due,
            courses=[factories.course_create(title="保密常识与保密技术防护", lessons=1)],
        )
    plan_course = plan.courses.get()
    for person in people[:4]:
        factories.course_complete(person=person, course=plan_course)
    connection.close()  # hand the live server a clean start
    return {"courses": "/hr/courses/", "plan": f"/hr/plans/{plan.pk}/"}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("which", ["courses", "plan"])
def test_the_page_reads_well_and_passes_axe(busy_city, live_server, browser, which, viewport):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    sign_in(page, live_server.url, "hzhr", factories.PASSWORD)
    page.goto(live_server.url + busy_city[which])

    results = Axe().run(page, options=WCAG_AA)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    headings = page.locator("main h2").all_inner_texts()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{which}-{viewport}.png"), full_page=True)
    context.close()

    assert results.response["passes"], "axe-core checked nothing"
    assert results.violations_count == 0, results.generate_report()
    assert overflow <= 0, "the page scrolls sideways"
    assert len(headings) >= 2
