"""An exam in a real browser: answers given offline are queued, sent on reconnect, graded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from exams import services
from exams.models import Answer, Attempt
from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def exam(learner: Any) -> Any:
    category = factories.question_category()
    questions = [
        factories.question_single(category, stem=f"第{i}题：等级保护共分几级？")
        for i in range(1, 4)
    ]
    exam = factories.exam_create(
        questions=questions, shuffle_questions=False, shuffle_options=False
    )
    connection.close()
    return exam


def test_answers_given_offline_are_sent_on_reconnect_and_graded(
    learner, exam, live_server, browser
):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "learner", factories.PASSWORD)

    page.goto(f"{live_server.url}/exams/{exam.pk}/")
    page.locator("#start button[type=submit]").click()
    page.locator("#q1").wait_for()
    page.locator('#q1 input[value="c"]').check()
    page.locator("#q1 .save-state", has_text="已保存").wait_for(timeout=10_000)

    context.set_offline(True)  # the page hears "offline" from the browser itself
    page.locator('#q2 input[value="c"]').check()
    page.locator('#q3 input[value="c"]').check()
    page.locator("#exam-status", has_text="答案暂存在本设备上").wait_for(timeout=10_000)
    assert Answer.objects.count() == 1  # the two offline answers wait on the device
    page.screenshot(path=str(SCREENSHOTS / "exam-offline.png"), full_page=True)

    context.set_offline(False)
    # Only once the page says everything is sent does the test look at the database: the
    # live server shares SQLite's in-memory connection with this thread.
    page.locator("#exam-status", has_text="网络已恢复").wait_for(timeout=10_000)
    assert Answer.objects.count() == 3

    page.get_by_role("button", name="交卷").click()
    page.wait_for_url("**/result/")
    assert "已通过" in page.content()
    attempt = Attempt.objects.get()
    assert attempt.state == "graded"
    assert attempt.score == attempt.max_score == 3
    context.close()


def test_extra_time_given_during_the_attempt_keeps_the_page_from_submitting_at_zero(
    learner, exam, live_server, browser
):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "learner", factories.PASSWORD)
    page.goto(f"{live_server.url}/exams/{exam.pk}/")
    page.locator("#start button[type=submit]").click()
    page.locator("#q1").wait_for()
    attempt = Attempt.objects.get()
    # The page is loaded with 3 seconds left; then a trainer grants 10 more minutes.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.reload()
    page.locator("#q1").wait_for()
    services.exam_override_set(exam=exam, person=learner, extra_minutes=10, extra_attempts=0)
    connection.close()

    page.wait_for_timeout(6_000)  # past the zero the page was loaded with

    assert "/result/" not in page.url
    assert page.locator("#countdown").inner_text().startswith(("39:", "40:"))
    attempt.refresh_from_db()
    assert attempt.state == "in_progress"

    # Without extra time, zero submits what was saved.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    connection.close()
    page.reload()
    page.wait_for_url("**/result/", timeout=15_000)
    attempt.refresh_from_db()
    assert attempt.state in ("submitted", "graded")
    context.close()
