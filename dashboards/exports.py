"""Exports of the dashboards' tables (导出): XLSX and CSV, written by a worker, for the
requester alone, deleted after DASHBOARD_EXPORT_DAYS.

A table (``TABLES``) is its columns, the filters it keeps, and a source: the rows of a node
and year with their count, so the worker can show progress. The view validates the request
(year, unit looked up in the officer's scope, the table's filters) and stores it on an
``ExportJob``; the worker reloads the job, resolves the node again with the requester's own
scope (``org.selectors.scope_of``), so a unit that left the scope fails instead of being
written, and streams the rows into a file in the private storage. Two clicks on "export"
find one job (the model's unique constraint on unfinished jobs, and the last minute's job
of the same request).

Every file starts with the same lines: the title, the scope (the unit's path), the credit
year, the filters, the time of generation and of the figures (Asia/Shanghai), then the
column headers. Text that a spreadsheet would run as a formula (starting with = + - @, a tab
or a carriage return) is written as text: a CSV cell gets a leading apostrophe (OWASP, "CSV
injection"), an XLSX cell is an inline string, never a formula. Numbers stay numbers. CSV is
UTF-8 with a byte-order mark, so that Excel reads Chinese correctly.

The province's people (300,000 rows) are read as value tuples in the index's order (a
server-side cursor on PostgreSQL), with the units' path labels from one dictionary, and
written as the XLSX's row XML directly (see "The XLSX rows" below). Measured on PostgreSQL 15
with 300,000 PersonYear rows under 1,650 departments, on the shared 2-core test machine (load
7 to 13): XLSX 6 to 19 s (3.5 to 5 s of the worker's CPU), CSV 5 to 9 s, the worker's peak
RSS 194 MB (180 MB of it Django before the export); openpyxl's own cell-by-cell writer took
60 to 98 s (36 s of CPU). The goal is 60 s and 300 MB.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from typing import IO, Any
from urllib.parse import urlencode

import openpyxl
from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from audit.services import audit_record
from dashboards import courses as course_figures
from dashboards import people as people_reads
from dashboards import refresh, selectors
from dashboards.models import ExportJob, ExportStatus, PersonYear
from org.files import private_name, private_storage
from org.models import OrgUnit, Person, Rank
from org.selectors import scope_of

log = logging.getLogger(__name__)

UNFINISHED = (ExportStatus.QUEUED, ExportStatus.RUNNING)
# Progress is one UPDATE every this many rows.
PROGRESS_EVERY = 5_000
# A second click on the same export within this time shows the first one's job, finished or not.
REPEAT_SECONDS = 60
# An unfinished job this old lost its worker (acks_late hands a task to another worker, so
# this is rare): it no longer blocks a new one.
STALE_AFTER = timedelta(hours=1)
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 5_000


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: Promise
    width: int = 12  # XLSX column width, in characters


@dataclass
class Rows:
    """What a table gives the writer: how many rows (for progress) and the rows themselves."""

    total: int
    rows: Iterable[Sequence[Any]]


@dataclass(frozen=True)
class Table:
    name: str
    title: Promise  # the sheet's name and the file name's middle part
    page: str  # the dashboard page the table is on (URL name)
    columns: tuple[Column, ...]
    # The request's filters this table keeps, normalised (unknown values dropped).
    filters: Callable[[Mapping[str, str]], dict[str, str]]
    source: Callable[[selectors.Node, int, Mapping[str, str]], Rows]
    # The figures are the stored ones (refreshed every few minutes), or computed as the
    # file is written.
    stored: bool = True


def _sort_only(parse: Callable[[str | None], tuple[str, bool]]) -> Callable[..., dict[str, str]]:
    def filters(params: Mapping[str, str]) -> dict[str, str]:
        key, descending = parse(params.get("sort"))
        return {"sort": f"{'-' if descending else ''}{key}"}

    return filters


def _yes(flag: bool) -> str:
    return pgettext("export cell", "Needs attention") if flag else ""


def _unit_rows(node: selectors.Node, year: int, filters: Mapping[str, str]) -> Rows:
    rows = selectors.child_rows(node, year, sort=filters.get("sort"))
    labels = _labeller(node)
    own = pgettext("export cell", "%(unit)s (own staff)")

    def lines() -> Iterator[list[Any]]:
        for row in rows:
            label = labels(row.unit.path)
            figures = row.figures
            yield [
                row.rank,
                own % {"unit": label} if row.own else label,
                figures.people,
                figures.participation_rate,
                figures.reach_rate,
                figures.hours_per_person,
                figures.mandatory_rate,
                figures.overdue,
                _yes(row.below),
            ]

    return Rows(total=len(rows), rows=lines())


PEOPLE_FIELDS = (
    "person__real_name",
    "employee_number",
    "path",
    "rank",
    "hours",
    "target",
    "participated",
    "reached",
    "mandatory_done",
    "mandatory_assigned",
    "overdue",
)


def _people_rows(node: selectors.Node, year: int, filters: Mapping[str, str]) -> Rows:
    people = people_reads.in_index_order(selectors.people_in(node, year, filters))
    labels = _labeller(node)
    ranks = {value: str(label) for value, label in Rank.choices}
    words = dict(selectors.status_choices())
    # The people list's one rule for a status (dashboards.people.status_of), for the four
    # combinations of the two flags it reads.
    statuses = {
        (participated, reached): words[
            people_reads.status_of(PersonYear(participated=participated, reached=reached))
        ]
        for participated in (False, True)
        for reached in (False, True)
    }

    def lines() -> Iterator[tuple[Any, ...]]:
        for (
            name,
            number,
            path,
            rank,
            hours,
            target,
            participated,
            reached,
            done,
            assigned,
            overdue,
        ) in people.values_list(*PEOPLE_FIELDS).iterator(chunk_size=CHUNK):
            yield (
                name,
                number,
                labels(path),
                ranks.get(rank, ""),
                hours,
                target,
                statuses[participated, reached],
                done,
                assigned,
                overdue,
            )

    return Rows(total=people.count(), rows=lines())


def _course_rows(node: selectors.Node, year: int, filters: Mapping[str, str]) -> Rows:
    rows = course_figures.course_rows(node, year, sort=filters.get("sort"))
    return Rows(
        total=len(rows),
        rows=(
            [
                row.course.title,
                row.course.credit_hours,
                row.enrolled,
                row.completed,
                row.completion_rate,
                row.median_days,
                row.exam_takers,
                row.exam_passed,
                row.pass_rate,
                row.mean_score,
                row.certificates,
            ]
            for row in rows
        ),
    )


TABLES: dict[str, Table] = {
    "units": Table(
        name="units",
        title=pgettext_lazy("export table", "Units"),
        page="dashboards:home",
        columns=(
            Column(pgettext_lazy("export column", "Ranking"), 6),
            Column(pgettext_lazy("export column", "Unit"), 48),
            Column(pgettext_lazy("export column", "People"), 8),
            Column(pgettext_lazy("export column", "Participation rate (%)")),
            Column(pgettext_lazy("export column", "Target attainment rate (%)")),
            Column(pgettext_lazy("export column", "Credit hours per person")),
            Column(pgettext_lazy("export column", "Mandatory completed (%)")),
            Column(pgettext_lazy("export column", "Overdue enrolments")),
            Column(pgettext_lazy("export column", "Needs attention"), 10),
        ),
        filters=_sort_only(selectors.parse_sort),
        source=_unit_rows,
    ),
    "people": Table(
        name="people",
        title=pgettext_lazy("export table", "People"),
        page="dashboards:people",
        columns=(
            Column(pgettext_lazy("export column", "Name"), 10),
            Column(pgettext_lazy("export column", "Employee number"), 12),
            Column(pgettext_lazy("export column", "Unit"), 48),
            Column(pgettext_lazy("export column", "Rank"), 14),
            Column(pgettext_lazy("export column", "Credit hours this year")),
            Column(pgettext_lazy("export column", "Target credit hours")),
            Column(pgettext_lazy("export column", "Status"), 10),
            # Two numbers, not "3/5": a spreadsheet would read that as a date.
            Column(pgettext_lazy("export column", "Mandatory completed")),
            Column(pgettext_lazy("export column", "Mandatory assigned")),
            Column(pgettext_lazy("export column", "Overdue enrolments")),
        ),
        filters=people_reads.people_filters,
        source=_people_rows,
    ),
    "courses": Table(
        name="courses",
        title=pgettext_lazy("export table", "Courses"),
        page="dashboards:courses",
        columns=(
            Column(pgettext_lazy("export column", "Course"), 36),
            Column(pgettext_lazy("export column", "Credit hours"), 8),
            Column(pgettext_lazy("export column", "Enrolled")),
            Column(pgettext_lazy("export column", "Completed")),
            Column(pgettext_lazy("export column", "Completion rate (%)")),
            Column(pgettext_lazy("export column", "Median days to complete")),
            Column(pgettext_lazy("export column", "Exam takers")),
            Column(pgettext_lazy("export column", "Passed the exam")),
            Column(pgettext_lazy("export column", "Exam pass rate (%)")),
            Column(pgettext_lazy("export column", "Mean best score (%)")),
            Column(pgettext_lazy("export column", "Certificates issued")),
        ),
        filters=_sort_only(course_figures.parse_sort),
        source=_course_rows,
        stored=False,
    ),
}


def _labeller(node: selectors.Node) -> Callable[[str], str]:
    """Each path's label ("西湖区 / 西湖区数据资源管理局 / 信息化科"), from the scope root
    above it down to the unit, as org.selectors.org_unit_labels writes them; the names come
    from one query of the node's subtree (all of the province's units for an administrator),
    each label is made once."""
    names: dict[str, str] = {unit.path: unit.name for unit in node.trail}
    units = OrgUnit.objects.all()
    if node.unit is not None:
        units = units.filter(path__startswith=node.unit.path)
    else:
        units = node.scope.narrow(units, via="")
    names.update(units.values_list("path", "name").iterator(chunk_size=CHUNK))
    for root in node.roots:
        names[root.path] = root.name
    # The deepest root first: it is where a label starts.
    roots = sorted((root.path for root in node.roots), key=len, reverse=True)
    step = OrgUnit.steplen
    labels: dict[str, str] = {}

    def label(path: str) -> str:
        found = labels.get(path)
        if found is None:
            root = next((r for r in roots if path.startswith(r)), path[:step])
            found = " / ".join(
                names.get(path[:end], "…") for end in range(len(root), len(path) + 1, step)
            )
            labels[path] = found
        return found

    return label


# --- the header lines -------------------------------------------------------------------------


def scope_label(node: selectors.Node) -> str:
    if node.unit is not None:
        return " / ".join(unit.name for unit in node.trail) or node.unit.name
    separator = pgettext("list separator", ", ")
    return _("%(scope)s (%(units)s)") % {
        "scope": node.name,
        "units": separator.join(root.name for root in node.roots),
    }


def filters_label(table: Table, filters: Mapping[str, str]) -> str:
    """The filters that narrow the rows, in words ("" when none); the sort is not one."""
    parts = []
    if filters.get("rank"):
        parts.append(_("rank: %s") % dict(Rank.choices).get(filters["rank"], filters["rank"]))
    if filters.get("status"):
        words = dict(selectors.status_choices())
        parts.append(_("status: %s") % words.get(filters["status"], filters["status"]))
    if filters.get("q"):
        parts.append(_("name or employee number: %s") % filters["q"])
    return pgettext("list separator", ", ").join(parts)


def local_time(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def header_lines(
    table: Table,
    node: selectors.Node,
    year: int,
    filters: Mapping[str, str],
    *,
    generated: datetime,
    figures_of: datetime | None,
) -> list[list[Any]]:
    """The lines above the column headers: title, scope, year, filters, times."""
    dashboard = pgettext("export header", "Training statistics")
    lines: list[list[Any]] = [
        [f"{dashboard} · {table.title}"],
        [pgettext("export header", "Scope"), scope_label(node)],
        [pgettext("export header", "Credit year"), year],
    ]
    described = filters_label(table, filters)
    if described:
        lines.append([pgettext("export header", "Filters"), described])
    lines.append([pgettext("export header", "Generated at"), local_time(generated)])
    lines.append(
        [
            pgettext("export header", "Figures updated at"),
            local_time(figures_of) if figures_of else pgettext("export header", "not yet computed"),
        ]
    )
    lines.append([])
    return lines


def file_name(table: Table, year: int, file_format: str, generated: datetime) -> str:
    """培训统计-人员-2026-20261203-1015.xlsx"""
    moment = timezone.localtime(generated)
    dashboard = pgettext("export header", "Training statistics")
    return f"{dashboard}-{table.title}-{year}-{moment:%Y%m%d-%H%M}.{file_format}"


# --- writers ------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """UTF-8 with a byte-order mark (Excel's sign that the file is UTF-8), Excel's dialect."""

    def __init__(self, buffer: IO[bytes]) -> None:
        self.text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="", write_through=True)
        self.writer = csv.writer(self.text)

    def header(self, lines: list[list[Any]], columns: Sequence[Column], title: str) -> None:
        for line in lines:
            self.row(line)
        self.row([str(column.header) for column in columns])

    def row(self, values: Sequence[Any]) -> None:
        self.writer.writerow([csv_cell(value) for value in values])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()  # the buffer stays open for the storage


def _sheet_title(title: str) -> str:
    # A sheet's name: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1"


def _plain_cell(sheet: Any, value: Any) -> Any:
    """A value for openpyxl: formula-like text as an explicit string cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # set after the value: openpyxl makes "=..." a formula
        return cell
    return value


def _bold_text(sheet: Any, value: Any, size: int = 11) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, _clean(str(value)))
    cell.data_type = "s"
    cell.font = Font(bold=True, size=size)
    return cell


# Characters XML 1.0 cannot carry (openpyxl refuses them too).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class OpenpyxlWriter:
    """The ordinary path: openpyxl's write-only (streaming) workbook, cell by cell."""

    def __init__(self, buffer: IO[bytes]) -> None:
        self.buffer = buffer
        self.book = openpyxl.Workbook(write_only=True)
        self.sheet: Any = None

    def header(self, lines: list[list[Any]], columns: Sequence[Column], title: str) -> None:
        self.sheet = self.book.create_sheet(_sheet_title(title))
        heading = len(lines) + 1
        # Column widths and frozen panes go before the first row in write-only mode.
        for index, column in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = f"A{heading + 1}"
        self.sheet.print_title_rows = f"{heading}:{heading}"
        title_line, *other_lines = lines
        self.sheet.append([_bold_text(self.sheet, value, 14) for value in title_line])
        for line in other_lines:
            self.sheet.append([_plain_cell(self.sheet, _clean(value)) for value in line])
        self.sheet.append([_bold_text(self.sheet, str(column.header)) for column in columns])

    def row(self, values: Sequence[Any]) -> None:
        # Cleaned first: a refused cell would end openpyxl's row generator for good.
        self.sheet.append([_plain_cell(self.sheet, _clean(value)) for value in values])

    def close(self) -> None:
        self.book.save(self.buffer)


def _clean(value: Any) -> Any:
    return _ILLEGAL.sub("", value) if isinstance(value, str) else value


# --- The XLSX rows, written directly --------------------------------------------------------
#
# openpyxl writes each cell through lxml's incremental writer: about 12 µs of CPU a cell,
# 36 s for the province's 300,000 people, 60 to 98 s on a busy machine (the goal is 60 s for
# everything). The fast path lets openpyxl write the workbook with the header lines (styles,
# column widths, frozen panes, print titles, the package's other parts), then copies that
# package and, inside the sheet's <sheetData>, after openpyxl's rows, writes the data rows
# itself in the form openpyxl writes them (ECMA-376 SpreadsheetML: <row r="9"><c r="A9"
# t="inlineStr"><is><t>..</t></is></c><c r="E9" t="n"><v>12.5</v></c>...): text is always an
# inline string, never a formula.
# Written against openpyxl 3.1 (its write-only sheet has exactly one "</sheetData>" and no
# <dimension>); another version, or a sheet that does not look so, takes the ordinary path.
# tests/dashboards/test_exports.py writes the same rows both ways and compares every cell.

FAST_XLSX = openpyxl.__version__.split(".")[:2] == ["3", "1"]
SHEET_PART = "xl/worksheets/sheet1.xml"
# zlib level 1, not openpyxl's 6: the province's people file is a third larger (15.5 against
# 12 MB) and written in half the time (6 against 12 s, 3.5 against 4.9 s of CPU).
XLSX_COMPRESSION = 1


@lru_cache(maxsize=8_192)  # unit labels, ranks, statuses and names repeat down a column
def _inline_string(value: str) -> str:
    """The rest of a text cell after its reference: ' t="inlineStr"><is><t>..</t></is></c>'."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    text = value
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        # A carriage return kept as one: a parser reads a literal one as a line feed.
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def row_xml(number: int, values: Sequence[Any], letters: Sequence[str]) -> str:
    """One <row> of the sheet as openpyxl's write-only sheet writes it."""
    row = str(number)
    cells = [f'<row r="{row}">']
    for letter, value in zip(letters, values, strict=False):
        kind = type(value)
        if kind is str:
            rest = _inline_string(value) if value else ' t="inlineStr"/>'
            cells.append(f'<c r="{letter}{row}"{rest}')
        elif value is None:
            continue
        elif kind is Decimal or kind is int or kind is float:
            cells.append(f'<c r="{letter}{row}" t="n"><v>{value}</v></c>')
        elif kind is bool:
            cells.append(f'<c r="{letter}{row}" t="b"><v>{int(value)}</v></c>')
        else:
            cells.append(f'<c r="{letter}{row}"{_inline_string(str(value))}')
    cells.append("</row>")
    return "".join(cells)


class FastXlsxWriter:
    """openpyxl's workbook with the header lines; the data rows written directly."""

    def __init__(self, buffer: IO[bytes]) -> None:
        self.buffer = buffer
        self.skeleton = io.BytesIO()
        self.inner = OpenpyxlWriter(self.skeleton)
        self.archive: zipfile.ZipFile | None = None
        self.sheet: IO[bytes] | None = None
        self.tail = b""
        self.number = 0
        self.letters: list[str] = []
        self._pending: list[str] = []

    def header(self, lines: list[list[Any]], columns: Sequence[Column], title: str) -> None:
        self.inner.header(lines, columns, title)
        self.inner.close()
        self.number = len(lines) + 1
        self.letters = [get_column_letter(index) for index in range(1, len(columns) + 1)]
        with zipfile.ZipFile(self.skeleton) as skeleton:
            parts = [(info, skeleton.read(info)) for info in skeleton.infolist()]
        sheet = next((data for info, data in parts if info.filename == SHEET_PART), b"")
        if sheet.count(b"</sheetData>") != 1 or b"<dimension" in sheet:
            raise FastPathUnfit
        head, self.tail = sheet.split(b"</sheetData>")
        self.archive = zipfile.ZipFile(
            self.buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION
        )
        for info, data in parts:
            if info.filename != SHEET_PART:
                self.archive.writestr(info.filename, data)
        # The sheet last: a ZIP takes one entry at a time, and this one is streamed.
        self.sheet = self.archive.open(SHEET_PART, "w", force_zip64=True)
        self.sheet.write(head)

    def row(self, values: Sequence[Any]) -> None:
        self.number += 1
        self._pending.append(row_xml(self.number, values, self.letters))
        if len(self._pending) >= 1_000:
            self._flush()

    def _flush(self) -> None:
        assert self.sheet is not None
        self.sheet.write("".join(self._pending).encode())
        self._pending = []

    def close(self) -> None:
        assert self.sheet is not None and self.archive is not None
        self._flush()
        self.sheet.write(b"</sheetData>" + self.tail)
        self.sheet.close()
        self.archive.close()


class FastPathUnfit(Exception):
    """openpyxl's sheet does not look as the fast path expects: take the ordinary one."""


Writer = CsvWriter | OpenpyxlWriter | FastXlsxWriter


def open_writer(
    file_format: str,
    buffer: IO[bytes],
    lines: list[list[Any]],
    columns: Sequence[Column],
    title: str,
    *,
    fast: bool | None = None,
) -> Writer:
    """A writer with the header lines and the column headers written."""
    writer: Writer
    if fast is None:
        fast = FAST_XLSX
    if file_format == "csv":
        writer = CsvWriter(buffer)
    elif fast:
        writer = FastXlsxWriter(buffer)
        try:
            writer.header(lines, columns, title)
        except FastPathUnfit:
            log.warning("openpyxl %s: exports take the ordinary XLSX path", openpyxl.__version__)
            buffer.seek(0)
            buffer.truncate()
            return open_writer(file_format, buffer, lines, columns, title, fast=False)
        return writer
    else:
        writer = OpenpyxlWriter(buffer)
    writer.header(lines, columns, title)
    return writer


# --- jobs ---------------------------------------------------------------------------------------


def jobs_of(person: Person) -> QuerySet[ExportJob]:
    """One's own exports, newest first: nobody else's are found (a 404 in the views)."""
    return ExportJob.objects.filter(requested_by=person).order_by("-created_at", "-pk")


def export_params(
    *, year: int, node: selectors.Node, filters: Mapping[str, str], language: str
) -> dict[str, Any]:
    return {
        "year": year,
        "unit": node.unit.pk if node.unit is not None else None,
        "filters": dict(sorted(filters.items())),
        "language": language,
    }


def export_key(table: str, file_format: str, params: Mapping[str, Any]) -> str:
    text = json.dumps([table, file_format, params], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def export_request(
    *,
    person: Person,
    table: str,
    file_format: str,
    params: dict[str, Any],
    now: datetime | None = None,
) -> tuple[ExportJob, bool]:
    """The job for this export: the same request's unfinished (or last minute's) job, else
    a new one, queued once the transaction commits; and whether it is new."""
    if table not in TABLES or file_format not in FORMATS:
        raise ValueError(f"No export {table}.{file_format}")
    now = now or timezone.now()
    key = export_key(table, file_format, params)
    for _attempt in range(3):
        existing = (
            jobs_of(person)
            .filter(key=key)
            .filter(
                Q(status__in=UNFINISHED)
                | Q(
                    status=ExportStatus.DONE,
                    created_at__gte=now - timedelta(seconds=REPEAT_SECONDS),
                )
            )
            .first()
        )
        if existing is not None and existing.status in UNFINISHED:
            if existing.created_at >= now - STALE_AFTER:
                return existing, False
            ExportJob.objects.filter(pk=existing.pk, status__in=UNFINISHED).update(
                status=ExportStatus.FAILED,
                message=_("The export was interrupted; please ask for it again."),
                finished_at=now,
            )
        elif existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(
                    requested_by=person,
                    table=table,
                    file_format=file_format,
                    params=params,
                    key=key,
                    created_at=now,
                )
        except IntegrityError:
            continue  # a second click won the race: take its job
        transaction.on_commit(partial(export_run_task.delay, job.pk))
        return job, True
    raise RuntimeError("export_request: no job after three attempts")


def export_run(*, job_id: int, now: datetime | None = None) -> ExportJob | None:
    """Write the job's file (for the worker); safe to run twice: the first to finish wins."""
    job = ExportJob.objects.select_related("requested_by__user").filter(pk=job_id).first()
    if job is None or job.status not in UNFINISHED:
        return job
    ExportJob.objects.filter(pk=job.pk, status__in=UNFINISHED).update(
        status=ExportStatus.RUNNING, done=0
    )
    params = job.params
    language = params.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        table = TABLES.get(job.table)
        try:
            if table is None or job.file_format not in FORMATS:
                raise Http404
            # The requester's scope as it is now: a unit that has left it is not written.
            node = selectors.dashboard_node(scope_of(job.requested_by.user), params.get("unit"))
        except Http404:
            return _failed(job, _("This export is no longer within your scope."))
        try:
            _write(job, table, node, now=now)
        except Exception:
            log.exception("Export %s failed", job.pk)
            return _failed(job, _("The export could not be written. Please try again."))
    job.refresh_from_db()
    return job


def _write(job: ExportJob, table: Table, node: selectors.Node, *, now: datetime | None) -> None:
    year = int(job.params["year"])
    filters = table.filters(job.params.get("filters") or {})
    generated = now or timezone.now()
    if table.stored:
        refreshed = refresh.latest(year)
        figures_of = refreshed.computed_at if refreshed else None
    else:
        figures_of = generated
    source = table.source(node, year, filters)
    ExportJob.objects.filter(pk=job.pk).update(total=source.total)
    lines = header_lines(table, node, year, filters, generated=generated, figures_of=figures_of)
    title = str(table.title)
    count = 0
    with tempfile.TemporaryFile() as buffer:
        writer = open_writer(job.file_format, buffer, lines, table.columns, title)
        for row in source.rows:
            writer.row(row)
            count += 1
            if count % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=job.pk).update(done=count)
        writer.close()
        buffer.seek(0)
        name = private_storage().save(private_name("exports", f".{job.file_format}"), File(buffer))
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        result=name,
        filename=file_name(table, year, job.file_format, generated),
        done=count,
        total=count,
        finished_at=timezone.now(),
    )
    if not finished:  # another run finished first, or the job expired meanwhile
        private_storage().delete(name)


def _failed(job: ExportJob, message: str) -> ExportJob:
    ExportJob.objects.filter(pk=job.pk, status__in=UNFINISHED).update(
        status=ExportStatus.FAILED, message=message, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def export_downloaded(*, job: ExportJob) -> None:
    """Record that the officer took the file: personal data of many people (audit)."""
    node_unit = OrgUnit.objects.filter(pk=job.params.get("unit")).first()
    audit_record(
        action="export",
        obj=job,
        subject_path=node_unit.path if node_unit is not None else "",
        after={
            "table": job.table,
            "format": job.file_format,
            "rows": job.done,
            "year": job.params.get("year"),
            "filters": job.params.get("filters") or {},
        },
    )


def exports_expire(*, now: datetime | None = None) -> int:
    """Delete the exports (files and jobs) older than DASHBOARD_EXPORT_DAYS; how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DASHBOARD_EXPORT_DAYS)
    count = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).iterator(chunk_size=500):
        if job.result:
            job.result.delete(save=False)
        job.delete()
        count += 1
    return count


def page_url(job: ExportJob) -> str:
    """The dashboard page the export was asked from, with its query."""
    table = TABLES.get(job.table)
    if table is None:
        return reverse("dashboards:home")
    query = {"year": job.params.get("year")}
    if job.params.get("unit"):
        query["unit"] = job.params["unit"]
    query.update({k: v for k, v in (job.params.get("filters") or {}).items() if v})
    return f"{reverse(table.page)}?{urlencode(query)}"


def job_state(job: ExportJob) -> dict[str, Any]:
    """What the job page shows, and its JSON for the progress bar."""
    state = job.as_dict()
    finished = job.status not in UNFINISHED
    ready = job.status == ExportStatus.DONE and bool(job.result)
    if job.status == ExportStatus.QUEUED:
        summary = _("Waiting for a worker to write the file.")
    elif job.status == ExportStatus.RUNNING:
        summary = _("Writing the file: %(done)s of %(total)s rows.") % {
            "done": job.done,
            "total": job.total,
        }
    elif ready:
        summary = ngettext(
            "The file is ready: %(count)s row.", "The file is ready: %(count)s rows.", job.done
        ) % {"count": job.done}
    elif job.status == ExportStatus.DONE:
        summary = _("The file has been deleted.")
    else:
        summary = job.message or _("The export failed.")
    state.update(
        status_display=job.get_status_display(),
        finished=finished,
        ready=ready,
        summary=summary,
        filename=job.filename if ready else "",
        download=reverse("dashboards:export_download", args=[job.pk]) if ready else "",
    )
    return state


# --- tasks (imported by dashboards/tasks.py for Celery's autodiscovery) ---------------------------


@shared_task(name="dashboards.export_run", acks_late=True, reject_on_worker_lost=True)
def export_run_task(job_id: int) -> str | None:
    """Write one export's file; returns the job's status."""
    job = export_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="dashboards.exports_expire")
def exports_expire_task() -> int:
    """Delete exports older than DASHBOARD_EXPORT_DAYS (daily, in beat)."""
    return exports_expire()
