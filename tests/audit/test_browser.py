"""The audit trail's page in chromium, as an administrator and as an HR officer, on a
desktop and a phone (screenshots in var/screenshots/)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from courses import services as courses_services
from org import services
from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture
def trail(tree, platform_admin, hangzhou_hr) -> dict[str, Any]:
    """Some history, written before Playwright starts (its event loop and the ORM do not mix)."""
    hangzhou = factories.person_create(unit=tree.xihu_it_section, real_name="钱塘江")
    ningbo = factories.person_create(unit=tree.ningbo_data_bureau, real_name="甬江人")
    courses_services.credit_record_offline(
        person=hangzhou,
        hours=Decimal("3.0"),
        reason="网络安全专题讲座",
        awarded_on=timezone.localdate(),
        entered_by=hangzhou_hr,
    )
    services.person_deactivate(person=ningbo)
    return {"hangzhou": hangzhou, "ningbo": ningbo}


@pytest.fixture
def pages(trail, browser) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(viewport: str) -> Any:
        width, height = VIEWPORTS[viewport]
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_administrator_browses_the_whole_trail(live_server, pages, viewport):
    page = pages(viewport)
    sign_in(page, live_server.url, "padmin", factories.PASSWORD)
    page.goto(live_server.url + "/audit/")
    assert page.locator("h1").inner_text() == "审计日志"
    body = page.locator("main").inner_text()
    assert "甬江人" in body and "钱塘江" in body and "登录" in body
    page.locator("main details summary").first.click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"audit-admin-{viewport}.png"), full_page=True)

    page.select_option("#id_action", "credit.offline")
    page.locator("main form[role=search] button[type=submit]").click()
    rows = page.locator("table.audit-records > tbody > tr")
    assert rows.count() == 1
    assert "录入线下学时" in rows.first.inner_text()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_hr_officer_sees_only_their_people(live_server, pages, viewport):
    page = pages(viewport)
    sign_in(page, live_server.url, "hzhr", factories.PASSWORD)
    page.goto(live_server.url + "/audit/")
    body = page.locator("main").inner_text()
    assert "钱塘江" in body
    assert "甬江人" not in body and "宁波" not in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"audit-hr-{viewport}.png"), full_page=True)
