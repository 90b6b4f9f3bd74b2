"""The course editor in a real browser: a "Save draft" clicked while Wagtail's autosave is
still on its way creates one course, not a second one refused for its duplicate slug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from courses.models import CoursePage
from org import services
from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots" / "courses"


@pytest.fixture
def trainer(learner: Any) -> Any:
    services.role_grant(person=learner, role="trainer")
    connection.close()  # hand the live server a clean start
    return learner


def test_save_draft_during_an_autosave_creates_one_course(trainer, live_server, browser):
    add_url = f"/admin/pages/add/courses/coursepage/{factories.catalogue().pk}/"
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    sign_in(page, live_server.url, "learner", factories.PASSWORD)

    held: list[Any] = []  # autosave posts held back, as a slow server would
    posts: list[tuple[str, str]] = []

    def route(request_route: Any) -> None:
        request = request_route.request
        if request.method == "POST":
            json = "application/json" in (request.headers.get("accept") or "")
            posts.append((request.url, "autosave" if json else "save"))
            if json and not held:
                held.append(request_route)
                return
        request_route.continue_()

    page.route("**/admin/pages/**", route)
    statuses: list[int] = []
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.request.method == "POST" else None,
    )
    page.goto(live_server.url + add_url)
    page.wait_for_timeout(2500)  # the editor notes the blank form first
    page.locator("#id_title").press_sequentially("政务数据安全治理实务", delay=30)
    page.locator("#id_summary").fill("数据安全")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "Wagtail's autosave posted the new page"

    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_timeout(800)
    assert [kind for _url, kind in posts] == ["autosave"], "the save waits for the autosave"
    # The autosave lands; the held save then goes to the new page's edit view.
    held[0].continue_()
    for _ in range(150):
        if len(posts) > 1:
            break
        page.wait_for_timeout(100)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert [kind for _url, kind in posts][:2] == ["autosave", "save"]
    assert "/edit/" in posts[1][0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-course-saved-trainer-desktop.png"), full_page=True)

    creates = [url for url, _kind in posts if "/add/" in url]
    assert len(creates) == 1, posts
    assert 400 not in statuses and 500 not in statuses
    assert errors == []
    courses = list(CoursePage.objects.filter(title="政务数据安全治理实务"))
    assert len(courses) == 1
    assert courses[0].slug == "zheng-wu-shu-ju-an-quan-zhi-li-shi-wu"
