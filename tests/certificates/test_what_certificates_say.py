"""What a certificate states is true, and the same on the PDF, the verify page, the API and
我的证书: the completion date (not the date of issue), what the completion rule asked for
(no 经考核合格 without an exam), and the configured issuer, serial prefix and address."""

from __future__ import annotations

import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image

from certificates import rendering, services, wording
from certificates.models import Certificate, CertificateTemplate
from courses import services as courses_services
from courses.models import Enrolment, LessonPage, LessonProgress
from tests import factories


@pytest.fixture(autouse=True)
def own_address(client: Any) -> Any:
    """Each test verifies from its own address, so the rate limit never carries over."""
    number = uuid.uuid4().int
    client.defaults["REMOTE_ADDR"] = f"10.{number % 250}.{number // 250 % 250}.7"
    return client


def zh(text: str) -> str:
    """A message as the Chinese pages print it (the msgid until the catalogue has it)."""
    with translation.override("zh-hans"):
        return gettext(text)


def achievement_zh(basis: str) -> str:
    with translation.override("zh-hans"):
        return wording.achievement(basis)


def squeezed(text: str) -> str:
    return "".join(text.split())


def pdf_text(certificate: Certificate, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    with certificate.pdf.open("rb") as pdf:
        path.write_bytes(pdf.read())
    result = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def completed_days_ago(days: int) -> Any:
    """A completion some days back, in this credit year (so it differs from the issue day
    unless the year has just begun)."""
    now = timezone.localtime()
    earlier = now - timedelta(days=days)
    return earlier if earlier.year == now.year else now


def exam_course_certificate(person: Any, when: Any) -> Certificate:
    course = factories.course_create(title="网络安全法解读", lessons=1, rule="lessons_and_exam")
    enrolment = courses_services.enrolment_create(person=person, course=course, source="elective")
    _lessons_done(enrolment, when)
    courses_services.enrolment_record_exam_pass(person=person, course=course, passed_at=when)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    return factories.certificate_for(enrolment)


def _lessons_done(enrolment: Enrolment, when: Any) -> None:
    for lesson in LessonPage.objects.child_of(enrolment.course).live():
        LessonProgress.objects.create(
            enrolment=enrolment, lesson=lesson, engaged_seconds=60, completed_at=when
        )
    assert not courses_services.enrolment_evaluate(enrolment=enrolment, now=when)


def test_a_lessons_only_certificate_prints_the_completion_date_and_claims_no_exam(
    learner, tmp_path
):
    when = completed_days_ago(5)
    course = factories.course_create(title="数字政府建设", lessons=1, rule="lessons")
    certificate = factories.certificate_for(
        factories.course_complete(person=learner, course=course, now=when)
    )

    text = squeezed(pdf_text(certificate, tmp_path))

    assert certificate.completed_on == when.date()
    assert certificate.basis == "lessons"
    assert rendering.chinese_date(when.date()) in text
    assert squeezed(achievement_zh("lessons")) in text
    assert "考核" not in text
    # The date of issue stays, under the issuer's name.
    assert rendering.chinese_date(certificate.issued_on) in text


def test_a_certificate_of_a_course_with_an_exam_says_the_exam_was_passed(learner, tmp_path):
    certificate = exam_course_certificate(learner, completed_days_ago(2))

    assert certificate.basis == "lessons_and_exam"
    assert squeezed(achievement_zh("lessons_and_exam")) in squeezed(pdf_text(certificate, tmp_path))


def test_the_verify_page_api_and_my_certificates_say_what_the_pdf_says(client, learner):
    when = completed_days_ago(4)
    lessons = factories.certificate_for(
        factories.course_complete(
            person=learner, course=factories.course_create(title="公文写作", lessons=1), now=when
        )
    )
    exam = exam_course_certificate(learner, when)

    for certificate in (lessons, exam):
        page = client.get(f"/verify/{certificate.code}/").content.decode()
        assert achievement_zh(certificate.basis) in page
        assert when.date().isoformat() in page
        body = client.get(f"/api/v1/certificates/verify/{certificate.code}/").json()
        assert body["completed_on"] == when.date().isoformat()
        assert body["achievement"] == achievement_zh(certificate.basis)
    assert achievement_zh("lessons") not in client.get(f"/verify/{exam.code}/").content.decode()

    client.force_login(learner.user)
    mine = client.get("/certificates/").content.decode()
    assert achievement_zh("lessons") in mine and achievement_zh("lessons_and_exam") in mine
    listed = {row["serial"]: row for row in client.get("/api/v1/certificates/").json()}
    assert listed[exam.serial]["achievement"] == achievement_zh("lessons_and_exam")
    assert listed[lessons.serial]["completed_on"] == when.date().isoformat()


def test_a_course_whose_rule_asks_for_an_exam_nobody_passed_claims_no_exam(learner):
    """A completion recorded without the exam (an offline or demo completion)."""
    course = factories.course_create(lessons=1, rule="lessons_and_exam")
    enrolment = courses_services.enrolment_create(person=learner, course=course, source="elective")
    now = timezone.now()
    Enrolment.objects.filter(pk=enrolment.pk).update(status="completed", completed_at=now)

    certificate = factories.certificate_for(enrolment)

    assert certificate.basis == "lessons"


def test_there_is_one_wording_function_and_an_unknown_basis_says_the_least():
    assert wording.achievement("lessons") != wording.achievement("lessons_and_exam")
    assert wording.achievement("nonsense") == wording.achievement("lessons")
    assert wording.basis_for(completion_rule="lessons", exam_passed=True) == "lessons"
    assert wording.basis_for(completion_rule="lessons_and_exam", exam_passed=False) == "lessons"
    assert (
        wording.basis_for(completion_rule="lessons_and_exam", exam_passed=True)
        == "lessons_and_exam"
    )


def test_the_default_template_no_longer_hard_codes_the_exam_nor_the_province(db):
    default = CertificateTemplate.objects.get(course__isnull=True)

    assert "考核" not in default.body
    assert "{completed}" in default.body and "{achievement}" in default.body
    assert default.issuer == "" and default.serial_prefix == ""


def test_issuer_prefix_and_address_come_from_the_settings(learner, settings, tmp_path):
    settings.CERTIFICATE_ISSUER = "江苏省干部网络学院"
    settings.CERTIFICATE_SERIAL_PREFIX = "JS"
    settings.SITE_URL = "https://academy.example.gov.cn"
    course = factories.course_create(lessons=1)

    certificate = factories.certificate_for(
        factories.course_complete(person=learner, course=course)
    )

    assert certificate.issuer == "江苏省干部网络学院"
    assert certificate.serial.startswith(f"JS-{certificate.issued_on.year}-")
    text = pdf_text(certificate, tmp_path)
    assert "江苏省干部网络学院" in text and "浙江" not in text
    assert f"https://academy.example.gov.cn/verify/{certificate.code}/" in squeezed(text)
    assert services.verify_url("X") == "https://academy.example.gov.cn/verify/X/"


def test_a_template_that_names_its_own_issuer_and_prefix_keeps_them(learner, settings):
    settings.CERTIFICATE_ISSUER = "江苏省干部网络学院"
    course = factories.course_create(lessons=1)
    CertificateTemplate.objects.create(
        course=course, name="专用", body="{name}", issuer="浙江省委网信办", serial_prefix="ZJAQ"
    )

    certificate = factories.certificate_for(
        factories.course_complete(person=learner, course=course)
    )

    assert certificate.issuer == "浙江省委网信办"
    assert certificate.serial.startswith("ZJAQ-")


def _red_share(png: Path) -> float:
    image = Image.open(png).convert("RGB")
    pixels = cast(list[tuple[int, int, int]], list(image.get_flattened_data()))
    red = sum(1 for r, g, b in pixels if r > 150 and g < 110 and b < 120)
    return red / len(pixels)


def test_the_default_certificate_carries_a_red_seal_drawn_from_the_issuer(tmp_path):
    content = rendering.CertificateContent(
        holder_name="张晓明",
        course_title="数字政府建设概论",
        credit_hours=rendering.Decimal("2"),
        issued_on=timezone.localdate(),
        serial="ZJ-2026-000001",
        issuer="浙江省公务员网络学院",
        verify_url="http://127.0.0.1:8000/verify/ABCDEFGHJKLMNPQR/",
    )
    html = rendering.certificate_html(content)
    assert "seal-drawn" in html
    for character in "浙江省公务员网络学院":
        assert f">{character}</text>" in html

    pdf = tmp_path / "seal.pdf"
    pdf.write_bytes(rendering.render_pdf(content))
    # The seal's square (issuer block, lower right of an A4 landscape page) at 50 dpi.
    subprocess.run(
        [
            *("pdftoppm", "-r", "50", "-png", "-x", "395", "-y", "285", "-W", "85", "-H", "85"),
            *(str(pdf), str(tmp_path / "seal")),
        ],
        check=True,
    )
    assert _red_share(next(tmp_path.glob("seal*.png"))) > 0.05


def test_markup_in_the_issuer_is_text_in_the_seal():
    svg = rendering.seal_svg('<script>"x"</script>')
    assert "<script>" not in svg and "&lt;" in svg


def test_a_certificate_from_before_completion_dates_were_kept_still_renders(learner, tmp_path):
    course = factories.course_create(lessons=1)
    certificate = factories.certificate_for(
        factories.course_complete(person=learner, course=course)
    )
    Certificate.objects.filter(pk=certificate.pk).update(completed_on=None)
    certificate.refresh_from_db()

    pdf = rendering.render_pdf(services.content_of(certificate), services.layout_of(None))

    path = tmp_path / "old.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    with translation.override("zh-hans"):
        assert squeezed(gettext("(date of completion not recorded)")) in squeezed(text)
