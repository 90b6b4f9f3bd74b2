"""A real Celery worker process, consuming from Redis, answers the health round trip."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.celery_worker import ROOT, start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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
