"""Exports in a real browser: an HR officer clicks 导出 on /hr/, lands on the job page and
downloads the file, which openpyxl (or csv) reads back; the job page passes axe-core's
WCAG 2.1 A/AA rules on a desktop and a phone (screenshots in var/screens/); the progress
bar follows a job a worker writes while the page is open."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.utils import timezone
from django.utils.translation import pgettext

from dashboards import exports, refresh
from dashboards.models import ExportJob, ExportStatus
from org.models import Person
from tests import factories
from tests.conftest import WCAG_AA, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def office(
    tree: factories.Tree, learner: Person, xihu_hr: Person, eager_tasks: None
) -> factories.Tree:
    """西湖区's people with their figures; exports are written in the live server's request
    (the embedded default), broker or not."""
    factories.person_create(unit=tree.xihu_it_section, real_name="李文静")
    refresh.refresh_due()
    connection.close()  # hand the live server a clean start
    return tree


def export_from_home(page: Any, base: str, file_format: str) -> None:
    page.goto(base + "/hr/")
    page.locator(f"form.dash-export button[value={file_format}]").click()
    page.wait_for_url(f"{base}/hr/exports/*/")


def downloaded(page: Any) -> bytes:
    with page.expect_download() as info:
        page.locator("#export-link").click()
    return Path(info.value.path()).read_bytes()


def test_an_officer_exports_the_units_as_xlsx_and_csv_and_reads_them(
    office: factories.Tree, live_server: Any, browser: Any
) -> None:
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server.url, "xihuhr", factories.PASSWORD)

    export_from_home(page, live_server.url, "xlsx")
    assert page.locator("#export-progress").get_attribute("value") == "100"
    assert page.locator("#export-download").is_visible()
    book = openpyxl.load_workbook(io.BytesIO(downloaded(page)))
    rows = [tuple(cell.value for cell in row) for row in book.worksheets[0].iter_rows()]
    assert rows[1][:2] == (pgettext("export header", "Scope"), "西湖区")
    heading = tuple(str(column.header) for column in exports.TABLES["units"].columns)
    data = rows[rows.index(heading) + 1 :]
    assert [(row[1], row[2]) for row in data] == [("西湖区 / 西湖区数据资源管理局", 3)]

    export_from_home(page, live_server.url, "csv")
    content = downloaded(page)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[1] == [pgettext("export header", "Scope"), "西湖区"]
    assert lines[-1][1:3] == ["西湖区 / 西湖区数据资源管理局", "3"]
    context.close()
    assert ExportJob.objects.filter(status=ExportStatus.DONE).count() == 2


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_job_page_has_no_wcag_aa_violations(
    office: factories.Tree, live_server: Any, browser: Any, viewport: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    size = DESKTOP if viewport == "desktop" else PHONE
    context = browser.new_context(locale="zh-CN", viewport=size)
    page = context.new_page()
    sign_in(page, live_server.url, "xihuhr", factories.PASSWORD)
    page.goto(live_server.url + "/hr/")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.locator("form.dash-export").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / f"export-buttons-{viewport}.png"))
    export_from_home(page, live_server.url, "xlsx")

    results = Axe().run(page, options=WCAG_AA)

    page.screenshot(path=str(SCREENS / f"export-job-{viewport}.png"), full_page=True)
    assert results.response["passes"], "axe-core checked nothing"
    assert results.violations_count == 0, results.generate_report()
    context.close()


# A worker writes the file while the page polls: on SQLite the live server's thread and this
# one would share one in-memory connection, so this runs on the PostgreSQL leg.
@pytest.mark.postgres
def test_the_progress_bar_follows_a_job_a_worker_writes(
    office: factories.Tree, live_server: Any, browser: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)  # no worker yet
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server.url, "xihuhr", factories.PASSWORD)
    export_from_home(page, live_server.url, "xlsx")
    assert page.locator("#export-progress").get_attribute("value") == "0"
    assert page.locator("#export-download").is_hidden()
    # With JavaScript the page polls; the refresh link is for pages without it.
    assert page.locator("#export-refresh").is_hidden()

    job = ExportJob.objects.get()
    exports.export_run(job_id=job.pk, now=timezone.now())  # the worker

    page.locator("#export-download").wait_for(state="visible", timeout=15_000)
    assert page.locator("#export-progress").evaluate("bar => bar.value") == 100
    assert page.locator("#export-filename").inner_text().endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(downloaded(page)))
    assert book.worksheets[0].max_row > 7
    context.close()


@pytest.mark.postgres
def test_without_javascript_the_refresh_link_shows_the_finished_job(
    office: factories.Tree, live_server: Any, browser: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)  # no worker yet
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, "xihuhr", factories.PASSWORD)
    export_from_home(page, live_server.url, "csv")
    assert page.locator("#export-refresh").is_visible()
    assert page.locator("#export-download").is_hidden()

    exports.export_run(job_id=ExportJob.objects.get().pk)
    with page.expect_navigation():
        page.locator("#export-refresh a").click()

    assert page.locator("#export-download").is_visible()
    assert page.locator("#export-refresh").count() == 0
    context.close()
