"""Bad configuration stops start-up with one clear sentence, never a traceback.

Each case starts a real process with the environment a operator might get wrong.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-production-secret-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "academy.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://academy.example.gov.cn",
}
CLOSED_PORT = "127.0.0.1:9"  # discard service port: nothing listens on it here


def run(
    *args: str, cwd: Path = ROOT, extra: dict[str, str] | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run this project's Python with a clean environment plus ``extra`` and ``env``."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    clean.update({"DOTENV_FILE": "", "PYTHONWARNINGS": "ignore"}, **(extra or {}), **env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_production_mode_without_a_secret_key_refuses_to_start():
    result = run("manage.py", "check", DEBUG="false", ALLOWED_HOSTS="academy.example.gov.cn")
    assert_one_sentence(result, "SECRET_KEY is not set")


def test_an_unknown_yes_no_value_is_named():
    result = run("manage.py", "check", DEBUG="maybe")
    assert_one_sentence(result, "DEBUG='maybe'")


def test_an_unknown_database_scheme_is_named():
    result = run("manage.py", "check", DEBUG="true", DATABASE_URL="mysql://root@localhost/lms")
    assert_one_sentence(result, "DATABASE_URL", "'mysql'")


def test_an_unknown_log_level_is_named():
    result = run("manage.py", "check", DEBUG="true", LOG_LEVEL="LOUD")
    assert_one_sentence(result, "LOG_LEVEL='LOUD'")


def test_an_unreachable_database_stops_migrate_with_one_sentence():
    result = run(
        "manage.py",
        "migrate",
        DEBUG="true",
        DATABASE_URL=f"postgresql://postgres:s3cret@{CLOSED_PORT}/lms",
    )
    assert_one_sentence(result, "cannot reach the database lms on 127.0.0.1:9", "DATABASE_URL")
    assert "s3cret" not in result.stderr


def test_an_unreachable_broker_stops_the_server_before_it_serves():
    result = run(
        "manage.py",
        "runserver",
        "127.0.0.1:0",
        "--noreload",
        DEBUG="true",
        LMS_VAR_DIR=str(ROOT / "var" / "test-startup"),
        CELERY_BROKER_URL=f"redis://:hunter2@{CLOSED_PORT}/0",
    )
    assert_one_sentence(result, "cannot reach the task broker", "CELERY_BROKER_URL")
    assert "hunter2" not in result.stderr


def test_the_wsgi_application_refuses_to_load_without_its_database():
    result = run(
        "-c",
        "import lms.wsgi",
        extra=PRODUCTION,
        DATABASE_URL=f"postgresql://postgres@{CLOSED_PORT}/lms",
    )
    assert_one_sentence(result, "cannot reach the database")


def test_the_deploy_check_is_clean_with_production_settings():
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra=PRODUCTION,
        LMS_VAR_DIR=str(ROOT / "var" / "test-startup"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
