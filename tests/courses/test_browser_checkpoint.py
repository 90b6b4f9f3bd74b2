"""Checkpoint answers in a real browser: checked in place, no reload, the choice kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from courses import services
from courses.models import LessonProgress
from courses.selectors import course_lessons
from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots" / "courses"


@pytest.fixture
def lesson(learner: Any) -> Any:
    course = factories.course_create(lessons=1, checkpoint=True)
    services.enrolment_elect(person=learner, course=course)
    connection.close()
    return course_lessons(course)[0]


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_wrong_then_right_answer_shows_in_the_checkpoint_without_a_reload(
    lesson, live_server, browser, viewport
):
    width, height = viewport
    page = browser.new_page(locale="zh-CN", viewport={"width": width, "height": height})
    sign_in(page, live_server.url, "learner", factories.PASSWORD)
    page.goto(live_server.url + lesson.url)
    page.evaluate("window.notReloaded = true")
    checkpoint = page.locator(".checkpoint")

    checkpoint.get_by_label("政府对政府").check()
    checkpoint.get_by_role("button", name="提交答案").click()
    alert = checkpoint.get_by_role("alert")
    alert.wait_for()
    assert "回答不正确" in alert.inner_text()
    assert checkpoint.get_by_label("政府对政府").is_checked()
    assert page.evaluate("window.notReloaded") is True
    SHOTS.mkdir(parents=True, exist_ok=True)
    checkpoint.screenshot(path=str(SHOTS / f"checkpoint-wrong-learner-{width}.png"))

    checkpoint.get_by_label("政府对公民").check()
    checkpoint.get_by_role("button", name="提交答案").click()
    checkpoint.get_by_role("status").wait_for()
    assert "回答正确" in checkpoint.inner_text() and "C 是 citizen。" in checkpoint.inner_text()
    assert page.evaluate("window.notReloaded") is True
    assert LessonProgress.objects.get().checkpoints_passed == [next(iter(lesson.checkpoints()))]
