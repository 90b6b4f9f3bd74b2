"""Fixtures shared by every test, and the rule for tests that need real services.

Tests marked ``postgres`` need PostgreSQL, ``worker`` a Celery broker, ``browser`` Debian's
chromium. Without them such a test is skipped in a developer's run, but fails when
LMS_REQUIRE_SERVICES=1 (the services leg of .ci/run) or, for the browser, when CI=true:
a missing service must never pass silently.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from org import services
from org.models import Person, Role
from tests import factories

REQUIRE_SERVICES = os.environ.get("LMS_REQUIRE_SERVICES") == "1"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What the browser tests look through and check against: the two screens of the brief, and
# axe-core's WCAG 2.1 A/AA rules.
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL=postgresql://...)"
    if marker == "worker" and (settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL):
        return "needs a Redis broker and result backend (CELERY_BROKER_URL, REDIS_URL)"
    if marker == "browser" and not os.path.exists(CHROMIUM):
        return "needs Debian's chromium (make test installs it)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "worker", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES or (marker == "browser" and IN_CI):
            pytest.fail(f"{marker} test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)


def wait_for_other_database_sessions_to_end(seconds: float = 10) -> None:
    """Wait until no other session works in the test database (PostgreSQL only).

    A worker process or a live-server thread that has just stopped leaves its backend busy
    for a moment; the next test's flush would then wait on its locks. An idle session holds
    none: the session-scoped live server keeps one open between tests, and waiting for it
    cost every browser test ten seconds. ``close_stray_database_sessions`` ends those at
    the end of the run, before the database is dropped.
    """
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state <> 'idle'"
            )
            row = cursor.fetchone()
        if row is not None and row[0] == 0:
            return
        time.sleep(0.1)


@pytest.fixture(autouse=True)
def chinese_first() -> Iterator[None]:
    """Every test starts in the portal's first language.

    Django keeps the language a request activated on the thread; without this, a test that
    visited /en/ would leave later tests on the same worker speaking English.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def close_stray_database_sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """At the end of the run, end any session a live-server thread or worker left behind,
    so that dropping the PostgreSQL test database cannot fail on them."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path_factory: Any) -> Any:
    """Private files (PDFs, ZIPs, uploads) of a test land in a folder of its own."""
    settings.PRIVATE_ROOT = tmp_path_factory.mktemp("private")
    return settings.PRIVATE_ROOT


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def queue() -> Iterator[str]:
    """A Celery queue of this test's own, so workers of parallel tests never answer for it."""
    import uuid

    from lms.celery import app

    name = f"test-{uuid.uuid4().hex[:12]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in the test's process even when a broker is configured.

    For tests of what a task does; tests marked ``worker`` use a real worker instead.
    """
    from lms.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def tree(db: None) -> factories.Tree:
    return factories.Tree()


@pytest.fixture
def learner(tree: factories.Tree) -> Person:
    return factories.person_create(
        unit=tree.xihu_it_section,
        real_name="张晓明",
        username="learner",
        rank="principal_clerk_2",
        position="科员",
    )


@pytest.fixture
def xihu_hr(tree: factories.Tree) -> Person:
    person = factories.person_create(
        unit=tree.xihu_data_bureau, real_name="赵丽", username="xihuhr"
    )
    services.role_grant(person=person, role=Role.HR_OFFICER, org_unit=tree.xihu)
    return person


@pytest.fixture
def hangzhou_hr(tree: factories.Tree) -> Person:
    person = factories.person_create(unit=tree.hangzhou, real_name="王建国", username="hzhr")
    services.role_grant(person=person, role=Role.HR_OFFICER, org_unit=tree.hangzhou)
    return person


@pytest.fixture
def platform_admin(tree: factories.Tree) -> Person:
    person = factories.person_create(
        unit=tree.provincial_hr_department, real_name="陈志远", username="padmin"
    )
    services.role_grant(person=person, role=Role.PLATFORM_ADMIN)
    return person


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright, headless, no background networking.

    Request the data fixtures before this one: inside Playwright's event loop the ORM
    would open a second database connection that nothing closes.
    """
    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls
    # happen in its own threads, so Django's async guard does not apply to this one.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    wait_for_other_database_sessions_to_end()


def assert_no_axe_violations(page: Any) -> None:
    """axe-core over the page as it is now: something was checked, and nothing violates
    WCAG 2.1 A/AA (the report names every violation)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    assert results.response["passes"], "axe-core checked nothing"
    assert results.violations_count == 0, results.generate_report()


def sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base_url + "/")
