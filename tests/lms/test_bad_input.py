"""Bad input everywhere: every JSON endpoint under /api/v1/ and every upload.

Oversized, deeply nested, overflowing, malformed, markup and GBK-encoded input must be a
4xx with a message in the body, never a 5xx, never a traceback, and must store nothing.
The cases run with DEBUG off, as in production (and a few with it on); a case that still
fails because of code outside the parser and the importer is marked ``xfail(strict=True)``
with the file to fix, so that it turns red the day it passes.
"""

from __future__ import annotations

import html
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from rest_framework.test import APIClient

from courses import services as courses_services
from courses.models import CreditRecord, Enrolment, LearnerPresence, LessonProgress, LessonView
from courses.selectors import course_lessons
from exams import importing
from exams import services as exams_services
from exams.models import Answer, Attempt, Question, QuestionCategory
from org import services as org_services
from org.models import ApiToken
from tests import factories

BIG = 1180591620717411303424  # 2**70: past every integer column and C long
# Fixed, not random: xdist workers must collect the same test ids.
UNKNOWN_ATTEMPT = "3f0c1f5e-9d7a-4c8e-b1a2-6d5e4f3a2b1c"
DEEP = b"[" * 100_000  # the tester's heartbeat body (100 KB)
DEEP_SMALL = b"[" * 10_000 + b"]" * 10_000  # the tester's answer body (20 KB)
DEEP_OBJECTS = b'{"a":' * 5_000 + b"1" + b"}" * 5_000


def gbk(text: str) -> bytes:
    encoded = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        encoded.decode("utf-8")  # the case is only worth having if it is not UTF-8 too
    return encoded


@dataclass(frozen=True)
class Body:
    # Bytes, or made from the test's data (a heartbeat names the learner's open view).
    content: bytes | Callable[[World], bytes]
    content_type: str = "application/json"
    status: tuple[int, ...] = (400,)


# Bodies that are wrong whatever the endpoint expects.
ANY_ENDPOINT: dict[str, Body] = {
    "not JSON": Body(b"not json"),
    "truncated": Body(b'{"lesson": 1'),
    "empty object": Body(b"{}"),
    "null": Body(b"null"),
    "array at top level": Body(b"[1, 2]"),
    "string at top level": Body(b'"lesson"'),
    "number at top level": Body(b"42"),
    "nested 100,000 deep": Body(DEEP, status=(400, 413)),
    "nested 10,000 deep in 20 KB": Body(DEEP_SMALL),
    "objects nested 5,000 deep": Body(DEEP_OBJECTS),
    "100 KB": Body(json.dumps({"x": "a" * 100_000}).encode(), status=(413,)),
    "3 MB": Body(json.dumps({"x": "a" * 3_000_000}).encode(), status=(413,)),
    "NaN": Body(b'{"x": NaN}'),
    "Infinity": Body(b'{"x": -Infinity}'),
    "a float that overflows": Body(b'{"x": 1e999}'),
    "an integer of 5,000 digits": Body(b'{"x": ' + b"9" * 5_000 + b"}"),
    "duplicate keys": Body(b'{"x": 1, "x": 2}'),
    "NUL in a string": Body(b'{"x": "a\\u0000b"}'),
    "a lone surrogate": Body(b'{"x": "\\ud800"}'),
    "GBK text": Body(gbk('{"x": "视频"}')),
    "GBK declared as such": Body(gbk('{"x": "视频"}'), "application/json; charset=gbk"),
    "UTF-16": Body('{"x": 1}'.encode("utf-16")),
    "markup instead of JSON": Body(b"<script>alert(1)</script>"),
    "XML": Body(b"<lesson>1</lesson>", "application/xml", status=(415,)),
    "HTML": Body(b"<p>1</p>", "text/html", status=(415,)),
}


def cases(specific: dict[str, Body], xfail: dict[str, str] | None = None) -> list[Any]:
    """Parameters for one endpoint: the bodies wrong anywhere and its own, some marked."""
    xfail = xfail or {}
    bodies = {**ANY_ENDPOINT, **specific}
    unknown = set(xfail) - set(bodies)
    assert not unknown, unknown
    return [
        pytest.param(
            body,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=xfail[name])] if name in xfail else [],
        )
        for name, body in bodies.items()
    ]


def as_json(value: Any, status: tuple[int, ...] = (400,)) -> Body:
    return Body(json.dumps(value).encode(), status=status)


@dataclass
class World:
    """A learner with an open lesson view and an open exam attempt, and a trainer."""

    api: APIClient
    view: str
    lesson_id: int
    exam_id: int
    attempt: str
    user: User


@pytest.fixture(autouse=True)
def production_like(settings: Any) -> None:
    settings.DEBUG = False
    # A cache of this module's own: throttles and sessions start empty for every test, and a
    # Redis cache shared with other tests is never cleared from here.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"bad-input-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def world(learner: Any) -> World:
    course = factories.course_create(lessons=1, minutes=1)
    lesson = course_lessons(course)[0]
    enrolment = courses_services.enrolment_create(person=learner, course=course, source="elective")
    view = courses_services.lesson_view_open(enrolment=enrolment, lesson=lesson)
    category = factories.question_category()
    exam = factories.exam_create(questions=[factories.question_single(category)], attempts=3)
    attempt = exams_services.attempt_start(exam=exam, person=learner)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(learner.user)
    return World(
        api=api,
        view=str(view.token),
        lesson_id=lesson.pk,
        exam_id=exam.pk,
        attempt=str(attempt.public_id),
        user=learner.user,
    )


def stored() -> dict[str, list[dict[str, Any]]]:
    """Every row a request of these endpoints could write."""
    models: list[type[Model]] = [
        LessonView,
        LessonProgress,
        LearnerPresence,
        Enrolment,
        CreditRecord,
        Attempt,
        Answer,
        ApiToken,
        Question,
        QuestionCategory,
    ]
    return {m.__name__: list(m._default_manager.order_by("pk").values()) for m in models}


def assert_refused(response: Any, statuses: tuple[int, ...]) -> None:
    body = response.content.decode("utf-8", "replace")
    assert response.status_code < 500, body[:2000]
    assert "Traceback" not in body and 'File "/' not in body, body[:2000]
    assert response.status_code in statuses, (response.status_code, body[:500])
    if response["Content-Type"].startswith("application/json"):
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail.strip(), body[:500]
    else:
        assert body.strip(), "an empty error page"


def nul_or(url: str, statuses: tuple[int, ...]) -> tuple[int, ...]:
    """A NUL anywhere in the URL is a 400 before any view runs (lms/input_guard.py)."""
    return (400, *statuses) if "%00" in url else statuses


def send(world: World, method: str, path: str, body: Body) -> Any:
    content = body.content(world) if callable(body.content) else body.content
    return getattr(world.api, method)(path, data=content, content_type=body.content_type)


def check(world: World, method: str, path: str, body: Body) -> None:
    before = stored()
    response = send(world, method, path, body)
    assert_refused(response, body.status)
    assert stored() == before


# --- POST /api/v1/lesson-views/ -------------------------------------------------------------

LESSON_VIEWS = {
    "a lesson id past bigint": as_json({"lesson": BIG}),
    "a negative lesson id past bigint": as_json({"lesson": -BIG}),
    "the largest bigint": as_json({"lesson": 2**63 - 1}, status=(404,)),
    "a lesson id of zero": as_json({"lesson": 0}),
    "a lesson id as words": as_json({"lesson": "第一课"}),
    "a lesson id as a fraction": as_json({"lesson": 1.5}),
    "a lesson id as true": as_json({"lesson": True}),
    "a lesson id as null": as_json({"lesson": None}),
    "a lesson id as a list": as_json({"lesson": [1]}),
    "a lesson id as markup": as_json({"lesson": "<script>alert(1)</script>"}),
    "a lesson id of 10,000 digits in a string": as_json({"lesson": "9" * 10_000}),
}


@pytest.mark.parametrize("body", cases(LESSON_VIEWS))
def test_bad_lesson_view_bodies_are_refused_and_open_nothing(world, body):
    check(world, "post", "/api/v1/lesson-views/", body)


# --- POST /api/v1/heartbeats/ ---------------------------------------------------------------


def heartbeat(status: tuple[int, ...] = (400,), **changes: Any) -> Body:
    """A heartbeat of the learner's open view, with some fields changed."""

    def content(world: World) -> bytes:
        beat = {"view": world.view, "seq": 1, "visible": True, **changes}
        return json.dumps(beat).encode()

    return Body(content, status=status)


HEARTBEATS = {
    "a view that is not a UUID": heartbeat(view="<script>alert(1)</script>"),
    "someone else's view": heartbeat(view=UNKNOWN_ATTEMPT, status=(404,)),
    "a sequence past bigint": heartbeat(seq=BIG),
    "a negative sequence": heartbeat(seq=-1),
    "a sequence as words": heartbeat(seq="一"),
    "visible as a number": heartbeat(visible=7),
    "a video name of 10,000 characters": heartbeat(video="v" * 10_000),
    "a position past a day": heartbeat(position=1e308),
    "a position of the string NaN": heartbeat(position="NaN"),
    "a position of the string Infinity": heartbeat(position="Infinity"),
    "a nested view": heartbeat(view={"view": "x"}),
}
HEARTBEAT_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("body", cases(HEARTBEATS, HEARTBEAT_XFAIL))
def test_bad_heartbeats_are_refused_and_count_nothing(world, body):
    check(world, "post", "/api/v1/heartbeats/", body)


# --- PUT /api/v1/attempts/<id>/answers/<n>/ -------------------------------------------------

ANSWERS = {
    # The answer view refuses a body over its own 32 KB with a 400 before the parser's 413.
    "100 KB": Body(json.dumps({"x": "a" * 100_000}).encode(), status=(400, 413)),
    "no response": as_json({"answer": "c"}),
    "a null response": as_json({"response": None}),
    "a response of 40 KB": as_json({"response": "c" * 40_000}),
    "a response past bigint": as_json({"response": BIG}),
    "a response of markup": as_json({"response": "<script>alert(1)</script>"}),
    "a response nested 15 deep": as_json({"response": json.loads("[" * 15 + "]" * 15)}),
    "a response of 10,000 options": as_json({"response": ["c"] * 10_000}),
}


@pytest.mark.parametrize("body", cases(ANSWERS))
def test_bad_answers_are_refused_and_save_nothing(world, body):
    check(world, "put", f"/api/v1/attempts/{world.attempt}/answers/1/", body)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/attempts/{{attempt}}/answers/{BIG}/",
        "/api/v1/attempts/{attempt}/answers/0/",
        "/api/v1/attempts/{attempt}/answers/-1/",
        "/api/v1/attempts/{attempt}/answers/99/",
        "/api/v1/attempts/{attempt}/answers/一/",
        "/api/v1/attempts/{attempt}/answers/1.5/",
        f"/api/v1/attempts/{UNKNOWN_ATTEMPT}/answers/1/",
        "/api/v1/attempts/not-a-uuid/answers/1/",
        "/api/v1/attempts/%2e%2e/answers/1/",
    ],
)
def test_answers_to_positions_or_attempts_that_cannot_exist_are_refused(world, path):
    before = stored()
    response = world.api.put(path.format(attempt=world.attempt), {"response": "c"}, format="json")
    assert_refused(response, (400, 404))
    assert stored() == before


# --- exam start, submit, detail, result: ids in the URL ------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"/api/v1/exams/{BIG}/attempts/"),
        ("post", "/api/v1/exams/99999999999999999999/attempts/"),
        ("post", "/api/v1/exams/0/attempts/"),
        ("post", "/api/v1/exams/-1/attempts/"),
        ("post", "/api/v1/exams/一/attempts/"),
        ("post", f"/api/v1/exams/{'9' * 10_000}/attempts/"),
        ("post", f"/api/v1/attempts/{UNKNOWN_ATTEMPT}/submit/"),
        ("post", "/api/v1/attempts/not-a-uuid/submit/"),
        ("get", f"/api/v1/attempts/{UNKNOWN_ATTEMPT}/"),
        ("get", f"/api/v1/attempts/{'f' * 10_000}/"),
        ("get", f"/api/v1/attempts/{UNKNOWN_ATTEMPT}/result/"),
        ("get", "/api/v1/attempts/%00/result/"),
    ],
)
def test_exams_and_attempts_that_cannot_exist_are_404(world, method, path):
    before = stored()
    response = getattr(world.api, method)(path)
    assert_refused(response, nul_or(path, (404,)))
    assert stored() == before


def test_a_body_sent_to_an_exam_start_is_not_read(world):
    # Starting takes no body: a hostile one is ignored, not parsed (so it cannot fail).
    response = world.api.post(
        f"/api/v1/exams/{world.exam_id}/attempts/", data=DEEP_SMALL, content_type="application/json"
    )
    assert response.status_code == 201  # resumes the attempt already open
    assert response.json()["id"] == world.attempt


# --- GET endpoints: query strings --------------------------------------------------------


@pytest.mark.parametrize(
    "year",
    ["99999999999999999999", "1" * 10_000, "-1", "0", "abc", "２０２６", "2026.5", "%00", "1e3"],
)
def test_a_credit_year_that_cannot_be_is_400(world, year):
    response = world.api.get(f"/api/v1/credits/summary/?year={year}")
    assert_refused(response, (400,))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/courses/?category=" + "c" * 10_000,
        "/api/v1/courses/?category=%00",
        "/api/v1/courses/?category=<script>",
        "/api/v1/enrolments/?page=" + str(BIG),
        "/api/v1/attempts/?ordering=%00",
        "/api/v1/certificates/?year=" + str(BIG),
    ],
)
def test_odd_query_strings_on_lists_never_fail(world, path):
    response = world.api.get(path)
    body = response.content.decode()
    assert response.status_code in (200, 400, 404), body[:500]
    assert "Traceback" not in body


# --- certificate verification: API and portal ---------------------------------------------

ODD_CODES = [
    "a",
    "..",
    "%2e%2e",
    "%2E%2E%2F%2E%2E",
    "a%2Fb",
    "%00",
    "%0d%0aSet-Cookie:x=1",
    "<script>alert(1)</script>",
    "x" * 10_000,
    "证书",
    str(BIG),
]


@pytest.fixture
def anonymous(db: None) -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("code", ODD_CODES)
def test_odd_codes_are_a_404_from_the_verify_api(anonymous, code):
    response = anonymous.get(f"/api/v1/certificates/verify/{code}/")
    assert_refused(response, nul_or(code, (404,)))


@pytest.mark.parametrize(
    "path",
    [
        "/verify/?code=a/b",
        "/verify/?code=../../etc/passwd",
        "/verify/?code=%00",
        "/verify/?code=" + "x" * 10_000,
        "/verify/?code=%E8%AF%81%E4%B9%A6",
        "/verify/?code=",
        *[f"/verify/{code}/" for code in ODD_CODES],
    ],
)
def test_odd_codes_on_the_verify_page_are_a_404_never_a_500(anonymous, path):
    response = anonymous.get(path, follow=True)
    body = response.content.decode()
    assert response.status_code in (200, 400, 404), body[:500]
    assert "Traceback" not in body
    if response.redirect_chain:  # the form redirects to the code's page: which is a 404
        assert response.status_code == 404


# --- API tokens -----------------------------------------------------------------------------

TOKENS = {
    "a username of 10,000 characters": as_json(
        {"username": "u" * 10_000, "password": "p", "name": "n"}
    ),
    "a name past bigint": as_json({"username": "learner", "password": "p", "name": BIG}),
    "a password as a list": as_json({"username": "learner", "password": ["p"], "name": "n"}),
    "markup for a username": as_json(
        {"username": "<script>alert(1)</script>", "password": "p", "name": "n"}
    ),
}


@pytest.mark.parametrize("body", cases(TOKENS))
def test_bad_token_requests_are_refused_and_issue_nothing(world, body):
    world.api.force_authenticate(None)
    check(world, "post", "/api/v1/auth/tokens/", body)


@pytest.mark.parametrize(
    "path", [f"/api/v1/auth/tokens/{BIG}/", "/api/v1/auth/tokens/0/", "/api/v1/auth/tokens/x/"]
)
def test_revoking_a_token_that_cannot_exist_is_404(world, path):
    before = stored()
    assert_refused(world.api.delete(path), (404,))
    assert stored() == before


# --- The same with DEBUG on: the tester's cases ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("post", "/api/v1/heartbeats/", DEEP),
        ("put", "/api/v1/attempts/{attempt}/answers/1/", DEEP_SMALL),
        ("post", "/api/v1/lesson-views/", json.dumps({"lesson": BIG}).encode()),
    ],
)
def test_the_testers_bodies_are_refused_with_debug_on_too(world, settings, method, path, content):
    settings.DEBUG = True
    before = stored()
    response = getattr(world.api, method)(
        path.format(attempt=world.attempt), data=content, content_type="application/json"
    )
    assert_refused(response, (400, 413))
    assert stored() == before


# --- Uploads: the question import in the Wagtail admin ---------------------------------------


@pytest.fixture
def trainer(client: Any, learner: Any, settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    org_services.role_grant(person=learner, role="trainer")
    client.force_login(learner.user)
    client.raise_request_exception = False
    return client


def csv_file(*rows: list[str]) -> bytes:
    lines = [",".join(importing.TEMPLATE_HEADERS), *(",".join(row) for row in rows)]
    return "\r\n".join(lines).encode("utf-8")


GOOD_ROW = ["信息安全", "单选", "等级保护共分几级？", "三级", "四级", "五级", "", "", "", "C"]
GOOD_ROW += ["易", "", "", ""]


def good(**cells: str) -> list[str]:
    row = list(GOOD_ROW)
    for header, value in cells.items():
        row[importing.TEMPLATE_HEADERS.index(header)] = value
    return row


def bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row><c><v>1</v></c></row>" * 1_000_000)
    return buffer.getvalue()


UPLOADS = {
    "a million-row ZIP bomb": ("bank.xlsx", bomb),
    "not a spreadsheet": ("bank.xlsx", lambda: b"PK\x03\x04 not really a zip"),
    "an executable named .xlsx": ("bank.xlsx", lambda: b"MZ\x90\x00" + b"\x00" * 1000),
    "6 MB": ("bank.csv", lambda: b"a" * (6 * 1024 * 1024)),
    "empty": ("bank.csv", lambda: b""),
    "a wrong header": ("bank.csv", lambda: b"title,answer\r\nx,y\r\n"),
    "a cell of 200,000 characters": ("bank.csv", lambda: csv_file(good(题干="x" * 200_000))),
    "a formula": ("bank.csv", lambda: csv_file(good(题干='=HYPERLINK("http://evil/","x")'))),
    "a NUL byte": ("bank.csv", lambda: csv_file(good(题干="等级\x00保护"))),
    "invalid bytes": ("bank.csv", lambda: csv_file(good()) + b"\r\n\xff\xfe,\xff"),
    "GBK with a formula": (
        "bank.csv",
        lambda: csv_file(good(题干="@SUM(1,2)")).decode().encode("gbk"),
    ),
    "markup in a cell": (
        "bank.csv",
        lambda: csv_file(good(题型="<script>alert(1)</script>")),
    ),
    "a path for a name": ("../../../../tmp/zipslip.csv", lambda: b"a,b\r\n"),
    "a name of 10,000 characters": ("x" * 10_000 + ".csv", lambda: b"a,b\r\n"),
}


@pytest.mark.parametrize("case", UPLOADS)
def test_bad_question_files_are_refused_with_a_message_and_store_nothing(trainer, case, tmp_path):
    name, make = UPLOADS[case]
    before = stored()

    response = trainer.post("/admin/exams/import/", {"file": SimpleUploadedFile(name, make())})

    body = response.content.decode()
    # The import page answers with the form again, the file's errors shown on it.
    assert response.status_code in (200, 400, 413), body[:500]
    assert "Traceback" not in body
    parsed = response.context["parsed"]
    assert parsed is not None and not parsed.ok
    errors = parsed.file_errors or [e for row in parsed.rows for e in row.errors]
    assert errors
    assert all(html.escape(error) in body for error in errors), errors
    assert not response.context["confirm_token"]
    assert stored() == before
    assert not any((tmp_path / "private").rglob("*.*"))
    assert not any((tmp_path / "media").rglob("*.*"))


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 32, "", "x" * 10_000, "%00"])
def test_confirming_with_a_forged_token_imports_nothing(trainer, token):
    before = stored()

    response = trainer.post("/admin/exams/import/", {"confirm": token})

    assert response.status_code in (302, 400, 404)
    assert stored() == before


def test_an_upload_without_a_file_is_refused(trainer):
    response = trainer.post("/admin/exams/import/", {})
    assert response.status_code in (302, 400)
    assert not Question.objects.exists()


# --- The parser itself --------------------------------------------------------------------


def test_nesting_is_counted_without_the_brackets_inside_strings():
    from lms.parsers import nesting_depth

    assert nesting_depth(b'[1, "[[[[", {"a": "{{{"}]', limit=20) == 2
    assert nesting_depth(b'["\\"[[[[", [[]]]', limit=20) == 3  # an escaped quote
    assert nesting_depth(b'["\\\\", [[]]]', limit=20) == 3  # an escaped backslash
    assert nesting_depth(b'[[["unterminated [[[[[[', limit=2) == 3  # stops past the limit
    assert nesting_depth(b"]]]][[", limit=20) == 2  # unbalanced: left for the decoder


def test_twenty_levels_are_accepted_and_twenty_one_refused(world):
    path = f"/api/v1/attempts/{world.attempt}/answers/1/"
    twenty = b'{"response": ' + b"[" * 19 + b'"c"' + b"]" * 19 + b"}"
    deeper = b'{"response": ' + b"[" * 20 + b'"c"' + b"]" * 20 + b"}"

    accepted = world.api.put(path, data=twenty, content_type="application/json")
    refused = world.api.put(path, data=deeper, content_type="application/json")

    # Twenty levels reach the answer's own validation (a single choice is one letter).
    assert accepted.status_code == 400 and "20" not in accepted.json()["detail"]
    assert refused.status_code == 400 and "20" in refused.json()["detail"]


def test_with_a_larger_body_limit_the_deep_heartbeat_is_still_refused_by_its_depth(world, settings):
    settings.API_MAX_BODY_BYTES = 2 * 1024 * 1024
    before = stored()

    response = send(world, "post", "/api/v1/heartbeats/", Body(DEEP + b"]" * 100_000))

    assert response.status_code == 400
    assert "20" in response.json()["detail"]
    assert stored() == before


def test_the_scan_is_linear_in_the_body(settings):
    import time

    from lms.parsers import json_decode

    settings.API_MAX_BODY_BYTES = 8 * 1024 * 1024
    item = {"text": "[{" * 50, "n": [1, 2, [3]]}

    def seconds(count: int) -> float:
        body = json.dumps([item] * count).encode()
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            assert len(json_decode(body)) == count
            best = min(best, time.perf_counter() - started)
        return best

    # Twice the body, about twice the time (not the square): a ratio, so that a busy
    # machine slows both alike; absolute speed belongs in bench/.
    small, large = seconds(10_000), seconds(20_000)
    assert large < 3.5 * small
