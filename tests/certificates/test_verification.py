"""Anyone verifies a certificate by its code; learners download only their own."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from certificates import selectors, services
from certificates.models import Certificate
from tests import factories


@pytest.fixture(autouse=True)
def own_address(client):
    """Each test looks up from its own address, so rate limits never carry over. (Clearing
    the cache instead would disturb query-count tests running in parallel on a shared Redis.)
    """
    number = uuid.uuid4().int
    client.defaults["REMOTE_ADDR"] = (
        f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250}"
    )
    return client


@pytest.fixture
def certificate(learner):
    course = factories.course_create(title="数字政府建设", hours="2.5", lessons=1)
    enrolment = factories.course_complete(person=learner, course=course)
    return factories.certificate_for(enrolment)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张晓明", "张*明"), ("李明", "李*"), ("欧阳晓明", "欧**明"), ("张", "张")],
)
def test_names_are_partly_masked(name, masked):
    assert selectors.mask_name(name) == masked


def test_a_stranger_verifies_a_valid_certificate_without_signing_in(client, certificate):
    response = client.get(f"/verify/{certificate.code}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "真实有效" in page
    assert "张*明" in page and "张晓明" not in page
    assert "数字政府建设" in page and certificate.serial in page and "2.5" in page


def test_the_code_may_be_typed_in_lower_case_or_through_the_form(client, certificate):
    assert client.get(f"/verify/{certificate.code.lower()}/").status_code == 200
    typed = client.get("/verify/", {"code": certificate.code[:4] + "-" + certificate.code[4:]})
    assert typed.status_code == 302
    assert typed.url.endswith(f"/verify/{certificate.code}/")


@pytest.mark.parametrize(
    "code", ["AAAAAAAAAAAAAAAA", "short", "<script>alert(1)</script>", "%00", "A" * 200]
)
def test_unknown_or_malformed_codes_are_a_plain_404(client, certificate, code):
    response = client.get(f"/verify/{code}/")
    # A NUL is refused before routing (lms/input_guard.py).
    assert response.status_code == (400 if code == "%00" else 404)
    assert "<script>alert" not in response.content.decode()


def test_a_revoked_certificate_says_so(client, certificate, xihu_hr):
    services.certificate_revoke(certificate=certificate, by=xihu_hr, reason="学时记录有误")

    page = client.get(f"/verify/{certificate.code}/").content.decode()

    assert "被撤销" in page
    assert "学时记录有误" not in page  # the reason is internal


def test_an_expired_certificate_says_so(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    facts = selectors.verification(certificate.code)
    assert facts is not None and facts.status == "expired"
    assert "过期" in client.get(f"/verify/{certificate.code}/").content.decode()


def test_certificates_still_being_issued_or_failed_do_not_exist_for_the_public(client, certificate):
    for status in ("pending", "failed"):
        Certificate.objects.filter(pk=certificate.pk).update(status=status)
        assert client.get(f"/verify/{certificate.code}/").status_code == 404


def test_verification_is_rate_limited_per_address(client, certificate):
    codes = [client.get(f"/verify/{certificate.code}/").status_code for _ in range(31)]
    assert codes[:30] == [200] * 30
    assert codes[30] == 429


def test_the_json_twin_shows_the_same_facts_and_404s_the_same_way(client, certificate):
    body = client.get(f"/api/v1/certificates/verify/{certificate.code}/").json()

    assert body["status"] == "valid"
    assert body["holder"] == "张*明"
    assert body["serial"] == certificate.serial
    assert body["credit_hours"] == "2.5"
    assert "person" not in body and "张晓明" not in str(body)
    assert client.get("/api/v1/certificates/verify/AAAAAAAAAAAAAAAA/").status_code == 404
    for _ in range(30):
        client.get(f"/api/v1/certificates/verify/{certificate.code}/")
    assert client.get(f"/api/v1/certificates/verify/{certificate.code}/").status_code == 429


def test_markup_in_names_and_titles_appears_as_text(client, tree):
    person = factories.person_create(
        unit=tree.xihu, password=None, real_name='<img src=x onerror="alert(1)">'
    )
    course = factories.course_create(title="<script>alert(1)</script>课程", lessons=1)
    enrolment = factories.course_complete(person=person, course=course)
    certificate = factories.certificate_for(enrolment)
    assert certificate.status == "issued"

    page = client.get(f"/verify/{certificate.code}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;课程" in page


def test_learners_download_their_own_certificates_and_nobody_elses(client, certificate, tree):
    client.force_login(certificate.person.user)
    listing = client.get("/certificates/").content.decode()
    assert certificate.serial in listing

    response = client.get(f"/certificates/{certificate.code}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    stranger = factories.person_create(unit=tree.xihu, username="stranger")
    client.force_login(stranger.user)
    assert client.get(f"/certificates/{certificate.code}/download/").status_code == 404
    assert certificate.serial not in client.get("/certificates/").content.decode()


def test_my_certificates_api_lists_the_learners_own(client, certificate):
    client.force_login(certificate.person.user)
    (row,) = client.get("/api/v1/certificates/").json()
    assert row["serial"] == certificate.serial
    assert row["download"] == f"/certificates/{certificate.code}/download/"
