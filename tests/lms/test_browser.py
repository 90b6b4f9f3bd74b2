"""Browser smoke test: Debian's chromium, driven by Playwright, signs in as the demo learner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.browser import open_site_menu

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def demo_data(transactional_db: None) -> None:
    # Before Playwright starts: inside its event loop the ORM would open a second
    # connection that nothing closes.
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def browser_page(demo_data: None, browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_demo_learner_signs_in_and_sees_the_chinese_home_page(
    demo_data, live_server, browser_page
):
    page = browser_page

    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("link", name="登录").first.click()

    page.get_by_label("用户名").fill("learner")
    page.get_by_label("密码").fill("Xuexi@2026zj")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(live_server.url + "/")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "欢迎您，张晓明"
    assert "信息化科" in page.locator(".org-unit").inner_text()
    assert "学员" in page.locator(".roles").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "learner-home-mobile.png"), full_page=True)

    open_site_menu(page)
    page.get_by_role("button", name="退出登录").click()
    assert page.get_by_role("button", name="登录").is_visible()
