"""A crawl of the whole portal as each demo role, on desktop and phone, in Chinese.

The demo data is seeded; Debian's chromium signs in as the learner, trainer, HR officer and
administrator (org/demo_data.py) and as nobody, and opens every page reachable from the
navigation (same-origin links, breadth first, up to a budget per role) plus the object pages
of the demo data (courses, lessons, exams, attempts, plans, jobs, certificates, admin edit
views). Each page fails the test on

- a 5xx, or a 4xx for a link the portal itself offered;
- any axe-core WCAG 2.1 A/AA violation outside the short, documented allowlist of Wagtail's
  own markup (WAGTAIL_AXE_ALLOWLIST);
- English text a Chinese reader sees (text, placeholders, labels for assistive technology)
  outside the allowlist of product names, units and codes (ALLOWED_WORDS); a trainer's own
  lesson text (marked ``data-authored``) is content, which may rightly quote English terms.

Every failure of every page is collected and reported in one message (role, viewport,
page, what), and also written to var/crawl/report.txt; a screenshot of each page lands in
var/crawl/<role>/<viewport>/ for the developer to look at. The crawl never posts a form:
sign-out, downloads and links that act (delete, revoke, cancel) are skipped.
"""

from __future__ import annotations

import re
import shutil
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection

from demo import loader
from tests.conftest import sign_in

# PostgreSQL only (the services leg of .ci/run): on SQLite the live server's threads share
# one connection, and a lesson's heartbeats collide with the next page's requests.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CRAWL_DIR = Path(__file__).resolve().parents[2] / "var" / "crawl"
PASSWORDS = {account.username: account.password for account in loader.load().org.accounts}
ROLES = ("anonymous", "learner", "trainer", "hr", "admin")
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# Pages per role on the desktop crawl; the phone opens the first PHONE_PAGES of them again
# (the navigation and the first object pages: enough to catch a layout the phone breaks).
# About 1.2 s a page view with axe on two cores: 160 views keep the crawl near three
# minutes of one worker, which CI's 20 minutes can afford; the HR officer, whose pages are
# the most numerous, gets the largest share.
PAGE_BUDGET = {"anonymous": 12, "learner": 28, "trainer": 24, "hr": 32, "admin": 26}
PHONE_PAGES = 8
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

# Links the crawl does not follow: they sign out, download, act on GET, leave the Chinese
# portal (/en/, the API and its Swagger UI, which is English by design), or multiply
# without adding a kind of page (history, revisions, usage, previews).
SKIP = re.compile(
    r"/(accounts|admin|django-admin)/logout/|/i18n/|/api/|/en/|/static/|/media/|/documents/"
    r"|download|/zip/|\.(pdf|zip|xlsx|csv)$|export"
    r"|/(delete|unpublish|revoke|cancel|lock|unlock|copy|move|convert_alias)/"
    r"|/(history|revisions|usage|preview|workflow)/|/admin/reports/|/admin/account/"
)

# English a Chinese page may show: product and format names, units and the demo accounts'
# usernames (data, shown in the admin's user lists). Words in capitals (API, PDF, XLSX, ID,
# QR, G2G) pass as acronyms; URLs, e-mail addresses, file names, employee numbers,
# certificate serials and verification codes are removed before words are looked at.
ALLOWED_WORDS = {
    "wagtail", "django", "cookie", "cookies", "excel", "word", "powerpoint", "wps",
    "windows", "linux", "chrome", "chromium", "edge", "firefox", "safari", "wechat",
    "markdown", "min", "kb", "mb", "gb", "px", "axes", "office", "key",
    "learner", "trainer", "hr", "admin",
    # The answer tokens the question import and editor accept for true/false questions.
    "true", "false",
}  # fmt: skip
CODES = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:/[\w.~%-]+)+/?"
    r"|[\w.-]*\.(?:pdf|ofd|zip|xlsx?|et|docx?|wps|pptx?|exe|csv|png|jpe?g|md|gov|cn|com)\b"
    r"|\b\w*\d\w*\b|\{\w+\}",
)
# Texts Wagtail 8.0 and Django 5.2's admin write without marking them for translation (no
# catalogue can help): the text, the admin it appears in, and where it is written.
HARD_CODED = {
    ("/admin/", "Actions"): "aria-label of wagtailadmin/shared/headers/_actions.html",
    ("/admin/", "Search"): "screen-reader submit of wagtailadmin/home.html and shared/header.html",
    ("/django-admin/", "Search"): "alt of the magnifier in admin/search_form.html",
}
# Whole texts that are data, not interface, with the reason.
ENGLISH_DATA = (
    # django-axes labels its records in English in code (no msgid): Django admin › Axes.
    re.compile(r"Access (Log|Attempt|Failure) for \S+ @ "),
    # A browser's user-agent string, recorded by django-axes.
    re.compile(r"^Mozilla/5\.0 "),
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


@dataclass(frozen=True)
class AxeException:
    rule: str
    url: re.Pattern[str]
    reason: str


# Violations in Wagtail's own markup that this project cannot change (Wagtail 8.0); each
# is one axe rule on the admin URLs where Wagtail renders it, with the reason.
WAGTAIL_AXE_ALLOWLIST: tuple[AxeException, ...] = (
    AxeException(
        "aria-input-field-name",
        re.compile(r"^/admin/pages/\d+/edit/$"),
        "Draftail, Wagtail's rich-text editor: its contenteditable role=textbox (.notranslate) "
        "has no accessible name; the field's label is a sibling element Wagtail renders",
    ),
    AxeException(
        "link-in-text-block",
        re.compile(r"^/django-admin/"),
        "Django admin's breadcrumbs: links told apart from the text by colour only (admin CSS)",
    ),
    AxeException(
        "aria-input-field-name",
        re.compile(r"^/django-admin/.+/(add|change)/$"),
        "Django admin's autocomplete widget (select2): its combobox span has no name of its own",
    ),
)

# Visible text of the page (and the labels assistive technology reads), without code,
# elements marked as another language or as not to be translated, and hidden elements.
VISIBLE_TEXT = """() => {
  const skip = "script,style,noscript,template,code,kbd,samp,pre," +
    "[translate=no],.notranslate,[lang^=en],[aria-hidden=true],[data-authored]";
  const seen = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, element = node.parentElement;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (!text || !element || element.closest(skip)) continue;
    if (!element.checkVisibility({visibilityProperty: true})) continue;
    seen.push(text);
  }
  const buttons = "input[type=submit],input[type=button]";
  const labelled = "[placeholder],[aria-label],[title],img[alt]," + buttons;
  for (const element of document.querySelectorAll(labelled)) {
    if (element.closest(skip)) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      const value = (element.getAttribute(name) || "").trim();
      if (value) seen.push(value);
    }
    if (element.matches(buttons) && element.value) seen.push(element.value);
  }
  return seen;
}"""

LINKS = """() => Array.from(document.querySelectorAll("a[href]"))
  .filter((a) => !a.hasAttribute("download"))
  .map((a) => a.href)"""


def english_in(texts: list[str], path: str) -> list[str]:
    """The snippets of ``texts`` with an English word outside the allowlist."""
    found = []
    for text in texts:
        if any(path.startswith(prefix) and text == hard for prefix, hard in HARD_CODED):
            continue
        if any(pattern.search(text) for pattern in ENGLISH_DATA):
            continue
        stripped = CODES.sub(" ", text)
        words = [
            word
            for word in WORD.findall(stripped)
            if not word.isupper() and word.lower().strip("'’") not in ALLOWED_WORDS
        ]
        if words:
            found.append(text if len(text) <= 90 else text[:87] + "...")
    return sorted(set(found))


@dataclass
class Crawl:
    base_url: str
    failures: list[str] = field(default_factory=list)

    def fail(self, role: str, viewport: str, path: str, what: str) -> None:
        self.failures.append(f"{role} {viewport} {path}: {what}")


@dataclass(frozen=True)
class DemoObjects:
    """Object pages of the demo data, per role (the crawl reaches most of them anyway)."""

    by_role: dict[str, list[str]]


@pytest.fixture
def demo(transactional_db: None) -> DemoObjects:
    # Before Playwright starts: inside its event loop the ORM would open a second
    # connection that nothing closes.
    call_command("seed_demo", verbosity=0)
    from certificates.models import BulkJob, Certificate, CertificateTemplate
    from courses.models import CoursePage, LessonPage, TrainingPlan
    from exams.models import Attempt, Exam, Question

    courses = list(CoursePage.objects.live().order_by("path"))
    lessons = [
        lesson.url
        for course in courses
        for lesson in LessonPage.objects.child_of(course).live().order_by("path")[:2]
    ]
    exams = list(Exam.objects.order_by("pk")[:6])
    attempts = Attempt.objects.filter(person__user__username="learner").order_by("pk")[:4]
    certificates = Certificate.objects.order_by("pk")
    public = [f"/verify/{certificate.code}/" for certificate in certificates[:2]]
    hr_pages = [f"/hr/plans/{plan.pk}/" for plan in TrainingPlan.objects.order_by("pk")[:3]]
    hr_pages += [f"/hr/certificates/jobs/{job.pk}/" for job in BulkJob.objects.order_by("pk")[:3]]
    hr_pages += [f"/admin/exams/results/{exam.pk}/" for exam in exams[:2]]
    authoring = [f"/admin/pages/{course.pk}/edit/" for course in courses[:2]]
    authoring += [f"/admin/pages/{courses[0].pk}/"] if courses else []
    authoring += [f"/admin/exams/exams/edit/{exam.pk}/" for exam in exams[:2]]
    authoring += [
        f"/admin/exams/questions/edit/{question.pk}/"
        for question in Question.objects.order_by("pk")[:2]
    ]
    authoring += [
        f"/admin/certificates/templates/edit/{template.pk}/"
        for template in CertificateTemplate.objects.order_by("pk")[:1]
    ]
    learner_pages = [course.url for course in courses] + lessons
    learner_pages += [f"/exams/{exam.pk}/" for exam in exams]
    learner_pages += [f"/exams/attempts/{attempt.public_id}/result/" for attempt in attempts]
    learner_pages += ["/learning/credits/"] + public[:1]
    objects = DemoObjects(
        by_role={
            "anonymous": ["/verify/", *public, *(course.url for course in courses[:2])],
            "learner": learner_pages,
            "trainer": ["/admin/pages/", *authoring, "/admin/snippets/"],
            "hr": ["/hr/offline-credit/", *hr_pages, "/admin/exams/results/"],
            "admin": ["/django-admin/", *authoring[:3], *hr_pages[:3], "/audit/"],
        }
    )
    connection.close()
    return objects


@pytest.fixture
def crawl(live_server: Any) -> Iterator[Crawl]:
    shutil.rmtree(CRAWL_DIR, ignore_errors=True)
    result = Crawl(base_url=live_server.url)
    yield result
    CRAWL_DIR.mkdir(parents=True, exist_ok=True)
    (CRAWL_DIR / "report.txt").write_text("\n".join(result.failures) + "\n", encoding="utf-8")


def same_origin_path(href: str, base_url: str) -> str | None:
    if not href.startswith(base_url + "/"):
        return None
    parts = urlsplit(href)
    path = parts.path  # query strings (filters, pages) are dropped: same kind of page
    return None if SKIP.search(path) else path


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "home"


def allowed_by_wagtail_list(rule: str, path: str) -> bool:
    return any(
        exception.rule == rule and exception.url.search(path) for exception in WAGTAIL_AXE_ALLOWLIST
    )


def check_page(crawl: Crawl, axe: Any, page: Any, role: str, viewport: str, path: str) -> None:
    results = axe.run(page, options=WCAG_AA)
    for violation in results.response["violations"]:
        if allowed_by_wagtail_list(violation["id"], path):
            continue
        targets = ", ".join(str(node["target"][0]) for node in violation["nodes"][:3])
        crawl.fail(
            role,
            viewport,
            path,
            f"axe {violation['id']} ({violation['impact']}, {len(violation['nodes'])}x: {targets})",
        )
    english = english_in(page.evaluate(VISIBLE_TEXT), path)
    if english:
        shown = "; ".join(repr(snippet) for snippet in english[:6])
        more = f" and {len(english) - 6} more" if len(english) > 6 else ""
        crawl.fail(role, viewport, path, f"English text: {shown}{more}")


def open_page(
    crawl: Crawl, page: Any, role: str, viewport: str, path: str, referrer: str | None
) -> bool:
    try:
        response = page.goto(crawl.base_url + path, wait_until="load", timeout=30_000)
    except Exception as error:  # a timeout or a crashed page is a finding, not the end
        crawl.fail(role, viewport, path, f"did not load: {str(error).splitlines()[0]}")
        return False
    status = response.status if response is not None else 0
    if status >= 500:
        crawl.fail(role, viewport, path, f"HTTP {status}")
        return False
    if status >= 400:
        if referrer is not None:
            crawl.fail(role, viewport, path, f"HTTP {status} for a link on {referrer}")
        return False
    try:
        page.wait_for_load_state("networkidle", timeout=1_500)
    except Exception:  # a page that keeps talking (heartbeats) is fine once loaded
        pass
    return True


def crawl_role(crawl: Crawl, browser: Any, axe: Any, role: str, known: list[str]) -> list[str]:
    """The desktop crawl of one role; returns the paths it checked, in order."""
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    if role != "anonymous":
        sign_in(page, crawl.base_url, role, PASSWORDS[role])
    queue: deque[tuple[str, str | None]] = deque([("/", None)])
    queue.extend((path, None) for path in known)
    queued = {path for path, _ in queue}
    visited: list[str] = []
    shots = CRAWL_DIR / role / "desktop"
    shots.mkdir(parents=True, exist_ok=True)
    while queue and len(visited) < PAGE_BUDGET[role]:
        path, referrer = queue.popleft()
        if not open_page(crawl, page, role, "desktop", path, referrer):
            continue
        landed = urlsplit(page.url).path
        if landed != path and landed in visited:
            continue  # a redirect to a page already checked
        visited.append(path)
        page.screenshot(path=str(shots / f"{len(visited):02d}-{slug(path)}.png"), full_page=True)
        check_page(crawl, axe, page, role, "desktop", path)
        for href in page.evaluate(LINKS):
            target = same_origin_path(href, crawl.base_url)
            if target and target not in queued:
                queued.add(target)
                queue.append((target, path))
    context.close()
    return visited


def revisit_on_phone(crawl: Crawl, browser: Any, axe: Any, role: str, paths: list[str]) -> None:
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    if role != "anonymous":
        sign_in(page, crawl.base_url, role, PASSWORDS[role])
    shots = CRAWL_DIR / role / "phone"
    shots.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(paths[:PHONE_PAGES], start=1):
        if not open_page(crawl, page, role, "phone", path, None):
            continue
        page.screenshot(path=str(shots / f"{number:02d}-{slug(path)}.png"), full_page=True)
        check_page(crawl, axe, page, role, "phone", path)
        # Wider than the phone: the reader has to scroll sideways to read the page.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 2:
            crawl.fail(role, "phone", path, f"the page is {overflow}px wider than the screen")
    context.close()


def test_every_page_of_every_role_is_chinese_accessible_and_up(demo, crawl, browser):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    started = time.monotonic()
    pages = 0
    for role in ROLES:
        visited = crawl_role(crawl, browser, axe, role, demo.by_role[role])
        revisit_on_phone(crawl, browser, axe, role, visited)
        pages += len(visited) + min(len(visited), PHONE_PAGES)
        assert visited, f"{role}: the crawl checked no page at all"

    minutes = (time.monotonic() - started) / 60
    summary = f"{len(crawl.failures)} finding(s) on {pages} page views in {minutes:.1f} min"
    assert not crawl.failures, summary + ":\n" + "\n".join(crawl.failures)
