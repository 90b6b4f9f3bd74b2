"""The exam on a phone (390x844) and a desktop (1366x900): a compact sticky bar, a question
the navigator jumps to starts below it, and long stems wrap inside their card (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots" / "exams"
LONG = (
    "根据《中华人民共和国网络安全法》和网络安全等级保护制度的要求，"
    "关键信息基础设施的运营者在采购网络产品和服务时，应当如何处理可能影响国家安全的情形？"
)


@pytest.fixture
def exam(learner: Any) -> Any:
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{i}题：{LONG}") for i in range(1, 11)]
    exam = factories.exam_create(
        questions=questions, shuffle_questions=False, shuffle_options=False
    )
    connection.close()
    return exam


def _started(browser: Any, live_server: Any, exam: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    sign_in(page, live_server.url, "learner", factories.PASSWORD)
    page.goto(f"{live_server.url}/exams/{exam.pk}/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"start-{viewport['width']}.png"), full_page=True)
    page.locator("#start button[type=submit]").click()
    page.locator("#q1").wait_for()
    # exam.js is deferred: it has run once it has measured the bar.
    page.wait_for_function(
        # A function, not an expression: Playwright polls an expression with eval(), which
        # the portal's Content-Security-Policy refuses once the first check fails.
        "() => document.getElementById('exam').style.getPropertyValue('--exam-head-height') !== ''"
    )
    page.screenshot(path=str(SHOTS / f"attempt-{viewport['width']}.png"))
    return context, page


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def test_on_a_phone_the_bar_is_one_line_and_a_jumped_to_question_shows_below_it(
    learner, exam, live_server, browser
):
    context, page = _started(browser, live_server, exam, {"width": 390, "height": 844})

    assert _box(page, "#exam-head")["height"] <= 64
    # The stem is several lines long: its legend stays inside the card.
    legend, card = _box(page, "#q1 legend"), _box(page, "#q1")
    assert legend["y"] >= card["y"] and legend["height"] > 40
    assert legend["x"] + legend["width"] <= card["x"] + card["width"]

    page.locator("#navigator-box summary").click()
    page.screenshot(path=str(SHOTS / "attempt-390-navigator.png"))
    page.locator('[data-nav="7"]').click()
    page.wait_for_timeout(300)

    head = _box(page, "#exam-head")
    question = _box(page, "#q7")
    assert head["height"] <= 64  # the navigator folded away again
    assert question["y"] >= head["y"] + head["height"], (question, head)
    assert question["y"] < 844 / 2
    page.screenshot(path=str(SHOTS / "attempt-390-jumped.png"))
    context.close()


def test_on_a_desktop_the_navigator_is_open_and_a_jump_clears_the_bar(
    learner, exam, live_server, browser
):
    context, page = _started(browser, live_server, exam, {"width": 1366, "height": 900})

    assert page.locator("#navigator-box").get_attribute("open") is not None
    page.locator('[data-nav="8"]').click()
    page.wait_for_timeout(300)

    head = _box(page, "#exam-head")
    question = _box(page, "#q8")
    assert question["y"] >= head["y"] + head["height"], (question, head)
    page.screenshot(path=str(SHOTS / "attempt-1366-jumped.png"))
    context.close()
