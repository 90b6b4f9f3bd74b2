"""The server restarts in the middle of an exam: the page keeps the answers and nothing is lost.

A real gunicorn serves the portal against the test's PostgreSQL database, so it can be
killed and started again while the browser holds the exam page open.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from exams.models import Answer, Attempt
from tests import factories
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _database_url() -> str:
    database = connection.settings_dict
    host = database["HOST"] or HOST
    port = database["PORT"] or 5432
    return f"postgresql://{database['USER']}@{host}:{port}/{database['NAME']}"


@contextmanager
def _gunicorn(port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn on ``port`` against the test database; killed (not stopped) on exit."""
    env = {**os.environ, "DATABASE_URL": _database_url()}
    with log_path.open("ab") as server_log:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "lms.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
            ],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                with urlopen(f"http://{HOST}:{port}/healthz/", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (URLError, OSError):
                pass
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        yield process
    finally:
        # A crash, not a graceful stop: whatever the server had not written is gone.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def exam(learner: Any) -> Any:
    # The server process has the production hashers, not the tests' fast one.
    learner.user.password = PBKDF2PasswordHasher().encode(factories.PASSWORD, "restart-test")
    learner.user.save(update_fields=["password"])
    category = factories.question_category()
    questions = [
        factories.question_single(category, stem=f"第{i}题：等级保护共分几级？")
        for i in range(1, 5)
    ]
    exam = factories.exam_create(
        questions=questions, shuffle_questions=False, shuffle_options=False
    )
    connection.close()
    return exam


def test_answers_given_while_the_server_restarts_are_kept_and_graded(
    learner, exam, browser, tmp_path
):
    port = _free_port()
    base = f"http://{HOST}:{port}"
    log_path = tmp_path / "gunicorn.log"
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    with _gunicorn(port, log_path):
        sign_in(page, base, "learner", factories.PASSWORD)
        page.goto(f"{base}/exams/{exam.pk}/")
        page.locator("#start button[type=submit]").click()
        page.locator("#q1").wait_for()
        page.locator('#q1 input[value="c"]').check()
        page.locator("#q1 .save-state", has_text="已保存").wait_for(timeout=10_000)

    # The server is gone; the learner goes on answering.
    page.locator('#q2 input[value="c"]').check()
    page.locator('#q3 input[value="c"]').check()
    page.locator("#exam-status", has_text="答案暂存在本设备上").wait_for(timeout=10_000)
    assert page.locator("#q2 .save-state").get_attribute("data-state") == "pending"
    assert Answer.objects.count() == 1
    page.screenshot(path=str(SCREENSHOTS / "exam-server-down.png"), full_page=True)

    with _gunicorn(port, log_path):
        # No reload, no click: the page retries on its own once the server answers again.
        page.locator("#exam-status", has_text="网络已恢复").wait_for(timeout=30_000)
        assert Answer.objects.count() == 3

        page.locator('#q4 input[value="c"]').check()
        page.locator("#q4 .save-state", has_text="已保存").wait_for(timeout=10_000)
        page.reload()  # resume: every answer comes back from the server
        for position in (1, 2, 3, 4):
            assert page.locator(f'#q{position} input[value="c"]').is_checked()

        page.get_by_role("button", name="交卷").click()
        page.wait_for_url("**/result/")
        attempt = Attempt.objects.get()
        assert attempt.state == "graded"
        assert attempt.score == attempt.max_score == 4
    context.close()
