"""The dashboard home in a real browser, as a city HR officer uses it: open 培训统计, drill
down two levels by clicking units, come back by the breadcrumb, and export what the second
level shows as XLSX and CSV (read back with openpyxl and csv); axe-core finds no WCAG 2.1
A/AA violation at any level, on a desktop and a phone; nothing of another city appears."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.utils.translation import pgettext

from dashboards import exports, refresh
from org.models import Person
from tests import factories
from tests.conftest import VIEWPORTS, assert_no_axe_violations, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"


@pytest.fixture
def city(tree: factories.Tree, hangzhou_hr: Person, eager_tasks: None) -> factories.Tree:
    """杭州市 with people at every level (one sitting directly in the bureau that has a
    section below it), a 宁波 person who must never show, and the figures refreshed."""
    factories.person_create(unit=tree.xihu_it_section, real_name="李文静")
    factories.person_create(unit=tree.xihu_it_section, real_name="赵一鸣")
    factories.person_create(unit=tree.xihu_data_bureau, real_name="钱多多")
    factories.person_create(unit=tree.binjiang_hr_bureau, real_name="孙立")
    factories.person_create(unit=tree.ningbo_data_bureau, real_name="周宁波")
    refresh.refresh_due()
    connection.close()  # hand the live server a clean start
    return tree


UNITS = "section[aria-labelledby=dash-units-title] table.dash-table"


def unit_names(page: Any) -> list[str]:
    return [
        name.replace("需关注", "").strip()
        for name in page.locator(f"{UNITS} tbody th").all_inner_texts()
    ]


def nothing_of_ningbo(page: Any) -> None:
    body = page.content()
    assert "宁波" not in body  # neither the city nor its person 周宁波


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_officer_drills_down_two_levels_and_exports_what_they_see(
    city: factories.Tree, live_server: Any, browser: Any, viewport: str
) -> None:
    context = browser.new_context(
        locale="zh-CN", viewport=VIEWPORTS[viewport], accept_downloads=True
    )
    page = context.new_page()
    sign_in(page, live_server.url, "hzhr", factories.PASSWORD)
    SCREENS.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url + "/hr/")
    assert page.locator("h1").inner_text().startswith("培训统计")
    assert sorted(unit_names(page)) == sorted(["西湖区", "滨江区", "杭州市（本级）"])
    assert_no_axe_violations(page)
    nothing_of_ningbo(page)
    page.screenshot(path=str(SCREENS / f"drill-0-{viewport}.png"), full_page=True)

    page.locator(UNITS).get_by_role("link", name="西湖区").click()
    page.wait_for_url(f"{live_server.url}/hr/?unit={city.xihu.pk}*")
    assert unit_names(page) == ["西湖区数据资源管理局"]
    assert_no_axe_violations(page)
    nothing_of_ningbo(page)

    page.locator(UNITS).get_by_role("link", name="西湖区数据资源管理局").click()
    page.wait_for_url(f"{live_server.url}/hr/?unit={city.xihu_data_bureau.pk}*")
    # The section below, and the people sitting directly in the bureau (本级), not lost.
    names = unit_names(page)
    assert names[0] == "信息化科" and len(names) == 2 and "本级" in names[1], names
    trail = page.locator(".dash-breadcrumb li").all_inner_texts()
    assert [step.strip() for step in trail] == ["杭州市", "西湖区", "西湖区数据资源管理局"]
    assert_no_axe_violations(page)
    nothing_of_ningbo(page)
    page.screenshot(path=str(SCREENS / f"drill-2-{viewport}.png"), full_page=True)

    heading = tuple(str(column.header) for column in exports.TABLES["units"].columns)
    page.locator("form.dash-export button[value=xlsx]").click()
    page.wait_for_url(f"{live_server.url}/hr/exports/*/")
    with page.expect_download() as info:
        page.locator("#export-link").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = [tuple(cell.value for cell in row) for row in book.worksheets[0].iter_rows()]
    assert rows[1][0] == pgettext("export header", "Scope")
    assert "西湖区数据资源管理局" in str(rows[1][1])
    data = rows[rows.index(heading) + 1 :]
    assert len(data) == 2 and any("信息化科" in str(row[1]) for row in data), data
    assert not any("宁波" in str(value) for row in rows for value in row)

    page.go_back()
    page.locator("form.dash-export button[value=csv]").click()
    page.wait_for_url(f"{live_server.url}/hr/exports/*/")
    with page.expect_download() as info:
        page.locator("#export-link").click()
    content = Path(info.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(lines[lines.index(list(heading))]) == heading
    assert any("信息化科" in line[1] for line in lines[lines.index(list(heading)) + 1 :])

    # Back up by the breadcrumb, never above the officer's own root.
    page.goto(f"{live_server.url}/hr/?unit={city.xihu_data_bureau.pk}")
    page.locator(".dash-breadcrumb").get_by_role("link", name="杭州市").click()
    assert sorted(unit_names(page)) == sorted(["西湖区", "滨江区", "杭州市（本级）"])
    assert page.locator(".dash-breadcrumb").get_by_role("link", name="浙江省").count() == 0
    context.close()
