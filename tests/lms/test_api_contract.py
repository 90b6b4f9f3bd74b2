"""The OpenAPI schema is the API's contract: every operation it lists is called for real, for
its success and for each error it documents, and every answer must be a status documented
for that operation with a body that validates against the documented schema.

The data is demo-like: a course with a Chinese slug, a learner enrolled in it with a
certificate from another course, an exam, an account without a personnel record. A new
operation in the schema without a scenario here fails the test, and so does a documented
status that no scenario provokes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from courses import services as courses_services
from courses.selectors import course_lessons
from org import services as org_services
from tests import factories

UNSAFE = frozenset({"post", "put", "patch", "delete"})
BIG_BODY = {"padding": "x" * (3 * 1024 * 1024)}  # over every body limit of the API


def openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's dialect as JSON Schema: ``nullable`` becomes a null alternative."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """``pattern`` as clients read it: ECMA-262 regular expressions, where ``\\w`` and ``\\d``
    are ASCII only (Python's re would let a Chinese slug through ``^[-\\w]+$``)."""
    if isinstance(instance, str) and not re.search(pattern, instance, re.ASCII):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": ecma_pattern})


@dataclass
class Contract:
    schema: dict[str, Any]
    seen: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def __post_init__(self) -> None:
        self.components = openapi_to_json_schema(self.schema.get("components", {}))

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.schema["paths"].items():
            for method, operation in item.items():
                if method in {"get", "post", "put", "patch", "delete"}:
                    yield method, path, operation

    def call(
        self,
        client: APIClient,
        method: str,
        template: str,
        *,
        params: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        body: Any = None,
        raw: str | None = None,
        media: str = "application/json",
        expect: int | None = None,
    ) -> Any:
        """Make the request, check the answer against the schema, and return it."""
        operation = self.schema["paths"][template][method]
        url = template.format(**(params or {}))
        send: Callable[..., Any] = getattr(client, method)
        if raw is not None:
            response = send(url, raw, content_type=media)
        elif body is not None:
            response = send(url, body, format="json")
        else:
            response = send(url, query or {})
        status = str(response.status_code)
        where = f"{method.upper()} {template} ({url})"
        assert status in operation["responses"], (
            f"{where} answered {status}, which the schema does not document: "
            f"{response.content[:300]!r}"
        )
        if expect is not None:
            assert response.status_code == expect, f"{where}: {response.content[:300]!r}"
        documented = operation["responses"][status].get("content")
        if documented is None:
            assert not response.content, f"{where} {status} has a body the schema does not show"
        else:
            assert response["Content-Type"].startswith("application/json"), where
            body_schema = openapi_to_json_schema(documented["application/json"]["schema"])
            Validator(
                {**body_schema, "components": self.components},
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            ).validate(response.json())
        self.seen[(method, template)].add(status)
        return response


@pytest.fixture
def contract(client: Any, db: None) -> Contract:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return Contract(json.loads(response.content))


def own_address() -> str:
    number = uuid.uuid4().int
    return f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250}"


def token_client(user: User, address: str) -> APIClient:
    _token, key = org_services.api_token_issue(user=user, name="契约测试")
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def world(learner: Any) -> dict[str, Any]:
    """Demo-like data: what the demo's learner has, with a course whose slug is Chinese."""
    course = factories.course_create(title="电子政务概论", lessons=1)
    course.slug = "电子政务概论"
    course.save_revision().publish()
    courses_services.enrolment_create(person=learner, course=course, source="elective")
    other = factories.course_create(title="数字政府建设", lessons=1)
    certificate = factories.certificate_for(factories.course_complete(person=learner, course=other))
    category = factories.question_category()
    questions = [factories.question_single(category, stem=f"第{n}题") for n in range(1, 4)]
    exam = factories.exam_create(questions=questions, attempts=1)
    outsider = User.objects.create_user("ops", password=factories.PASSWORD)  # no Person
    address = own_address()
    # Throttles count per user in the shared cache; this test's users start from nothing.
    for user in (learner.user, outsider):
        cache.delete(f"throttle_user_{user.pk}")
    session = APIClient(REMOTE_ADDR=address, enforce_csrf_checks=True)
    session.force_login(learner.user)
    return {
        "learner": learner,
        "lesson": course_lessons(course)[0],
        "certificate": certificate,
        "exam": exam,
        "address": address,
        "api": token_client(learner.user, address),
        "outsider": token_client(outsider, address),
        "anonymous": APIClient(REMOTE_ADDR=address),
        "session_without_csrf": session,
    }


def test_the_course_slug_pattern_admits_chinese_slugs(contract, world):
    courses = contract.call(world["api"], "get", "/api/v1/courses/", expect=200).json()
    assert "电子政务概论" in [course["slug"] for course in courses]


def test_every_operation_answers_only_what_its_schema_documents(contract, world):
    api, outsider, c = world["api"], world["outsider"], contract
    exam, lesson, certificate = world["exam"], world["lesson"], world["certificate"]

    # Errors every operation of a kind can give: no credentials, a browser session without
    # its CSRF token, a body that is not JSON, too large or of a type nothing reads.
    for method, path, operation in c.operations():
        params = {
            "public_id": uuid.uuid4(),
            "position": 1,
            "exam_id": exam.pk,
            "code": certificate.code,
            "token_id": 1,
        }
        responses = operation["responses"]
        if "401" in responses:
            c.call(world["anonymous"], method, path, params=params, expect=401)
        if "403" in responses and method in UNSAFE:
            c.call(world["session_without_csrf"], method, path, params=params, expect=403)
        if "requestBody" in operation and "400" in responses:
            c.call(api, method, path, params=params, raw='{"lesson": ', expect=400)
        if "requestBody" in operation and "413" in responses:
            c.call(api, method, path, params=params, body=BIG_BODY, expect=413)
        if "requestBody" in operation and "415" in responses:
            c.call(api, method, path, params=params, raw="<a/>", media="text/xml", expect=415)

    # The catalogue, enrolments and credits.
    c.call(api, "get", "/api/v1/courses/", expect=200)
    c.call(api, "get", "/api/v1/enrolments/", expect=200)
    c.call(outsider, "get", "/api/v1/enrolments/", expect=404)
    c.call(api, "get", "/api/v1/credits/summary/", expect=200)
    c.call(api, "get", "/api/v1/credits/summary/", query={"year": "1999"}, expect=400)
    c.call(outsider, "get", "/api/v1/credits/summary/", expect=404)

    # A lesson view and its heartbeats.
    views = "/api/v1/lesson-views/"
    opened = c.call(api, "post", views, body={"lesson": lesson.pk}, expect=201).json()
    c.call(api, "post", views, body={"lesson": "第一课"}, expect=400)
    c.call(api, "post", views, body={"lesson": 2**62}, expect=404)
    c.call(outsider, "post", views, body={"lesson": lesson.pk}, expect=404)
    beats = "/api/v1/heartbeats/"
    beat = {"view": opened["view"], "seq": 1, "visible": True}
    c.call(api, "post", beats, body=beat, expect=200)
    c.call(api, "post", beats, body=beat, expect=400)  # the same seq again: a replay
    c.call(api, "post", beats, body={"view": opened["view"]}, expect=400)
    c.call(api, "post", beats, body={**beat, "view": str(uuid.uuid4()), "seq": 2}, expect=404)

    # An exam: start, read, answer, submit, result; then the attempt is closed.
    start = "/api/v1/exams/{exam_id}/attempts/"
    attempt = c.call(api, "post", start, params={"exam_id": exam.pk}, expect=201).json()
    c.call(api, "post", start, params={"exam_id": 10**17}, expect=404)
    c.call(outsider, "post", start, params={"exam_id": exam.pk}, expect=404)
    mine = {"public_id": attempt["id"]}
    nobodys = {"public_id": uuid.uuid4()}
    c.call(api, "get", "/api/v1/attempts/", expect=200)
    c.call(outsider, "get", "/api/v1/attempts/", expect=404)
    detail = "/api/v1/attempts/{public_id}/"
    c.call(api, "get", detail, params=mine, expect=200)
    c.call(api, "get", detail, params=nobodys, expect=404)
    answer = "/api/v1/attempts/{public_id}/answers/{position}/"
    first = {**mine, "position": attempt["questions"][0]["position"]}
    c.call(api, "put", answer, params=first, body={"response": "c"}, expect=200)
    c.call(api, "put", answer, params=first, body={"response": "z"}, expect=400)
    c.call(api, "put", answer, params=first, body={}, expect=400)
    c.call(
        api, "put", answer, params={**nobodys, "position": 1}, body={"response": "c"}, expect=404
    )
    c.call(api, "put", answer, params={**mine, "position": 99}, body={"response": "c"}, expect=400)
    result = "/api/v1/attempts/{public_id}/result/"
    c.call(api, "get", result, params=mine, expect=200)
    c.call(api, "get", result, params=nobodys, expect=404)
    submit = "/api/v1/attempts/{public_id}/submit/"
    c.call(api, "post", submit, params=mine, expect=200)
    c.call(api, "post", submit, params=nobodys, expect=404)
    c.call(api, "put", answer, params=first, body={"response": "a"}, expect=409)
    c.call(api, "post", start, params={"exam_id": exam.pk}, expect=409)  # no attempts left

    # Certificates: one's own, and the public verification.
    c.call(api, "get", "/api/v1/certificates/", expect=200)
    c.call(outsider, "get", "/api/v1/certificates/", expect=404)
    verify = "/api/v1/certificates/verify/{code}/"
    public = APIClient(REMOTE_ADDR=own_address())
    c.call(public, "get", verify, params={"code": certificate.code}, expect=200)
    c.call(public, "get", verify, params={"code": "ZZZZ-ZZZZ-ZZZZ"}, expect=404)

    # API tokens.
    tokens = "/api/v1/auth/tokens/"
    issuer = APIClient(REMOTE_ADDR=own_address())
    credentials = {"username": "learner", "password": factories.PASSWORD, "name": "同步脚本"}
    issued = c.call(issuer, "post", tokens, body=credentials, expect=201).json()
    c.call(issuer, "post", tokens, body={**credentials, "password": "wrong-2026"}, expect=400)
    c.call(issuer, "post", tokens, body={"username": "learner"}, expect=400)
    c.call(api, "get", tokens, expect=200)
    one = "/api/v1/auth/tokens/{token_id}/"
    c.call(api, "delete", one, params={"token_id": issued["id"]}, expect=204)
    c.call(api, "delete", one, params={"token_id": issued["id"]}, expect=404)
    session = APIClient(REMOTE_ADDR=world["address"])
    session.force_login(world["learner"].user)
    current = "/api/v1/auth/tokens/current/"
    c.call(session, "delete", current, expect=404)
    c.call(token_client(world["learner"].user, world["address"]), "delete", current, expect=204)

    # The dashboards (培训统计): an HR officer reads them; a learner finds none of them.
    officer = factories.person_create(
        unit=world["learner"].org_unit, real_name="契约人事", username="contracthr"
    )
    org_services.role_grant(person=officer, role="hr_officer", org_unit=officer.org_unit)
    hr = token_client(officer.user, world["address"])
    for path in (
        "/api/v1/dashboards/summary/",
        "/api/v1/dashboards/units/",
        "/api/v1/dashboards/people/",
    ):
        c.call(hr, "get", path, expect=200)
        c.call(hr, "get", path, query={"year": "1999"}, expect=400)
        c.call(hr, "get", path, query={"unit": "10000000"}, expect=404)
        c.call(api, "get", path, expect=404)

    # Rate limits, last: they would refuse what follows them.
    for _ in range(30):
        c.call(api, "post", beats, body={**beat, "seq": 99})
    c.call(api, "post", beats, body={**beat, "seq": 99}, expect=429)
    for _ in range(30):
        c.call(public, "get", verify, params={"code": certificate.code})
    c.call(public, "get", verify, params={"code": certificate.code}, expect=429)
    for n in range(9):
        c.call(issuer, "post", tokens, body={**credentials, "name": f"脚本{n}"})
    c.call(issuer, "post", tokens, body=credentials, expect=429)

    # Every operation was exercised, and every status it documents was seen.
    missing = {
        f"{method.upper()} {path}": sorted(set(operation["responses"]) - c.seen[(method, path)])
        for method, path, operation in c.operations()
    }
    assert {operation: codes for operation, codes in missing.items() if codes} == {}


def test_a_validation_error_names_every_field_by_its_path():
    from rest_framework.exceptions import ValidationError

    from org.api_errors import exception_handler

    error = ValidationError(
        {"answers": [{}, {"text": ["This field is required."]}], "non_field_errors": ["Bad."]}
    )

    response = exception_handler(error, {})

    assert response is not None
    assert response.status_code == 400
    assert response.data == {
        "detail": "answers.1.text: This field is required. Bad.",
        "errors": {"answers.1.text": ["This field is required."], "non_field_errors": ["Bad."]},
    }


def test_a_body_over_djangos_own_limit_is_a_413_in_json(learner, settings):
    # A form body: Django refuses it when DRF's form parser reads request.POST.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = APIClient(REMOTE_ADDR=own_address())

    response = client.post(
        "/api/v1/auth/tokens/", {"username": "learner", "password": "x" * 2000, "name": "n"}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "请求内容过大。"}
