"""Importing questions from the trainers' one-row-per-question spreadsheets, with a dry run."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from exams import importing
from exams.models import Question, QuestionCategory
from org import services


def csv_bytes(rows: list[list[str]], headers: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers or importing.TEMPLATE_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def row(**values: str) -> list[str]:
    return [values.get(header, "") for header in importing.TEMPLATE_HEADERS]


GOOD = row(
    分类="信息安全/等级保护",
    题型="单选",
    题干="等级保护共分几级？",
    选项A="三级",
    选项B="四级",
    选项C="五级",
    答案="C",
    难度="易",
)


def test_the_template_itself_imports_cleanly_in_both_formats(db):
    for name, content in (
        ("t.csv", importing.template_csv()),
        ("t.xlsx", importing.template_xlsx()),
    ):
        parsed = importing.parse(name, content)
        assert parsed.ok, [(r.number, r.errors) for r in parsed.rows] + parsed.file_errors
        assert len(parsed.rows) == len(importing.TEMPLATE_EXAMPLES)


def test_a_clean_file_imports_every_question_and_its_categories(db):
    parsed = importing.parse("bank.xlsx", importing.template_xlsx())

    assert importing.question_import(parsed) == 5

    assert Question.objects.count() == 5
    security = QuestionCategory.get_root_nodes().get(name="信息安全")
    assert {c.name for c in security.get_children()} == {"等级保护", "数据备份", "边界防护"}
    fill = Question.objects.select_related("current_version").get(current_version__kind="fill")
    assert fill.current_version is not None
    assert fill.current_version.answer == [["防火墙", "firewall"]]


def test_every_bad_row_is_reported_and_nothing_is_imported(db):
    content = csv_bytes(
        [
            GOOD,
            row(分类="信息安全", 题型="单选", 题干="空答案", 选项A="甲", 选项B="乙", 答案=""),
            row(分类="信息安全", 题型="单选", 题干="重复选项", 选项A="甲", 选项B="甲", 答案="A"),
            row(分类="信息安全", 题型="论述", 题干="未知题型", 答案="A"),
            row(分类="", 题型="判断", 题干="没有分类", 答案="对"),
            row(
                分类="信息安全",
                题型="单选",
                题干="答案不在选项中",
                选项A="甲",
                选项B="乙",
                答案="D",
            ),
            row(分类="信息安全", 题型="简答", 题干="没有评分标准"),
        ]
    )

    parsed = importing.parse("bank.csv", content)

    assert not parsed.ok
    errors = {r.number: r.errors for r in parsed.rows}
    assert errors[2] == []
    assert all(errors[number] for number in range(3, 9)), errors
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; nothing may be written
        importing.question_import(parsed)
    assert not Question.objects.exists()


def test_wrong_headers_are_a_file_error(db):
    parsed = importing.parse("bank.csv", csv_bytes([GOOD], headers=["题目", "答案"]))
    assert parsed.file_errors
    assert not parsed.rows


def test_a_gb18030_csv_from_excel_reads_correctly(db):
    text = "\r\n".join([",".join(importing.TEMPLATE_HEADERS), ",".join(GOOD)])
    parsed = importing.parse("bank.csv", text.encode("gb18030"))
    assert parsed.ok
    assert parsed.rows[0].text is not None and parsed.rows[0].text.stem == "等级保护共分几级？"


def test_a_damaged_xlsx_is_a_file_error(db):
    assert importing.parse("bank.xlsx", b"not a spreadsheet").file_errors


def test_a_trainer_checks_then_imports_through_the_admin(client, learner):
    services.role_grant(person=learner, role="trainer")
    client.force_login(learner.user)
    upload = SimpleUploadedFile("bank.xlsx", importing.template_xlsx())

    preview = client.post("/admin/exams/import/", {"file": upload})
    assert preview.status_code == 200
    assert not Question.objects.exists()  # a dry run writes nothing
    token = preview.context["confirm_token"]
    assert token

    imported = client.post("/admin/exams/import/", {"confirm": token})
    assert imported.status_code == 302
    assert Question.objects.count() == 5

    template = client.get("/admin/exams/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == importing.TEMPLATE_HEADERS


def test_a_learner_cannot_import(client, learner):
    client.force_login(learner.user)
    assert client.get("/admin/exams/import/").status_code in (302, 403)
