"""A real Celery worker process, consuming from Redis, answers the health round trip."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection

from lms.celery import app as celery_app
from tests.conftest import wait_for_other_database_sessions_to_end
from tests.lms.test_startup import ROOT

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def database_url() -> str:
    """The URL of the database this test runs on, so the worker sees the same rows."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail("worker tests share the database with a second process: run them on PostgreSQL")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue of this test's own, so workers of parallel tests never answer for it."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    yield name
    celery_app.conf.task_default_queue = previous


def start_worker(queue: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=database_url(), DOTENV_FILE="")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            output = worker.stderr.read().decode() if worker.stderr else ""
            stop_worker(worker)
            pytest.fail(f"worker exited: {output}")
        if celery_app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            return worker
    stop_worker(worker)
    pytest.fail("worker did not come up within 30 s")


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=5)
    finally:
        if worker.stderr:
            worker.stderr.close()
    wait_for_other_database_sessions_to_end()


def test_a_running_worker_answers_and_a_stopped_one_is_reported(client, queue):
    worker = start_worker(queue)
    try:
        response = client.get("/healthz/?workers=1")
        assert response.status_code == 200, response.json()
        assert response.json()["checks"]["workers"]["status"] == "ok"
        assert response.json()["checks"]["task_queue"]["mode"] == "broker"
    finally:
        stop_worker(worker)

    response = client.get("/healthz/?workers=1")
    assert response.status_code == 503
    assert "no worker replied" in response.json()["checks"]["workers"]["error"]


def test_the_worker_refuses_to_start_without_its_database(queue):
    env = dict(
        os.environ,
        DOTENV_FILE="",
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/lms",
    )
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "--pool=solo", "-Q", queue],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Configuration error: cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr
