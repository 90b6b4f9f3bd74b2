"""Issuing certificates: once per person, course and cycle; serials; templates; failures;
revocation and re-issue that keep history."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from certificates import services
from certificates.models import Certificate, CertificateEvent, CertificateTemplate, SerialCounter
from certificates.tasks import certificate_issue_task
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def course(db):
    return factories.course_create(title="网络安全法解读", hours="3.0", lessons=1)


def test_completing_a_course_issues_its_certificate_on_commit(
    learner, course, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        factories.course_complete(person=learner, course=course)

    certificate = Certificate.objects.get()
    year = date.today().year
    assert certificate.status == "issued"
    assert re.fullmatch(rf"ZJ-{year}-\d{{6}}", certificate.serial)
    assert re.fullmatch(r"[0-9A-Z]{16}", certificate.code)
    assert certificate.holder_name == "张晓明"
    assert certificate.course_title == "网络安全法解读"
    assert certificate.credit_hours == Decimal("3.0")
    assert _pdf_head(certificate) == b"%PDF-"
    assert list(certificate.events.values_list("action", flat=True)) == ["claimed", "issued"]


def test_a_completion_handled_twice_still_makes_one_certificate(learner, course):
    enrolment = factories.course_complete(person=learner, course=course)

    first = certificate_issue_task(enrolment.pk)
    second = certificate_issue_task(enrolment.pk)  # a retry, or the message delivered twice

    assert first == second
    assert Certificate.objects.count() == 1


def test_the_cycle_is_the_credit_year_of_completion_in_shanghai(learner, course):
    # 23:30 on 31 December in Shanghai is still that year, though UTC says otherwise.
    late = datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI)
    enrolment = factories.course_complete(person=learner, course=course, now=late)

    certificate = factories.certificate_for(enrolment)

    assert certificate.cycle == 2025
    with pytest.raises(ValidationError):
        services.certificate_issue(person=learner, course=course, cycle=2026)


def test_serials_run_per_prefix_and_year_without_gaps(tree, course):
    other_course = factories.course_create(title="数据安全法", lessons=1)
    CertificateTemplate.objects.create(
        name="数据", course=other_course, body="{name}", issuer="数据局", serial_prefix="SJ"
    )
    serials = []
    for index in range(3):
        person = factories.person_create(unit=tree.xihu, password=None, real_name=f"考生{index}")
        for each in (course, other_course):
            enrolment = factories.course_complete(person=person, course=each)
            serials.append(factories.certificate_for(enrolment).serial)

    year = date.today().year
    assert [s for s in serials if s.startswith("ZJ")] == [f"ZJ-{year}-00000{n}" for n in (1, 2, 3)]
    assert [s for s in serials if s.startswith("SJ")] == [f"SJ-{year}-00000{n}" for n in (1, 2, 3)]
    assert SerialCounter.objects.get(prefix="ZJ", year=year).last == 3


def test_a_course_template_wins_over_the_default_and_sets_the_expiry(learner, course):
    CertificateTemplate.objects.create(
        name="年度信息安全培训",
        course=course,
        title="培训合格证书",
        body="{name} 完成 {course}，{hours}。",
        issuer="省委网信办",
        valid_months=12,
    )
    enrolment = factories.course_complete(person=learner, course=course)

    certificate = factories.certificate_for(enrolment)

    assert certificate.issuer == "省委网信办"
    assert certificate.expires_on is not None
    assert (certificate.expires_on - certificate.issued_on).days in range(365, 367)


def test_there_is_one_default_template_and_it_comes_with_the_product(db):
    default = CertificateTemplate.objects.get(course__isnull=True)
    assert "{name}" in default.body
    with pytest.raises(ValidationError):
        CertificateTemplate(name="另一个默认", body="{name}", issuer="x").validate_constraints()


def test_a_name_no_font_can_draw_fails_with_the_characters_named(tree, course):
    person = factories.person_create(unit=tree.xihu, password=None, real_name="王\ue000明")
    enrolment = factories.course_complete(person=person, course=course)

    certificate = factories.certificate_for(enrolment)

    assert certificate.status == "failed"
    assert "U+E000" in certificate.failure
    assert not certificate.pdf
    # The name is corrected in the roster; trying again issues it under the same serial.
    person.real_name = "王明"
    person.save(update_fields=["real_name"])
    retried = services.certificate_retry_failed(certificate=certificate)
    assert retried.status == "issued"
    assert retried.serial == certificate.serial
    assert retried.holder_name == "王明"


def test_revoking_needs_a_reason_is_audited_and_blocks_automatic_reissue(learner, xihu_hr, course):
    enrolment = factories.course_complete(person=learner, course=course)
    certificate = factories.certificate_for(enrolment)

    with pytest.raises(ValidationError):
        services.certificate_revoke(certificate=certificate, by=xihu_hr, reason="  ")
    services.certificate_revoke(certificate=certificate, by=xihu_hr, reason="学时记录有误")

    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    event = CertificateEvent.objects.get(certificate=certificate, action="revoked")
    assert event.actor == xihu_hr and event.note == "学时记录有误"
    # The completion firing again does not quietly hand out a new certificate.
    certificate_issue_task(enrolment.pk)
    assert Certificate.objects.count() == 1


def test_reissue_makes_a_new_certificate_and_keeps_the_old_as_history(learner, xihu_hr, course):
    enrolment = factories.course_complete(person=learner, course=course)
    old = factories.certificate_for(enrolment)
    learner.real_name = "张晓鸣"  # the roster corrected the name
    learner.save(update_fields=["real_name"])

    new = services.certificate_reissue(certificate=old, by=xihu_hr, reason="姓名更正")

    old.refresh_from_db()
    assert old.status == "superseded"
    assert new.status == "issued"
    assert new.replaces == old
    assert new.serial != old.serial and new.code != old.code
    assert new.holder_name == "张晓鸣"
    with pytest.raises(ValidationError):
        services.certificate_reissue(certificate=old, by=xihu_hr)


def _pdf_head(certificate: Certificate) -> bytes:
    with certificate.pdf.open("rb") as pdf:
        return bytes(pdf.read(5))
