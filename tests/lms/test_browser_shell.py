"""The portal's shell in a real browser: the language switch both ways, the compact phone
header whose menu opens without JavaScript, the desktop row of links."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def signed_in_learner(learner):
    from django.db import connection

    connection.close()  # hand the live server a clean start
    return learner


def test_the_language_switch_goes_both_ways_and_keeps_the_page(
    signed_in_learner, live_server, browser
):
    page = browser.new_page(locale="zh-CN", viewport=DESKTOP)
    sign_in(page, live_server.url, "learner", factories.PASSWORD)
    page.goto(live_server.url + "/learning/")

    page.get_by_role("button", name="English").click()
    page.wait_for_url(live_server.url + "/en/learning/")
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_url(live_server.url + "/learning/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.close()


def test_on_a_phone_the_header_is_short_and_its_menu_opens_without_javascript(
    signed_in_learner, live_server, browser
):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, "learner", factories.PASSWORD)

    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 64
    assert not page.locator(".site-nav").get_by_role("link", name="我的学习").is_visible()

    page.get_by_text("菜单").click()
    assert page.locator(".site-nav").get_by_role("link", name="我的学习").is_visible()
    assert page.locator(".site-nav").get_by_role("button", name="退出登录").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-menu-open.png"))
    assert header.bounding_box()["height"] <= 64  # the open menu drops over the page

    page.locator(".site-nav").get_by_role("link", name="我的学习").click()
    page.wait_for_url(live_server.url + "/learning/")
    context.close()


def test_on_a_desktop_the_links_stand_in_one_row_without_a_toggle(
    signed_in_learner, live_server, browser
):
    page = browser.new_page(locale="zh-CN", viewport=DESKTOP)
    sign_in(page, live_server.url, "learner", factories.PASSWORD)

    assert not page.get_by_text("菜单").is_visible()
    assert page.locator(".site-nav").get_by_role("link", name="我的学习").is_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= 64
    assert page.get_by_role("link", name="验证证书").get_attribute("href") == "/verify/"
    page.close()
