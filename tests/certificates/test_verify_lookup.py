"""The public verify form finds a certificate by its code or by the serial number printed
large on it; a miss is the site's own 404 page with a form, and bad input a 4xx that says why."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from certificates import selectors
from certificates.models import Certificate
from tests import factories

NOT_FOUND = "No certificate has this verification code or serial number."


@pytest.fixture(autouse=True)
def own_address(client: Any) -> Any:
    number = uuid.uuid4().int
    client.defaults["REMOTE_ADDR"] = f"10.{number % 250}.{number // 250 % 250}.9"
    return client


@pytest.fixture
def certificate(learner: Any) -> Certificate:
    course = factories.course_create(title="数字政府建设", hours="2.5", lessons=1)
    return factories.certificate_for(factories.course_complete(person=learner, course=course))


def main_of(page: str) -> str:
    """The page's own content, without the shell (whose language switcher carries the path)."""
    return page[page.index("<main") : page.index("</main>")]


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def typed_forms(serial: str) -> list[str]:
    prefix, year, number = serial.split("-")
    wide = serial.translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})
    return [
        serial,
        serial.lower(),
        f" {prefix} {year} {number} ",
        f"{prefix}—{year}—{number}",  # em dashes
        f"{prefix}－{year}－{number}",  # full-width hyphen-minus
        wide,  # ＺＪ－２０２６－０００００１
        f"{prefix}{year}{number}",
        f"{prefix}-{year}-{int(number)}",  # leading zeros left out
    ]


def test_the_serial_number_is_normalised_however_it_is_typed(certificate):
    for typed in typed_forms(certificate.serial):
        assert selectors.lookup_parse(typed) == selectors.Lookup(serial=certificate.serial), typed
    code = certificate.code
    assert selectors.lookup_parse(f"{code[:4]}-{code[4:8]} {code[8:].lower()}") == (
        selectors.Lookup(code=code)
    )
    for nonsense in ("a/b", "<b>x</b>", "", "ZJ-26-1", "A" * 17):
        assert selectors.lookup_parse(nonsense) is None


def test_the_form_finds_a_certificate_by_its_serial_number(client, certificate):
    for typed in typed_forms(certificate.serial):
        response = client.get("/verify/", {"code": typed})
        page = response.content.decode()
        assert response.status_code == 200, typed
        assert certificate.serial in page and "张*明" in page
        # The serial is guessable: its page never hands out the unguessable code.
        assert certificate.code not in page


def test_a_serial_in_the_address_works_like_a_code(client, certificate):
    response = client.get(f"/verify/{certificate.serial}/")
    assert response.status_code == 200
    assert client.get(f"/api/v1/certificates/verify/{certificate.serial}/").json()["serial"] == (
        certificate.serial
    )


@pytest.mark.parametrize(
    "address",
    ["/verify/AAAAAAAAAAAAAAAA/", "/verify/ZJ-2026-999999/", "/verify/?code=ZJ-2026-999999"],
)
def test_an_unknown_code_or_serial_is_a_404_page_in_chinese_with_a_form(
    client, certificate, address
):
    response = client.get(address)

    page = response.content.decode()
    assert response.status_code == 404
    assert zh(NOT_FOUND) in page
    assert 'name="code"' in page  # try again
    assert certificate.serial not in page and "张*明" not in page


def test_pending_and_failed_certificates_do_not_exist_by_serial_either(client, certificate):
    for status in ("pending", "failed"):
        Certificate.objects.filter(pk=certificate.pk).update(status=status)
        assert client.get("/verify/", {"code": certificate.serial}).status_code == 404


@pytest.mark.parametrize(
    "typed", ["a/b", "A" * 10_000, "<script>alert(1)</script>", "ZJ-2026-<b>1</b>"]
)
def test_bad_input_in_the_form_is_a_400_that_says_what_a_code_looks_like(client, typed):
    response = client.get("/verify/", {"code": typed})

    page = main_of(response.content.decode())
    assert response.status_code == 400
    assert 'role="alert"' in page
    assert "<script>alert" not in page and "<b>1</b>" not in page
    assert "A" * 100 not in page  # 10,000 characters are not echoed back


def test_a_nul_is_refused_before_any_look_up(client):
    assert client.get("/verify/?code=AB%00CD").status_code == 400


@pytest.mark.parametrize(
    "path", ["/verify/a/b/", "/verify/" + "A" * 10_000 + "/", "/verify/%3Cscript%3E/"]
)
def test_bad_input_in_the_address_is_a_404_that_reveals_nothing(client, certificate, path):
    response = client.get(path)
    assert response.status_code == 404
    page = main_of(response.content.decode())
    assert zh(NOT_FOUND) in page
    assert "script" not in page and "A" * 100 not in page


def test_a_path_below_a_code_is_the_same_404_page(client, db):
    response = client.get("/verify/a/b/")
    assert response.status_code == 404
    assert zh(NOT_FOUND) in response.content.decode()


def test_serial_look_ups_share_the_rate_limit(client, certificate):
    codes = [client.get("/verify/", {"code": certificate.serial}).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30
    assert codes[30] == 429
    # Misses count too: nobody walks the serial numbers faster than that.
    assert client.get("/verify/", {"code": "ZJ-2026-999999"}).status_code == 429


def test_the_json_twin_says_why_it_404s(client, certificate):
    response = client.get("/api/v1/certificates/verify/ZJ-2026-999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == zh(NOT_FOUND)


def test_the_form_page_explains_itself_to_the_public(client):
    page = client.get("/verify/").content.decode()
    assert client.get("/verify/").status_code == 200
    for text in (
        "Where to find the code",
        "Verification code or serial number",
        "Capitals, spaces and dashes do not matter. At most 30 look-ups a minute from one network.",
    ):
        assert zh(text) in page
