"""A real Celery worker process for tests marked ``worker``: started, awaited, stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from lms.celery import app as celery_app
from tests.conftest import wait_for_other_database_sessions_to_end

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def start_worker(
    queue: str, *, app: str = "lms", env: dict[str, str] | None = None, wait: bool = True
) -> subprocess.Popen[bytes]:
    """A solo-pool worker of ``app`` (a module defining the Celery app) on ``queue``.

    ``wait=False`` returns at once: a solo worker busy with a task answers no ping.
    """
    env = dict(os.environ, DATABASE_URL=database_url(), DOTENV_FILE="", **(env or {}))
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
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
    if not wait:
        return worker
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
