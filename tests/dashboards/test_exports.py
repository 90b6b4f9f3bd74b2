"""Exports of the dashboards' tables: what the files say (XLSX read back with openpyxl, CSV
with csv), formulas kept as text, the job's life (one job for two clicks, eager path, expiry)
and who may see it (the requester alone; anything outside the scope is a 404).

Runs on both legs; the race of two clicks runs on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from audit.models import AuditRecord
from dashboards import exports, refresh
from dashboards.models import ExportJob, ExportStatus, PersonYear
from org import services as org_services
from org.files import private_storage
from org.models import Person, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def year() -> int:
    return timezone.localtime().year


@pytest.fixture
def people(tree: factories.Tree, learner: Person, xihu_hr: Person) -> dict[str, Person]:
    """Three people under 西湖区, one in 宁波, and the figures computed."""
    found = {
        "learner": learner,
        "second": factories.person_create(
            unit=tree.xihu_it_section, real_name="李文静", rank="clerk_1"
        ),
        "ningbo": factories.person_create(unit=tree.ningbo_data_bureau, real_name="宁波人员"),
    }
    refresh.refresh_due()
    PersonYear.objects.filter(person=learner).update(
        hours=Decimal("12.5"), participated=True, mandatory_assigned=3, mandatory_done=2
    )
    return found


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


@pytest.fixture(autouse=True)
def commits(
    request: pytest.FixtureRequest, django_capture_on_commit_callbacks: Any
) -> Iterator[None]:
    """The test's transaction never commits: run what waits for the commit (the task) as
    the request's own commit would; in the test's process, broker or not, except where a
    real worker is the point."""
    global _commits
    if request.node.get_closest_marker("worker") is None:
        request.getfixturevalue("eager_tasks")
    _commits = django_capture_on_commit_callbacks
    yield
    _commits = None


_commits: Any = None


def start(client: Client, table: str, file_format: str = "xlsx", **fields: Any) -> Any:
    with _commits(execute=True):
        return client.post(
            reverse("dashboards:export", args=[table]), {"format": file_format, **fields}
        )


def download(client: Client, job: ExportJob) -> bytes:
    response: Any = client.get(reverse("dashboards:export_download", args=[job.pk]))
    assert response.status_code == 200
    try:
        return b"".join(response.streaming_content)
    finally:
        close_file(response)


def close_file(response: Any) -> None:
    # The file only: response.close() would also send request_finished, which closes the
    # test's database connection (PostgreSQL keeps connections, CONN_MAX_AGE).
    for closer in response._resource_closers:
        closer()


def sheet_rows(content: bytes) -> tuple[Any, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    return sheet, [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def column(text: str) -> str:
    return pgettext("export column", text)


def test_an_xlsx_export_has_its_header_lines_columns_and_rows(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    client = signed_in(xihu_hr)

    response = start(client, "people", year=str(year))

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:export_job", args=[job.pk])
    assert job.status == ExportStatus.DONE  # eager: written in the request
    dashboard, title = (
        pgettext("export header", "Training statistics"),
        exports.TABLES["people"].title,
    )
    assert re.fullmatch(rf"{dashboard}-{title}-{year}-\d{{8}}-\d{{4}}\.xlsx", job.filename)
    sheet, rows = sheet_rows(download(client, job))
    assert rows[0][0].endswith(str(exports.TABLES["people"].title))
    assert rows[1][:2] == (str(pgettext("export header", "Scope")), "西湖区")
    assert rows[2][1] == year
    labels = [row[0] for row in rows[3:6]]
    assert labels == [
        pgettext("export header", "Generated at"),
        pgettext("export header", "Figures updated at"),
        None,
    ]
    heading = rows[6]
    assert heading[:4] == (
        column("Name"),
        column("Employee number"),
        column("Unit"),
        column("Rank"),
    )
    assert sheet.freeze_panes == "A8"
    data = rows[7:]
    names = [row[0] for row in data]
    # Unit by unit (by path), then by employee number; 宁波 is outside the officer's scope.
    assert names == ["赵丽", "张晓明", "李文静"]
    learner_row = data[1]
    assert learner_row[1] == people["learner"].employee_number
    assert learner_row[2] == "西湖区 / 西湖区数据资源管理局 / 信息化科"
    assert learner_row[3] == "二级主任科员"
    assert learner_row[4] == 12.5 and isinstance(learner_row[4], float)  # a number
    assert (learner_row[7], learner_row[8], learner_row[9]) == (2, 3, 0)
    assert job.done == job.total == 3


def test_a_csv_export_is_utf8_with_a_bom_and_the_same_lines(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    client = signed_in(xihu_hr)
    start(client, "people", "csv", year=str(year))

    job = ExportJob.objects.get()
    content = download(client, job)

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1] == [pgettext("export header", "Scope"), "西湖区"]
    assert rows[2] == [pgettext("export header", "Credit year"), str(year)]
    assert rows[5] == []
    assert rows[6][0] == column("Name")
    assert [row[0] for row in rows[7:]] == ["赵丽", "张晓明", "李文静"]
    assert rows[8][2] == "西湖区 / 西湖区数据资源管理局 / 信息化科"
    assert rows[8][4] == "12.5"
    assert job.filename.endswith(".csv")


def test_the_download_is_audited_and_not_cached(
    people: dict[str, Person], xihu_hr: Person, year: int, tree: factories.Tree
) -> None:
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year), unit=str(tree.xihu_it_section.pk))
    job = ExportJob.objects.get()

    response = client.get(reverse("dashboards:export_download", args=[job.pk]))
    close_file(response)

    assert response["Content-Type"] == exports.FORMATS["xlsx"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    record = AuditRecord.objects.get(action="export")
    assert record.actor_user_id == xihu_hr.user.pk
    assert record.object_id == str(job.pk)
    assert record.subject_path == tree.xihu_it_section.path
    assert record.after == {
        "table": "people",
        "format": "xlsx",
        "rows": 2,
        "year": year,
        "filters": {"q": "", "rank": "", "status": ""},
    }


def test_text_that_looks_like_a_formula_is_written_as_text(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    Person.objects.filter(pk=people["learner"].pk).update(real_name='=HYPERLINK("http://x","y")')
    Person.objects.filter(pk=people["second"].pk).update(real_name="@SUM(1+1)")
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year))
    start(client, "people", "csv", year=str(year))
    xlsx, csv_job = ExportJob.objects.order_by("pk")

    sheet, _rows = sheet_rows(download(client, xlsx))
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=8)}
    formula = cells['=HYPERLINK("http://x","y")'][0]
    assert formula.data_type == "s"
    assert formula.value.startswith("=")
    assert cells["@SUM(1+1)"][0].data_type == "s"
    assert cells['=HYPERLINK("http://x","y")'][4].data_type == "n"  # numbers stay numbers
    rows = list(csv.reader(io.StringIO(download(client, csv_job).decode("utf-8-sig"))))
    names = [row[0] for row in rows[7:]]
    assert '\'=HYPERLINK("http://x","y")' in names and "'@SUM(1+1)" in names


@pytest.mark.parametrize("value", ["=1+2", "+86 571", "-2", "@A1", "\tx", "\rx"])
def test_each_formula_start_is_escaped_in_csv(value: str) -> None:
    assert exports.csv_cell(value) == "'" + value
    assert exports.csv_cell(Decimal("-2")) == Decimal("-2")
    assert exports.csv_cell("１＝") == "１＝"


def test_an_empty_selection_gives_a_file_with_its_header(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    client = signed_in(xihu_hr)

    start(client, "people", year=str(year), q="没有这个人", status="met")

    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.total == 0
    sheet, rows = sheet_rows(download(client, job))
    assert rows[3][0] == pgettext("export header", "Filters")
    assert "没有这个人" in rows[3][1]
    assert rows[-1][0] == column("Name")  # the column headers, and nothing below


def test_the_units_export_has_the_drill_down_rows(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    client = signed_in(xihu_hr)
    start(client, "units", year=str(year))
    job = ExportJob.objects.get()

    _sheet, rows = sheet_rows(download(client, job))

    heading = rows.index(tuple(str(c.header) for c in exports.TABLES["units"].columns))
    data = rows[heading + 1 :]
    # 西湖区's one department, with everybody in it (nobody sits in 西湖区 itself).
    assert [row[1] for row in data] == ["西湖区 / 西湖区数据资源管理局"]
    assert data[0][0] == 1 and data[0][2] == 3  # rank and people


def test_the_courses_export_lists_the_courses_taken(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    course = factories.course_create(title="电子政务概论", hours="2.0", lessons=1)
    factories.course_complete(person=people["learner"], course=course)
    client = signed_in(xihu_hr)

    start(client, "courses", "csv", year=str(year))

    job = ExportJob.objects.get()
    rows = list(csv.reader(io.StringIO(download(client, job).decode("utf-8-sig"))))
    assert rows[6][0] == column("Course")
    assert rows[7][:4] == ["电子政务概论", "2.0", "1", "1"]


def test_two_clicks_start_one_job(
    people: dict[str, Person], xihu_hr: Person, year: int, monkeypatch: Any
) -> None:
    started: list[int] = []
    monkeypatch.setattr(exports.export_run_task, "delay", started.append)
    client = signed_in(xihu_hr)

    first = start(client, "people", year=str(year))
    second = start(client, "people", year=str(year))

    assert first["Location"] == second["Location"]
    assert ExportJob.objects.count() == 1 and len(started) == 1
    # Another format, or other filters, is another export.
    start(client, "people", "csv", year=str(year))
    start(client, "people", year=str(year), rank="clerk_1")
    assert ExportJob.objects.count() == 3


def test_a_second_click_after_an_eager_export_finds_the_finished_job(
    people: dict[str, Person], xihu_hr: Person, year: int
) -> None:
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year))
    start(client, "people", year=str(year))
    assert ExportJob.objects.count() == 1


def test_a_stuck_job_does_not_block_a_new_one(
    people: dict[str, Person], xihu_hr: Person, year: int, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year))
    ExportJob.objects.update(created_at=timezone.now() - timedelta(hours=2))

    start(client, "people", year=str(year))

    assert list(ExportJob.objects.order_by("pk").values_list("status", flat=True)) == [
        ExportStatus.FAILED,
        ExportStatus.QUEUED,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_clicks_start_one_job_on_postgresql(
    tree: factories.Tree, xihu_hr: Person, year: int, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)
    node_params = {"year": year, "unit": tree.xihu.pk, "filters": {}, "language": "zh-hans"}
    barrier = threading.Barrier(4)
    found: list[tuple[int, bool]] = []

    def click() -> None:
        try:
            barrier.wait()
            job, created = exports.export_request(
                person=xihu_hr, table="people", file_format="xlsx", params=node_params
            )
            found.append((job.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({pk for pk, _created in found}) == 1
    assert sum(created for _pk, created in found) == 1
    assert ExportJob.objects.count() == 1


def test_another_officer_of_the_same_unit_finds_nothing(
    people: dict[str, Person], xihu_hr: Person, year: int, tree: factories.Tree
) -> None:
    colleague = factories.person_create(unit=tree.xihu, real_name="钱同事", username="colleague")
    org_services.role_grant(person=colleague, role=Role.HR_OFFICER, org_unit=tree.xihu)
    start(signed_in(xihu_hr), "people", year=str(year))
    job = ExportJob.objects.get()
    other = signed_in(colleague)

    for url in (
        reverse("dashboards:export_job", args=[job.pk]),
        reverse("dashboards:export_job", args=[job.pk]) + "?format=json",
        reverse("dashboards:export_download", args=[job.pk]),
    ):
        response = other.get(url)
        assert response.status_code == 404
        assert job.filename.encode() not in response.content
        assert "赵丽".encode() not in response.content
    assert not AuditRecord.objects.filter(action="export").exists()


def test_a_unit_outside_the_scope_is_a_404_at_start(
    people: dict[str, Person], xihu_hr: Person, year: int, tree: factories.Tree
) -> None:
    client = signed_in(xihu_hr)

    for unit in (str(tree.ningbo.pk), str(tree.ningbo_data_bureau.pk), "99999999", "x1"):
        response = start(client, "people", year=str(year), unit=unit)
        assert response.status_code == 404
        assert "宁波".encode() not in response.content

    assert not ExportJob.objects.exists()


def test_bad_requests(
    people: dict[str, Person], xihu_hr: Person, learner: Person, year: int
) -> None:
    client = signed_in(xihu_hr)
    assert start(client, "people", "pdf", year=str(year)).status_code == 400
    assert start(client, "people", year="20x6").status_code == 400
    assert start(client, "nothing", year=str(year)).status_code == 404
    assert client.get(reverse("dashboards:export", args=["people"])).status_code == 405
    assert start(signed_in(learner), "people", year=str(year)).status_code == 404
    assert not ExportJob.objects.exists()


def test_the_worker_resolves_the_unit_again_with_the_requesters_scope(
    people: dict[str, Person], xihu_hr: Person, year: int, tree: factories.Tree, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year), unit=str(tree.xihu_it_section.pk))
    job = ExportJob.objects.get()
    org_services.role_revoke(person=xihu_hr, role=Role.HR_OFFICER, org_unit=tree.xihu)
    org_services.role_grant(person=xihu_hr, role=Role.HR_OFFICER, org_unit=tree.ningbo)

    exports.export_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.result
    assert job.message == _("This export is no longer within your scope.")


def test_the_job_page_shows_progress_then_the_link(
    people: dict[str, Person], xihu_hr: Person, year: int, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year))
    job = ExportJob.objects.get()
    page = reverse("dashboards:export_job", args=[job.pk])

    waiting = client.get(page)
    assert b'<progress id="export-progress" max="100" value="0">' in waiting.content
    assert b'id="export-refresh"' in waiting.content  # the way to refresh without JavaScript
    assert b'id="export-download" hidden' in waiting.content
    assert client.get(page + "?format=json").json()["status"] == "queued"

    exports.export_run(job_id=job.pk)

    state = client.get(page + "?format=json").json()
    assert (state["status"], state["percent"], state["done"], state["total"]) == ("done", 100, 3, 3)
    assert state["download"] == reverse("dashboards:export_download", args=[job.pk])
    done = client.get(page).content.decode()
    job.refresh_from_db()
    assert 'value="100"' in done and "export-refresh" not in done
    assert 'id="export-download" hidden' not in done and job.filename in done


def test_the_export_buttons_carry_the_pages_query(
    people: dict[str, Person], xihu_hr: Person, year: int, tree: factories.Tree
) -> None:
    client = signed_in(xihu_hr)

    page = client.get(
        reverse("dashboards:home"),
        {"year": year, "unit": tree.xihu_data_bureau.pk, "sort": "-people"},
    )

    html = page.content.decode()
    assert f'action="{reverse("dashboards:export", args=["units"])}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'name="year" value="{year}"' in html
    assert f'name="unit" value="{tree.xihu_data_bureau.pk}"' in html
    assert 'name="sort" value="-people"' in html
    assert 'name="format" value="xlsx"' in html and 'name="format" value="csv"' in html


def test_expiry_deletes_old_files_and_jobs(
    people: dict[str, Person], xihu_hr: Person, year: int, settings: Any
) -> None:
    client = signed_in(xihu_hr)
    start(client, "people", year=str(year))
    start(client, "people", "csv", year=str(year))
    old, recent = ExportJob.objects.order_by("pk")
    name = str(old.result.name)
    ExportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.DASHBOARD_EXPORT_DAYS, minutes=1)
    )

    assert exports.exports_expire_task() == 1

    assert not private_storage().exists(name)
    assert list(ExportJob.objects.all()) == [recent]
    assert private_storage().exists(str(recent.result.name))


def test_the_people_export_reads_a_fixed_number_of_queries(
    people: dict[str, Person],
    xihu_hr: Person,
    year: int,
    tree: factories.Tree,
    monkeypatch: Any,
    django_assert_max_num_queries: Any,
) -> None:
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 10_000)
    for number in range(30):
        factories.person_create(unit=tree.xihu_it_section, real_name=f"批量{number}")
    refresh.refresh_due()
    monkeypatch.setattr(exports.export_run_task, "delay", lambda pk: None)
    start(signed_in(xihu_hr), "people", year=str(year))
    job = ExportJob.objects.get()

    with django_assert_max_num_queries(12):
        exports.export_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.done == 33


# --- the XLSX fast path against openpyxl's own ------------------------------------------------

ROWS: list[list[Any]] = [
    ["张晓明", "T000001", "西湖区 / 信息化科", 12, Decimal("12.5"), None, 0],
    ['=HYPERLINK("http://x")', "+86", "-1", "@A1", Decimal("-3.0"), 1.25, True],
    ["\tindented", "\rreturn", " spaced ", "a&b<c>\"d'", "", None, 10**12],
    ["控制\x01字符", "ok", "line\nbreak", "", None, Decimal("0"), False],
]


def written(fast: bool) -> Any:
    buffer = io.BytesIO()
    columns = [exports.Column(pgettext_lazy("export column", f"C{n}")) for n in range(7)]
    lines: list[list[Any]] = [["标题 · 人员"], ["范围", "=西湖区"], ["学时年度", 2026], []]
    writer = exports.open_writer("xlsx", buffer, lines, columns, "人员", fast=fast)
    assert isinstance(writer, exports.FastXlsxWriter if fast else exports.OpenpyxlWriter)
    for row in ROWS:
        writer.row(row)
    writer.close()
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]


def test_the_fast_xlsx_rows_read_back_as_openpyxls_own() -> None:
    fast, ordinary = written(True), written(False)

    def cells(sheet: Any) -> list[list[tuple[Any, str, bool]]]:
        return [
            [(cell.value, cell.data_type, bool(cell.font and cell.font.b)) for cell in row]
            for row in sheet.iter_rows()
        ]

    assert cells(fast) == cells(ordinary)
    assert fast.freeze_panes == ordinary.freeze_panes == "A6"
    assert fast.title == "人员"
    formula = fast["A7"]
    assert (formula.value, formula.data_type) == ('=HYPERLINK("http://x")', "s")
    assert fast["B6"].value == "T000001" and fast["E6"].value == 12.5
    assert (fast["A8"].value, fast["B8"].value) == ("\tindented", "\rreturn")
    assert fast["A9"].value == "控制字符"  # a character XML cannot carry is dropped


# --- with a broker: the web process queues, a real worker writes -------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_writes_the_export_the_web_process_queued(
    tree: factories.Tree, xihu_hr: Person, learner: Person, queue: str, private_files: Any
) -> None:
    from tests.celery_worker import start_worker, stop_worker

    refresh.refresh_due()
    year = timezone.localtime().year
    client = signed_in(xihu_hr)
    worker = start_worker(queue, env={"PRIVATE_ROOT": str(private_files)})
    try:
        response = client.post(
            reverse("dashboards:export", args=["people"]), {"format": "csv", "year": str(year)}
        )
        job = ExportJob.objects.get()
        assert response["Location"] == reverse("dashboards:export_job", args=[job.pk])
        state_url = reverse("dashboards:export_job", args=[job.pk]) + "?format=json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not client.get(state_url).json()["finished"]:
            time.sleep(0.3)
    finally:
        stop_worker(worker)

    state = client.get(state_url).json()
    assert (state["status"], state["done"]) == ("done", 2), state
    rows = list(csv.reader(io.StringIO(download(client, job).decode("utf-8-sig"))))
    assert [row[0] for row in rows[7:]] == ["赵丽", "张晓明"]


def test_an_officer_of_two_subtrees_exports_both_with_labels_from_each_root(
    people: dict[str, Person], xihu_hr: Person, year: int, tree: factories.Tree
) -> None:
    org_services.role_grant(person=xihu_hr, role=Role.HR_OFFICER, org_unit=tree.ningbo)
    client = signed_in(xihu_hr)

    start(client, "people", "csv", year=str(year))

    rows = list(
        csv.reader(io.StringIO(download(client, ExportJob.objects.get()).decode("utf-8-sig")))
    )
    assert rows[1][1] == exports.scope_label(
        exports.selectors.dashboard_node(exports.scope_of(xihu_hr.user), None)
    )
    assert "西湖区" in rows[1][1] and "宁波市" in rows[1][1]
    units = {row[0]: row[2] for row in rows[7:]}
    assert units["宁波人员"] == "宁波市 / 宁波市大数据发展管理局"
    assert units["张晓明"] == "西湖区 / 西湖区数据资源管理局 / 信息化科"
