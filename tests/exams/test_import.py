"""Importing questions from the trainers' one-row-per-question spreadsheets, with a dry run."""

from __future__ import annotations

import csv
import io
import os
import re
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

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


def good_with(**changes: str) -> list[str]:
    """The GOOD row with some cells changed."""
    return row(**{**dict(zip(importing.TEMPLATE_HEADERS, GOOD, strict=True)), **changes})


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


# --- Hostile files: limits applied before the expensive step ------------------------------

XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="题库" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        "</Relationships>"
    ),
}


def sheet_row(number: int, values: list[str]) -> bytes:
    cells = "".join(
        f'<c r="{get_column_letter(column)}{number}" t="inlineStr"><is><t>{escape(value)}</t>'
        "</is></c>"
        for column, value in enumerate(values, start=1)
        if value
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def hand_written_xlsx(
    header: list[str], body: Iterator[bytes], *, dimension: str | None = None
) -> bytes:
    """An XLSX written with zipfile from sheet XML of our own: what a hostile tool can send."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>" + sheet_row(1, header))
            for chunk in body:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def filler_rows(first: int, last: int) -> Iterator[bytes]:
    """Question-looking rows ``first`` to ``last``, written 10,000 at a time."""
    for start in range(first, last + 1, 10_000):
        yield b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
            for n in range(start, min(start + 10_000, last + 1))
        )


@dataclass
class Reading:
    """What a parse read before it answered: deterministic, unlike its time under load
    (speed belongs in bench/)."""

    parsed: importing.Parsed
    rows_read: int  # rows the XLSX reader handed to the parser
    workbook_opened: bool  # openpyxl was asked to open the file at all
    xml_read: int  # bytes of XML decompressed by the tag count
    peak: int  # bytes of memory at the peak of a second parse


def measured(name: str, content: bytes, monkeypatch: pytest.MonkeyPatch) -> Reading:
    """The parse, with the rows, the workbook and the XML it read counted, and its peak memory."""
    import openpyxl

    counts = {"rows": 0, "opened": 0, "xml": 0}
    real_rows = importing._xlsx_rows
    real_open = openpyxl.load_workbook
    real_read = zipfile.ZipExtFile.read

    def counted_rows(data: bytes) -> Iterator[Any]:
        for row in real_rows(data):
            counts["rows"] += 1
            yield row

    def counted_open(*args: Any, **kwargs: Any) -> Any:
        counts["opened"] += 1
        return real_open(*args, **kwargs)

    def counted_read(self: Any, *args: Any) -> bytes:
        chunk = real_read(self, *args)
        if self.name.endswith((".xml", ".rels")):
            counts["xml"] += len(chunk)
        return chunk

    with monkeypatch.context() as patch:
        patch.setattr(importing, "_xlsx_rows", counted_rows)
        patch.setattr(openpyxl, "load_workbook", counted_open)
        patch.setattr(zipfile.ZipExtFile, "read", counted_read)
        parsed = importing.parse(name, content)
        observed = dict(counts)
    tracemalloc.start()
    try:
        importing.parse(name, content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Reading(parsed, observed["rows"], bool(observed["opened"]), observed["xml"], peak)


@pytest.fixture(scope="module")
def million_row_bombs() -> dict[str, bytes]:
    # The tester's file: a million identical rows, 140 KB zipped, 46 MB unzipped.
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    body = [row * 10_000] * 100
    return {
        "wrong header": hand_written_xlsx(["题目", "答案"], iter(body)),
        "right header": hand_written_xlsx(importing.TEMPLATE_HEADERS, iter(body)),
    }


@pytest.mark.parametrize("header", ["wrong header", "right header"])
def test_an_xlsx_that_expands_to_a_million_rows_is_refused_at_once(
    million_row_bombs, header, monkeypatch
):
    content = million_row_bombs[header]
    assert len(content) < 300 * 1024

    reading = measured("bomb.xlsx", content, monkeypatch)

    assert not reading.parsed.ok and not reading.parsed.rows
    assert len(reading.parsed.file_errors) == 1
    assert "20 MB" in reading.parsed.file_errors[0], reading.parsed.file_errors
    # Refused from the archive's directory: nothing decompressed, no workbook, no row.
    assert reading.xml_read == 0 and not reading.workbook_opened and reading.rows_read == 0
    assert reading.peak < 4 * 1024 * 1024, reading.peak  # never the expanded rows


def test_an_xlsx_with_a_wrong_header_is_refused_after_reading_one_row(db, monkeypatch):
    # More rows than a sheet may have, under every archive limit and with no dimension
    # declared: the header decides first, so the message is about columns, not rows.
    content = hand_written_xlsx(["题目", "答案"], filler_rows(2, importing.MAX_SHEET_ROWS + 100))

    reading = measured("bank.xlsx", content, monkeypatch)

    assert reading.parsed.file_errors[0].startswith(("Missing columns", "缺少列"))
    assert not reading.parsed.rows
    assert reading.rows_read == 1  # the header, and nothing below it
    assert reading.peak < 8 * 1024 * 1024, reading.peak


@pytest.mark.parametrize("dimension", [None, "A1:A8000"])
def test_an_xlsx_stops_being_read_at_the_row_limit(db, dimension, monkeypatch):
    content = hand_written_xlsx(
        importing.TEMPLATE_HEADERS,
        filler_rows(2, 2 * importing.MAX_SHEET_ROWS),
        dimension=dimension,
    )

    reading = measured("bank.xlsx", content, monkeypatch)

    assert reading.parsed.file_errors and not reading.parsed.rows
    assert str(importing.MAX_ROWS) in reading.parsed.file_errors[0], reading.parsed.file_errors
    # The header, one file's worth of questions and the one row too many; never the rest.
    assert reading.rows_read <= importing.MAX_ROWS + 2, reading.rows_read


def test_blank_rows_count_towards_the_sheet_limit(db, monkeypatch):
    # A question far below the header: openpyxl would hand over every blank row between.
    content = hand_written_xlsx(importing.TEMPLATE_HEADERS, iter([sheet_row(1_000_000, GOOD)]))

    reading = measured("bank.xlsx", content, monkeypatch)

    assert not reading.parsed.rows
    assert str(importing.MAX_SHEET_ROWS) in reading.parsed.file_errors[0]
    assert reading.rows_read <= importing.MAX_SHEET_ROWS, reading.rows_read


@pytest.mark.parametrize(
    "body",
    [
        # Rows of varied numbers (a ratio no bomb check sees) and no declared dimension,
        # which openpyxl would parse twice over: 20 s without the tag count.
        lambda: filler_rows(2, 100_000),
        # One row of 100,000 cells, which openpyxl builds whole before yielding it.
        lambda: iter(
            [b'<row r="2">' + b"".join(b"<c><v>%d</v></c>" % i for i in range(10**5)) + b"</row>"]
        ),
    ],
    ids=["many rows", "one wide row"],
)
def test_an_xlsx_with_more_xml_than_a_bank_needs_is_refused_before_openpyxl_reads_it(
    db, body, monkeypatch
):
    content = hand_written_xlsx(importing.TEMPLATE_HEADERS, body())
    assert len(content) < importing.MAX_BYTES

    reading = measured("bank.xlsx", content, monkeypatch)

    assert not reading.parsed.rows
    assert "300,000" in reading.parsed.file_errors[0], reading.parsed.file_errors
    assert not reading.workbook_opened and reading.rows_read == 0
    # The tag count stops within a megabyte of the limit, in 1 MB steps of XML.
    assert reading.xml_read <= importing.MAX_UNCOMPRESSED_BYTES, reading.xml_read


def test_a_full_bank_of_two_thousand_questions_passes_every_limit(db):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(importing.TEMPLATE_HEADERS)
    for number in range(importing.MAX_ROWS):
        example = list(importing.TEMPLATE_EXAMPLES[number % len(importing.TEMPLATE_EXAMPLES)])
        example[2] = f"{example[2]}（第{number}题）" + "题干很长" * 100
        example[12] = "解析" * 200
        sheet.append(example)
    output = io.BytesIO()
    workbook.save(output)

    parsed = importing.parse("bank.xlsx", output.getvalue())

    assert parsed.ok, parsed.file_errors
    assert len(parsed.rows) == importing.MAX_ROWS


def test_a_declared_dimension_too_wide_is_refused_before_any_row_is_read(db):
    content = hand_written_xlsx(importing.TEMPLATE_HEADERS, iter([]), dimension="A1:XFD2")

    parsed = importing.parse("bank.xlsx", content)

    assert parsed.file_errors == [
        importing._("The file has more than %s columns.") % importing.MAX_COLUMNS
    ]


def test_a_compression_ratio_no_spreadsheet_has_is_refused(db):
    # 4 MB of one repeated row: under the 20 MB limit, but a thousand times smaller zipped.
    body = iter([b'<row r="2"><c r="A2"><v>1</v></c></row>' * 100_000])
    content = hand_written_xlsx(importing.TEMPLATE_HEADERS, body)

    parsed = importing.parse("bank.xlsx", content)

    assert len(parsed.file_errors) == 1 and not parsed.rows
    assert "ZIP" in parsed.file_errors[0], parsed.file_errors


def test_a_formula_is_refused_even_where_excel_cached_a_harmless_value(db):
    # What openpyxl's data_only=True would hide: the cached value "点击" of a HYPERLINK.
    formula = '<c r="C2" t="str"><f>HYPERLINK("http://evil.example/","点击")</f><v>点击</v></c>'
    row_xml = sheet_row(2, GOOD).replace(
        b'<c r="C2" t="inlineStr"><is><t>' + GOOD[2].encode() + b"</t></is></c>",
        formula.encode(),
    )
    assert formula.encode() in row_xml
    content = hand_written_xlsx(importing.TEMPLATE_HEADERS, iter([row_xml]))

    parsed = importing.parse("bank.xlsx", content)

    assert not parsed.ok
    assert len(parsed.rows) == 1 and parsed.rows[0].text is None
    assert "题干" in parsed.rows[0].errors[0], parsed.rows[0].errors


def test_formulas_written_by_a_spreadsheet_are_row_errors(db):
    from openpyxl import Workbook
    from openpyxl.worksheet.formula import ArrayFormula

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(importing.TEMPLATE_HEADERS)
    sheet.append(GOOD)
    sheet.append(GOOD)
    sheet.append(GOOD)
    sheet["C2"] = '=HYPERLINK("http://evil.example/","点击")'
    sheet["D3"] = ArrayFormula("D3", "=SUM(1,2)")
    sheet["E4"] = "@SUM(1,2)"
    output = io.BytesIO()
    workbook.save(output)

    parsed = importing.parse("bank.xlsx", output.getvalue())

    errors = {r.number: r.errors for r in parsed.rows}
    assert "题干" in errors[2][0], errors
    assert "选项A" in errors[3][0], errors
    assert "选项B" in errors[4][0], errors
    assert not parsed.ok


@pytest.mark.parametrize(
    "stem",
    [
        "=1+1",
        '=HYPERLINK("http://evil.example/","点击")',
        "@SUM(1,2)",
        "+cmd|' /C calc'!A0",
        "-cmd|' /C calc'!A0",
        "  =1+1",
        "\t等级保护",
        "\r等级保护",
        "等级\x00保护",
        "等级\x07保护",
        "等级\r保护",
        "等级\x1b[31m保护",
        "x" * (importing.MAX_CELL_CHARS + 1),
    ],
)
def test_dangerous_cell_contents_are_a_row_error_naming_the_column(db, stem):
    parsed = importing.parse(
        "bank.csv",
        csv_bytes(
            [
                GOOD,
                good_with(题干=stem),
            ]
        ),
    )

    assert not parsed.ok
    good, bad = parsed.rows
    assert good.errors == []
    assert bad.text is None
    assert "题干" in bad.errors[0], bad.errors


@pytest.mark.parametrize(
    "stem",
    [
        "-1 的绝对值是多少？",
        "+86 是哪个国家的区号？",
        "- 列表项",
        "第一行\n第二行",
        "第一行\r\n第二行",
        "甲\t乙",
    ],
)
def test_ordinary_text_that_only_looks_odd_is_accepted(db, stem):
    parsed = importing.parse("bank.csv", csv_bytes([good_with(题干=stem)]))

    assert parsed.ok, [r.errors for r in parsed.rows]
    assert parsed.rows[0].text is not None
    assert "\r" not in parsed.rows[0].text.stem


def test_a_csv_field_beyond_the_csv_modules_limit_is_a_clear_file_error(db):
    long_row = row(
        **{**dict(zip(importing.TEMPLATE_HEADERS, GOOD, strict=True)), "题干": "x" * 200_000}
    )

    parsed = importing.parse("bank.csv", csv_bytes([GOOD, long_row]))

    assert not parsed.rows
    assert len(parsed.file_errors) == 1
    message = parsed.file_errors[0]
    assert "3" in message and str(importing.MAX_CELL_CHARS) in message, message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_csv_is_read_as_utf_8_with_or_without_bom_or_as_gbk(db, encoding):
    content = csv_bytes([GOOD]).decode("utf-8").encode(encoding)

    parsed = importing.parse("bank.csv", content)

    assert parsed.ok, parsed.file_errors
    assert parsed.rows[0].text is not None
    assert parsed.rows[0].text.stem == "等级保护共分几级？"
    assert parsed.rows[0].category_path == ["信息安全", "等级保护"]


def test_bytes_of_no_known_encoding_are_a_clear_file_error(db):
    content = csv_bytes([GOOD, GOOD]) + b"\xff\xfe\xff,\xff\r\n"

    parsed = importing.parse("bank.csv", content)

    assert not parsed.rows
    assert len(parsed.file_errors) == 1
    assert "4" in parsed.file_errors[0] and "UTF-8" in parsed.file_errors[0]


def test_more_questions_than_allowed_are_refused_as_a_whole(db):
    parsed = importing.parse("bank.csv", csv_bytes([GOOD] * (importing.MAX_ROWS + 1)))

    assert not parsed.rows
    assert str(importing.MAX_ROWS) in parsed.file_errors[0]


def test_columns_that_appear_twice_are_a_file_error(db):
    headers = [*importing.TEMPLATE_HEADERS, "题干"]
    parsed = importing.parse("bank.csv", csv_bytes([[*GOOD, "另一个题干"]], headers=headers))

    assert not parsed.rows
    assert "题干" in parsed.file_errors[0]


@pytest.mark.parametrize(
    "category", ["/".join(["层"] * (importing.MAX_CATEGORY_DEPTH + 1)), "信息安全/" + "长" * 81]
)
def test_a_category_the_tree_cannot_hold_is_a_row_error(db, category):
    parsed = importing.parse("bank.csv", csv_bytes([good_with(分类=category)]))

    assert not parsed.ok
    assert parsed.rows[0].errors and parsed.rows[0].category_path == []


def test_a_header_only_file_says_there_are_no_questions(db):
    parsed = importing.parse("bank.csv", csv_bytes([]))

    assert parsed.file_errors and not parsed.ok


# --- The checked file, kept in the private storage until confirmed -------------------------


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    return tmp_path / "private"


def test_a_stashed_upload_is_read_once_and_then_gone(private_storage):
    token = importing.upload_stash(content=b"a,b\n", suffix=".csv")

    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert (private_storage / "question-imports" / f"{token}.csv").read_bytes() == b"a,b\n"
    assert importing.upload_take(token=token, suffix=".csv") == b"a,b\n"
    assert not (private_storage / "question-imports" / f"{token}.csv").exists()
    with pytest.raises(FileNotFoundError):
        importing.upload_take(token=token, suffix=".csv")


@pytest.mark.parametrize(
    ("token", "suffix"),
    [
        ("../../../etc/passwd", ".csv"),
        ("../" + "0" * 29, ".csv"),
        ("0" * 31 + "/", ".csv"),
        ("A" * 32, ".csv"),
        ("0" * 32, "/../../x.csv"),
        ("0" * 32, ".py"),
        ("", ".csv"),
    ],
)
def test_a_token_that_is_not_a_plain_hex_token_touches_nothing(private_storage, token, suffix):
    outside = private_storage.parent / "passwd.csv"
    outside.write_bytes(b"secret")

    with pytest.raises(ValueError):
        importing.upload_take(token=token, suffix=suffix)

    assert outside.read_bytes() == b"secret"


def test_unconfirmed_uploads_expire_after_a_day_through_the_beat_task(private_storage):
    from exams.tasks import question_imports_expire_task

    assert importing.uploads_expire() == 0  # nothing stashed yet: not an error
    old = importing.upload_stash(content=b"old", suffix=".xlsx")
    new = importing.upload_stash(content=b"new", suffix=".csv")
    day_ago = time.time() - 25 * 3600
    os.utime(private_storage / "question-imports" / f"{old}.xlsx", (day_ago, day_ago))

    assert question_imports_expire_task() == 1

    assert importing.upload_take(token=new, suffix=".csv") == b"new"
    with pytest.raises(FileNotFoundError):
        importing.upload_take(token=old, suffix=".xlsx")
