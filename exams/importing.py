"""Reading question files (XLSX or CSV, one row per question) for a dry run, then import.

The layout is the one trainers keep in their spreadsheets; ``TEMPLATE_HEADERS`` is the
first row of the template the admin offers for download. Nothing is imported while any row
is wrong: ``parse`` reports every row's errors, ``question_import`` runs only on a clean
result, in one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from exams import services
from exams.models import QuestionCategory, QuestionKind

MAX_ROWS = 2_000
MAX_BYTES = 5 * 1024 * 1024
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


def parse(name: str, content: bytes) -> Parsed:
    """Every row of an uploaded file, each with its errors; file-level problems apart."""
    if len(content) > MAX_BYTES:
        return Parsed(
            file_errors=[_("The file is larger than %s MB.") % (MAX_BYTES // 1024 // 1024)]
        )
    try:
        table = _xlsx(content) if name.lower().endswith(".xlsx") else _csv(content)
    except ValueError as error:
        return Parsed(file_errors=[str(error)])
    if not table:
        return Parsed(file_errors=[_("The file is empty.")])
    headers = [str(cell or "").strip() for cell in table[0]]
    missing = [header for header in REQUIRED_HEADERS if header not in headers]
    unknown = [header for header in headers if header and header not in TEMPLATE_HEADERS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(_("Missing columns: %s.") % "、".join(missing))
        if unknown:
            problems.append(_("Unknown columns: %s.") % "、".join(unknown))
        return Parsed(file_errors=[*problems, _("Use the template offered for download.")])
    body = [row for row in table[1:] if any(str(cell or "").strip() for cell in row)]
    if len(body) > MAX_ROWS:
        return Parsed(file_errors=[_("At most %s questions per file.") % MAX_ROWS])
    parsed = Parsed()
    for offset, cells in enumerate(table[1:], start=2):
        if not any(str(cell or "").strip() for cell in cells):
            continue
        values = {
            header: str(cells[index] if index < len(cells) and cells[index] is not None else "")
            for index, header in enumerate(headers)
        }
        parsed.rows.append(_row(offset, {k: v.strip() for k, v in values.items() if k}))
    return parsed


def _row(number: int, values: dict[str, str]) -> Row:
    row = Row(number=number)
    row.category_path = [part.strip() for part in values.get("分类", "").split("/") if part.strip()]
    if not row.category_path:
        row.errors.append(_("The category is empty."))
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


def _csv(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text)))
    raise ValueError(_("Unreadable text encoding: save the CSV as UTF-8 or GB18030, or use XLSX."))


def _xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several unrelated classes for a bad file
        raise ValueError(_("This XLSX file cannot be read; is it damaged?")) from None
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


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
