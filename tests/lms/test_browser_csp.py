"""The Content-Security-Policy in a real browser: every kind of page works under it.

Debian's chromium opens the portal, the Wagtail admin (page editor, image chooser, snippets,
the exam editor, the certificate template editor with its live preview) and Swagger UI as
the demo role that reaches each, and fails on any violation the browser reports: a
"Refused to ..." console message or a ``securitypolicyviolation`` event.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from demo import loader
from tests.conftest import sign_in

DEMO_ACCOUNTS = loader.load().org.accounts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}

# Injected before any page script (Playwright's init scripts are not subject to the CSP):
# every violation in any frame is written to the console, where the test collects it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " on " + event.documentURI);
});
"""


@dataclass(frozen=True)
class DemoUrls:
    course: str
    lesson: str
    exam_start: str
    admin_course_edit: str
    admin_lesson_edit: str
    admin_exam_edit: str
    admin_certificate_template_edit: str


@pytest.fixture
def demo(transactional_db: None) -> DemoUrls:
    # Before Playwright starts: inside its event loop the ORM would open a second
    # connection that nothing closes.
    call_command("seed_demo", verbosity=0)
    from certificates.models import CertificateTemplate
    from courses.models import Enrolment, LessonPage
    from exams.models import Exam

    enrolment = Enrolment.objects.filter(person__user__username="learner").first()
    assert enrolment is not None
    course = enrolment.course
    lesson = LessonPage.objects.child_of(course).live().first()
    exam = Exam.objects.filter(course=course).first() or Exam.objects.first()
    template = CertificateTemplate.objects.first()
    assert lesson is not None and exam is not None and template is not None
    urls = DemoUrls(
        course=course.url,
        lesson=lesson.url,
        exam_start=f"/exams/{exam.pk}/",
        admin_course_edit=f"/admin/pages/{course.pk}/edit/",
        admin_lesson_edit=f"/admin/pages/{lesson.pk}/edit/",
        admin_exam_edit=f"/admin/exams/exams/edit/{exam.pk}/",
        admin_certificate_template_edit=f"/admin/certificates/templates/edit/{template.pk}/",
    )
    connection.close()
    return urls


class Visitor:
    """One signed-in (or anonymous) browser context that records every CSP complaint."""

    def __init__(self, browser: Any, base_url: str, viewport: dict[str, int]) -> None:
        self.base_url = base_url
        self.context = browser.new_context(locale="zh-CN", viewport=viewport)
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.complaints: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Refused to" in text or "CSP violation" in text:
            self.complaints.append(f"{self.page.url}: {text}")

    def sign_in(self, username: str) -> None:
        sign_in(self.page, self.base_url, username, PASSWORDS[username])

    def open(self, path: str, shot: str | None = None) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, (path, response)
        assert response.headers.get("content-security-policy"), path
        self.page.wait_for_load_state("networkidle")
        if shot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"csp-{shot}.png"), full_page=True)
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitors(demo: DemoUrls, browser: Any, live_server: Any) -> Iterator[Any]:
    opened: list[Visitor] = []

    def visitor(viewport: dict[str, int] | None = None) -> Visitor:
        opened.append(Visitor(browser, live_server.url, viewport or {"width": 1366, "height": 900}))
        return opened[-1]

    yield visitor
    for each in opened:
        # Shown with a failure that stops a test before its assertion.
        sys.stdout.write("\n".join(each.complaints) + "\n")
        each.close()


def test_the_portal_works_under_the_policy_for_visitors_learners_and_hr(demo, visitors):
    anonymous = visitors({"width": 390, "height": 844})
    anonymous.open("/")
    anonymous.open("/verify/")
    anonymous.open(demo.course)

    learner = visitors()
    learner.sign_in("learner")
    learner.open("/")
    learner.open(demo.course)
    lesson = learner.open(demo.lesson, shot="lesson")
    # The lesson's own script (courses/js/player.js) runs: its heartbeat status appears.
    lesson.locator(".lesson-status").wait_for()
    learner.open("/learning/")
    learner.open("/learning/credits/")
    learner.open("/exams/")
    learner.open(demo.exam_start)
    learner.open("/certificates/")
    learner.open("/accounts/password/")

    hr = visitors()
    hr.sign_in("hr")
    hr.open("/hr/plans/")
    hr.open("/hr/offline-credit/")
    hr.open("/hr/certificates/")
    hr.open("/admin/exams/results/")

    complaints = anonymous.complaints + learner.complaints + hr.complaints
    assert complaints == []


def test_the_wagtail_admin_works_under_the_policy_for_trainers(demo, visitors):
    trainer = visitors()
    trainer.sign_in("trainer")
    trainer.open("/admin/")
    trainer.open("/admin/pages/")

    # The page editor with its StreamField and rich text, and the image chooser modal.
    editor = trainer.open(demo.admin_course_edit, shot="admin-course-editor")
    # The cover image is set, so its chooser button waits in a menu; the click opens the modal.
    editor.locator(
        '[data-chooser-url*="/images/chooser/"] [data-chooser-action-choose]'
    ).first.dispatch_event("click")
    editor.locator('.modal-content form[action*="/images/chooser/"]').first.wait_for()
    editor.wait_for_load_state("networkidle")
    editor.wait_for_timeout(500)
    editor.screenshot(path=str(SCREENSHOTS / "csp-admin-image-chooser.png"))
    editor.keyboard.press("Escape")
    editor = trainer.open(demo.admin_lesson_edit)
    editor.locator("[data-draftail-input], .Draftail-Editor").first.wait_for()

    # Snippets, the exam editor (date-time widgets) and the question import page.
    trainer.open("/admin/snippets/")
    trainer.open("/admin/exams/exams/")
    trainer.open(demo.admin_exam_edit, shot="admin-exam-editor")
    trainer.open("/admin/exams/import/")
    trainer.open("/admin/exams/grading/")

    # The certificate template editor with its live preview (a PDF in a framed page).
    template = trainer.open(demo.admin_certificate_template_edit)
    template.locator('[data-side-panel-toggle="preview"]').click()
    # Wagtail posts the form, then points a fresh iframe at the preview URL; a frame the
    # policy refused shows Chromium's error page instead (reported to no console).
    preview = template.locator('iframe.w-preview__iframe[src*="preview"]')
    preview.wait_for(state="attached")
    template.wait_for_load_state("networkidle")
    template.wait_for_timeout(2000)
    template.screenshot(path=str(SCREENSHOTS / "csp-admin-certificate-preview.png"))
    frame = preview.element_handle().content_frame()
    assert frame is not None
    assert frame.url.startswith(trainer.base_url + "/admin/certificates/templates/preview/")

    assert trainer.complaints == []


def test_swagger_ui_renders_the_operations_under_the_policy(demo, visitors):
    learner = visitors()
    learner.sign_in("learner")
    docs = learner.open("/api/docs/")
    docs.locator(".opblock").first.wait_for(timeout=20_000)
    assert docs.locator(".opblock").count() >= 10
    assert docs.locator(".opblock-summary-path", has_text="/api/v1/heartbeats/").count() == 1
    docs.screenshot(path=str(SCREENSHOTS / "csp-swagger.png"))

    assert learner.complaints == []


def test_the_django_admin_and_its_lockout_list_work_under_the_policy(demo, visitors):
    admin = visitors()
    # One failed sign-in, so that the lockout list has a row to act on.
    page = admin.open("/accounts/login/")
    page.locator("#id_username").fill("learner")
    page.locator("#id_password").fill("wrong-password")
    page.locator("main button[type=submit]").click()
    page.locator(".error-box").wait_for()
    admin.sign_in("admin")
    admin.open("/django-admin/")
    attempts = admin.open("/django-admin/axes/accessattempt/", shot="django-admin-lockouts")
    assert "learner" in attempts.locator("#result_list").inner_text()
    # Django admin's own script (actions.js) runs: selecting a row updates the counter.
    attempts.locator("#result_list .action-select").first.check()
    attempts.locator(".action-counter", has_text="1").wait_for()
    admin.open("/django-admin/org/person/")

    assert admin.complaints == []
