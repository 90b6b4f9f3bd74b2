"""Start-up and health checks of the services the portal depends on.

Each check returns None when the service answers and one sentence when it does not; the
sentence names the setting to fix and never includes a password.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection

from lms import config

Check = Callable[[], "str | None"]


def database_problem() -> str | None:
    """None if the database answers a trivial query, else why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        target = _database_target()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"cannot reach the database {target} ({reason}); check DATABASE_URL."
    return None


def broker_problem() -> str | None:
    """None if the Celery broker accepts a connection (or tasks run eagerly), else why not."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    from lms.celery import app

    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as error:  # kombu raises a different class per transport
        reason = str(error).strip() or type(error).__name__
        return (
            f"cannot reach the task broker {config.redact(settings.CELERY_BROKER_URL)} "
            f"({reason}); check CELERY_BROKER_URL."
        )
    return None


def preflight() -> None:
    """Stop the process with one sentence when a service it needs does not answer."""
    problem = database_problem() or broker_problem()
    # The checking connection must not outlive the check: gunicorn --preload forks workers
    # from this process, and a socket shared across a fork corrupts both ends.
    connection.close()
    if problem:
        raise config.ConfigError(problem)


def _database_target() -> str:
    db = settings.DATABASES["default"]
    if str(db["ENGINE"]).endswith("sqlite3"):
        return f"file {db['NAME']}"
    return f"{db.get('NAME')} on {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
