"""Reading question files (XLSX or CSV, one row per question) for a dry run, then import.

The layout is the one trainers keep in their spreadsheets; ``TEMPLATE_HEADERS`` is the
first row of the template the admin offers for download. Nothing is imported while any row
is wrong: ``parse`` reports every row's errors, ``question_import`` runs only on a clean
result, in one transaction.

An upload is hostile until read: limits are applied before the expensive step, never
after it. An XLSX is a ZIP, so its declared uncompressed sizes are checked before openpyxl
opens it (a 147 KB file can expand to a million rows), then the sheet's declared dimension;
rows are read lazily, the header first, and reading stops at the first limit passed. Cells
that a spreadsheet would run when the questions are exported again (formulas, text starting
with ``=``, ``@``, ``+`` or ``-``) and control characters are row errors.

The checked file waits for the trainer's confirmation in the private storage
(``upload_stash`` / ``upload_take``); ``uploads_expire`` removes files never confirmed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import secrets
import zipfile
import zlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exams import services
from exams.models import QuestionCategory, QuestionKind

MAX_ROWS = 2_000  # questions per file
MAX_BYTES = 5 * 1024 * 1024  # the uploaded file
# Rows read from a sheet, blank ones included, and its columns (the template has 14).
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 64
# An XLSX's parts once decompressed: 2,000 questions of long Chinese text stay under 10 MB.
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
# Spreadsheet XML compresses about 5 to 30 times; a part that expands far more is a bomb.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024
MAX_ARCHIVE_MEMBERS = 1_000
# openpyxl (with defusedxml) parses about 100,000 XML tags a second, and reads a sheet
# without a declared dimension twice: the tags of every XML part are counted first (a full
# bank of 2,000 questions has 130,000 to 150,000), so that no file costs more than a few
# seconds, however its cells are laid out.
MAX_XML_TAGS = 300_000
MAX_CELL_CHARS = 5_000
MAX_CATEGORY_DEPTH = 10
UPLOAD_DIR = "question-imports"
UPLOAD_SUFFIXES = (".csv", ".xlsx")
OPTION_LETTERS = "ABCDEF"
TEMPLATE_HEADERS = [
    "分类",
    "题型",
    "题干",
    *[f"选项{letter}" for letter in OPTION_LETTERS],
    "答案",
    "难度",
    "标签",
    "解析",
    "评分标准",
]
REQUIRED_HEADERS = ["分类", "题型", "题干", "答案"]
CATEGORY_NAME_LENGTH = QuestionCategory._meta.get_field("name").max_length or 80
KINDS = {
    "单选": QuestionKind.SINGLE,
    "单选题": QuestionKind.SINGLE,
    "多选": QuestionKind.MULTIPLE,
    "多选题": QuestionKind.MULTIPLE,
    "判断": QuestionKind.TRUE_FALSE,
    "判断题": QuestionKind.TRUE_FALSE,
    "填空": QuestionKind.FILL,
    "填空题": QuestionKind.FILL,
    "简答": QuestionKind.SHORT,
    "简答题": QuestionKind.SHORT,
}
DIFFICULTIES = {"": 2, "1": 1, "2": 2, "3": 3, "易": 1, "容易": 1, "中": 2, "中等": 2}
DIFFICULTIES |= {"难": 3, "困难": 3}
TEMPLATE_EXAMPLES = [
    [
        "信息安全/等级保护",
        "单选",
        "网络安全等级保护共分为几个级别？",
        "三级",
        "四级",
        "五级",
        "",
        "",
        "",
        "C",
        "易",
        "等级保护",
        "等级保护分为第一级至第五级。",
        "",
    ],
    [
        "信息安全/数据备份",
        "多选",
        "下列做法中，符合“3-2-1”备份原则的有哪些？",
        "保留三份数据副本",
        "使用两种不同的存储介质",
        "至少一份副本异地保存",
        "只在本机保存一份",
        "",
        "",
        "A,B,C",
        "中",
        "备份",
        "3-2-1 原则：三份副本、两种介质、一份异地。",
        "",
    ],
    [
        "电子政务/基本概念",
        "判断",
        "G2C 指政府对企业的电子政务。",
        "",
        "",
        "",
        "",
        "",
        "",
        "错",
        "易",
        "G2C",
        "G2C 指政府对公民，政府对企业是 G2B。",
        "",
    ],
    [
        "信息安全/边界防护",
        "填空",
        "在内外网之间实施访问控制的常用设备是____。",
        "",
        "",
        "",
        "",
        "",
        "",
        "防火墙|firewall",
        "易",
        "防火墙",
        "",
        "",
    ],
    [
        "信息安全/数据备份",
        "简答",
        "简述数据备份的“3-2-1”原则。",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "中",
        "备份",
        "",
        "答出三份副本得2分；两种介质得2分；一份异地保存得1分。",
    ],
]


@dataclass
class Row:
    number: int  # the spreadsheet's row number, counting the header as row 1
    category_path: list[str] = field(default_factory=list)
    text: services.QuestionText | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.file_errors and not any(r.errors for r in self.rows)

    @property
    def new_categories(self) -> list[str]:
        existing = {_path_names(c) for c in QuestionCategory.objects.all()}
        wanted = {tuple(row.category_path) for row in self.rows if row.category_path}
        return ["/".join(path) for path in sorted(wanted - existing)]


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, for the trainer."""


def parse(name: str, content: bytes) -> Parsed:
    """Every row of an uploaded file, each with its errors; file-level problems apart."""
    if len(content) > MAX_BYTES:
        return Parsed(
            file_errors=[_("The file is larger than %s MB.") % (MAX_BYTES // 1024 // 1024)]
        )
    rows = _xlsx_rows(content) if name.lower().endswith(".xlsx") else _csv_rows(content)
    try:
        with contextlib.closing(rows):
            return _parse_rows(rows)
    except FileRefused as error:
        return Parsed(file_errors=[str(error)])


def _parse_rows(rows: Iterator[tuple[int, Sequence[Any]]]) -> Parsed:
    # The header is the first row with anything in it, and is checked before any other row
    # is read: a wrong file is refused after one row, however long it is.
    for _number, cells in rows:
        if not _blank(cells):
            headers = [str(cell if cell is not None else "").strip() for cell in cells]
            break
    else:
        return Parsed(file_errors=[_("The file is empty.")])
    while headers and not headers[-1]:
        headers.pop()
    problems = _header_problems(headers)
    if problems:
        return Parsed(file_errors=problems)
    parsed = Parsed()
    for number, cells in rows:
        if _blank(cells):
            continue
        if len(parsed.rows) == MAX_ROWS:
            return Parsed(file_errors=[_("At most %s questions per file.") % MAX_ROWS])
        parsed.rows.append(_checked_row(number, headers, cells))
    if not parsed.rows:
        return Parsed(file_errors=[_("The file has no questions below its header.")])
    return parsed


def _blank(cells: Sequence[Any]) -> bool:
    return not any(str(cell if cell is not None else "").strip() for cell in cells)


def _header_problems(headers: list[str]) -> list[str]:
    if len(headers) > MAX_COLUMNS:
        return [_("The file has more than %s columns.") % MAX_COLUMNS]
    missing = [header for header in REQUIRED_HEADERS if header not in headers]
    unknown = [header for header in headers if header and header not in TEMPLATE_HEADERS]
    named = [header for header in headers if header]
    twice = sorted({header for header in named if named.count(header) > 1})
    problems = []
    if missing:
        problems.append(_("Missing columns: %s.") % "、".join(missing))
    if unknown:
        problems.append(_("Unknown columns: %s.") % "、".join(_shortened(h) for h in unknown))
    if twice:
        problems.append(_("Columns that appear twice: %s.") % "、".join(twice))
    if problems:
        problems.append(_("Use the template offered for download."))
    return problems


def _checked_row(number: int, headers: list[str], cells: Sequence[Any]) -> Row:
    """One question row: every cell's content checked, then the question's own rules."""
    cell_errors = []
    values = {}
    for index, header in enumerate(headers):
        if not header:
            continue  # a column without a header is not read
        value = cells[index] if index < len(cells) else None
        problem = cell_problem(value)
        if problem:
            cell_errors.append(
                _("Column “%(column)s”: %(problem)s") % {"column": header, "problem": problem}
            )
            value = None
        values[header] = _cell_text(value)
    row = _row(number, values)
    if cell_errors:
        row.errors[:0] = cell_errors
        row.text = None
    return row


# Excel, LibreOffice and WPS run a cell starting with these when the text is pasted or a CSV
# of it is opened (OWASP, "CSV injection"); + and - are fine before a digit or a space
# ("-1", "+86 ...", "- a list item").
_FORMULA_START = re.compile(r"[=@]|[+\-][^\d\s]")
# C0 control characters but tab and line feed, and DEL; CR counts only when not before LF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PLAIN_VALUES = (int, float, Decimal, datetime.date, datetime.time, datetime.timedelta)


def cell_problem(value: Any) -> str | None:
    """Why a cell's content cannot go into a question (None when it can)."""
    if value is None or isinstance(value, _PLAIN_VALUES):  # bool is an int; datetime a date
        return None
    if not isinstance(value, str):  # openpyxl's ArrayFormula, DataTableFormula
        return _("is a formula; paste the values instead (Paste Special › Values).")
    if len(value) > MAX_CELL_CHARS:
        return _("has %(length)s characters; a cell may hold at most %(limit)s.") % {
            "length": len(value),
            "limit": MAX_CELL_CHARS,
        }
    if value[:1] in ("\t", "\r"):
        return _("starts with a tab or a carriage return; delete it.")
    if _FORMULA_START.match(value.strip()):
        return (
            _(
                "starts with “%s”, as a formula does: formulas are not accepted. Paste "
                "values, or begin the text differently (a full-width ＝, ＋ or － is fine)."
            )
            % value.strip()[:1]
        )
    control = _CONTROL.search(value.replace("\r\n", "\n"))
    if control:
        return _("contains the control character U+%04X; delete it.") % ord(control.group())
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a difficulty typed as 1 may come back as 1.0
    return str(value).replace("\r\n", "\n").strip()


def _row(number: int, values: dict[str, str]) -> Row:
    row = Row(number=number)
    row.category_path = [part.strip() for part in values.get("分类", "").split("/") if part.strip()]
    if not row.category_path:
        row.errors.append(_("The category is empty."))
    elif len(row.category_path) > MAX_CATEGORY_DEPTH:
        row.errors.append(_("A category is at most %s levels deep.") % MAX_CATEGORY_DEPTH)
        row.category_path = []
    elif any(len(part) > CATEGORY_NAME_LENGTH for part in row.category_path):
        row.errors.append(_("A category name has at most %s characters.") % CATEGORY_NAME_LENGTH)
        row.category_path = []
    kind = KINDS.get(values.get("题型", ""))
    if kind is None:
        row.errors.append(
            _("Unknown question type “%s”: use 单选, 多选, 判断, 填空 or 简答.")
            % values.get("题型", "")
        )
        return row
    difficulty = DIFFICULTIES.get(values.get("难度", ""))
    if difficulty is None:
        row.errors.append(_("The difficulty is 1, 2, 3 or 易, 中, 难."))
        return row
    options = [values.get(f"选项{letter}", "") for letter in OPTION_LETTERS]
    while options and not options[-1]:
        options.pop()
    if "" in options:
        row.errors.append(_("An option is missing between two others."))
    raw = values.get("答案", "")
    answer: Any = raw
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        letters = [part.strip() for part in raw.replace("，", ",").replace("、", ",").split(",")]
        if len(letters) == 1 and len(letters[0]) > 1 and kind == QuestionKind.MULTIPLE:
            letters = list(letters[0])  # "ABC"
        answer = [letter.lower() for letter in letters if letter]
        if kind == QuestionKind.SINGLE:
            answer = answer[0] if len(answer) == 1 else answer
    elif kind == QuestionKind.FILL:
        blanks = raw.replace(";", "；").split("；")
        answer = [blank.split("|") for blank in blanks if blank.strip()]
    elif kind == QuestionKind.SHORT:
        answer = None
    if kind != QuestionKind.SHORT and not raw:
        row.errors.append(_("The answer is empty."))
        return row
    text = services.QuestionText(
        kind=kind,
        stem=values.get("题干", ""),
        options=options,
        answer=answer,
        difficulty=difficulty,
        explanation=values.get("解析", ""),
        rubric=values.get("评分标准", ""),
        tags=tuple(part.strip() for part in values.get("标签", "").replace("，", ",").split(",")),
    )
    try:
        services.question_validate(text)
    except ValidationError as error:
        row.errors.extend(error.messages)
    if not row.errors:
        row.text = text
    return row


@transaction.atomic
def question_import(parsed: Parsed) -> int:
    """Create every question of a clean dry run, with any missing categories; all or none."""
    if not parsed.ok:
        raise ValidationError(_("The file has errors; nothing was imported."))
    created = 0
    for row in parsed.rows:
        assert row.text is not None
        category = _category(row.category_path)
        services.question_create(category=category, text=row.text)
        created += 1
    return created


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(TEMPLATE_EXAMPLES)
    # A byte-order mark, so that Excel opens the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "题库"
    sheet.append(TEMPLATE_HEADERS)
    for example in TEMPLATE_EXAMPLES:
        sheet.append(example)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _csv_rows(content: bytes) -> Generator[tuple[int, Sequence[Any]]]:
    reader = csv.reader(io.StringIO(_csv_text(content)))
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # csv refuses a field above csv.field_size_limit() (131,072 characters), and
            # cannot go on after it: the whole file is refused, naming the line.
            if "field limit" in str(error):
                raise FileRefused(
                    _(
                        "Line %(line)s has a cell longer than %(limit)s characters; a cell "
                        "may hold at most %(max)s."
                    )
                    % {
                        "line": reader.line_num,
                        "limit": csv.field_size_limit(),
                        "max": MAX_CELL_CHARS,
                    }
                ) from None
            raise FileRefused(
                _("Line %(line)s of the CSV cannot be read (%(error)s).")
                % {"line": reader.line_num, "error": error}
            ) from None
        number += 1
        if number > MAX_SHEET_ROWS:
            raise FileRefused(_too_many_rows())
        yield number, cells


def _csv_text(content: bytes) -> str:
    """The text of a CSV saved as UTF-8 (with or without a byte-order mark) or GB18030/GBK."""
    failures = []
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError as error:
            failures.append(error.start)
    # The encoding that read further is the one the file was meant to be in.
    position = max(failures)
    raise FileRefused(
        _(
            "Line %(line)s has bytes that are neither UTF-8 nor GB18030 (GBK) text: save the "
            "CSV as “CSV UTF-8”, or use XLSX."
        )
        % {"line": content[:position].count(b"\n") + 1}
    )


def _xlsx_rows(content: bytes) -> Generator[tuple[int, Sequence[Any]]]:
    _xlsx_archive_check(content)
    from openpyxl import load_workbook

    try:
        # read_only: rows are parsed as they are asked for. data_only=False: a formula
        # comes back as its text ("=HYPERLINK(...)"), not as the value Excel cached for it,
        # so that it is seen and refused.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises several unrelated classes for a bad file
        raise FileRefused(_("This XLSX file cannot be read; is it damaged?")) from None
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The file is empty."))
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > MAX_SHEET_ROWS:
            raise FileRefused(_too_many_rows())
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise FileRefused(_("The file has more than %s columns.") % MAX_COLUMNS)
        # The declared dimension may also be too small (some tools write A1:A1); without it
        # openpyxl reads every row there is, and the count below bounds them.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS, values_only=True)
        for number, cells in enumerate(rows, start=1):
            if number > MAX_SHEET_ROWS:
                raise FileRefused(_too_many_rows())
            yield number, cells
    except FileRefused:
        raise
    except Exception:  # a part damaged further in: bad XML, a CRC error, ...
        raise FileRefused(_("This XLSX file cannot be read; is it damaged?")) from None
    finally:
        workbook.close()


def _xlsx_archive_check(content: bytes) -> None:
    """Refuse a ZIP bomb from the archive's directory, before anything is decompressed.

    zipfile never returns more than a member's declared size (a member that would expand
    further fails its CRC check), so the declared sizes are a real bound.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise FileRefused(_("This XLSX file cannot be read; is it damaged?")) from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise FileRefused(_("This XLSX file has too many parts to be a question bank."))
    expanded = sum(member.file_size for member in members)
    if expanded > MAX_UNCOMPRESSED_BYTES:
        raise FileRefused(
            _(
                "This XLSX file expands to %(size)s MB when opened; at most %(limit)s MB "
                "are read. Remove empty or formatted rows below the questions, or split it."
            )
            % {
                "size": expanded // 1024 // 1024,
                "limit": MAX_UNCOMPRESSED_BYTES // 1024 // 1024,
            }
        )
    for member in members:
        if (
            member.file_size > RATIO_CHECKED_ABOVE
            and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise FileRefused(
                _(
                    "This XLSX file expands %(ratio)s times when opened, far more than a "
                    "spreadsheet does: it is refused as a ZIP bomb."
                )
                % {"ratio": member.file_size // max(member.compress_size, 1)}
            )
    _xml_tags_check(content, members)


def _xml_tags_check(content: bytes, members: list[zipfile.ZipInfo]) -> None:
    """Count the tags of the XML parts (at most 20 MB, decompressed in 1 MB steps)."""
    tags = 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in members:
                if not member.filename.lower().endswith((".xml", ".rels")):
                    continue  # pictures and the like: openpyxl does not parse them
                with archive.open(member) as part:
                    while chunk := part.read(1024 * 1024):
                        tags += chunk.count(b"<")
                        if tags > MAX_XML_TAGS:
                            raise FileRefused(
                                _(
                                    "This XLSX file holds more than %(tags)s XML tags, "
                                    "far more than %(questions)s questions need: clear its "
                                    "formatting, or save it as CSV, and upload it again."
                                )
                                % {"tags": f"{MAX_XML_TAGS:,}", "questions": MAX_ROWS}
                            )
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError):
        # A bad CRC, a damaged or unknown compression, a password, a truncated part.
        raise FileRefused(_("This XLSX file cannot be read; is it damaged?")) from None


def _too_many_rows() -> str:
    return _("The sheet has more than %(rows)s rows; at most %(questions)s questions per file.") % {
        "rows": MAX_SHEET_ROWS,
        "questions": MAX_ROWS,
    }


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --- The checked file, kept until the trainer confirms ------------------------------------
# Private storage (STORAGES["private"]): never under MEDIA_ROOT, never served by URL.
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _private() -> Storage:
    return storages["private"]


def _upload_name(token: str, suffix: str) -> str:
    # Both parts are checked, so the name stays inside UPLOAD_DIR whatever a session holds.
    if not _TOKEN.fullmatch(token) or suffix not in UPLOAD_SUFFIXES:
        raise ValueError("not an upload token")
    return f"{UPLOAD_DIR}/{token}{suffix}"


def upload_stash(*, content: bytes, suffix: str) -> str:
    """Keep a checked file until the trainer confirms it; returns its unguessable token."""
    token = secrets.token_hex(16)
    _private().save(_upload_name(token, suffix), ContentFile(content))
    return token


def upload_take(*, token: str, suffix: str) -> bytes:
    """The stashed file's bytes, deleted as they are read.

    ValueError for a token that is not one of ours (nothing is touched), FileNotFoundError
    (an OSError) when the file has expired or was taken already.
    """
    name = _upload_name(token, suffix)
    storage = _private()
    try:
        with storage.open(name, "rb") as stashed:
            content = stashed.read(MAX_BYTES + 1)
    finally:
        storage.delete(name)
    return bytes(content)


def uploads_expire(*, older_than_hours: int = 24) -> int:
    """Delete stashed files never confirmed within the given hours; returns how many."""
    storage = _private()
    cutoff = timezone.now() - datetime.timedelta(hours=older_than_hours)
    try:
        filenames = storage.listdir(UPLOAD_DIR)[1]
    except FileNotFoundError:  # nothing was ever stashed
        return 0
    deleted = 0
    for filename in filenames:
        name = f"{UPLOAD_DIR}/{filename}"
        try:
            if storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                deleted += 1
        except FileNotFoundError:
            continue  # taken by its confirmation meanwhile
    return deleted


def _path_names(category: QuestionCategory) -> tuple[str, ...]:
    return tuple(c.name for c in [*category.get_ancestors(), category])


def _category(path: list[str]) -> QuestionCategory:
    parent: QuestionCategory | None = None
    for name in path:
        siblings = QuestionCategory.get_root_nodes() if parent is None else parent.get_children()
        found = siblings.filter(name=name).first()
        if found is None:
            found = (
                QuestionCategory.add_root(name=name)
                if parent is None
                else parent.add_child(name=name)
            )
        parent = found
    assert parent is not None
    return parent
