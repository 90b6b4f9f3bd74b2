"""Tasks of the exams app: primary keys in, reload, call the service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from exams import importing, services


@shared_task(name="exams.attempts_finalise_expired")
def attempts_finalise_expired_task() -> int:
    """Every minute: close attempts whose time ran out, at their deadline, and grade them."""
    finalised = 0
    for attempt_id in services.attempts_overdue():
        services.attempt_finalise_expired(attempt_id=attempt_id)
        finalised += 1
    return finalised


@shared_task(name="exams.question_imports_expire")
def question_imports_expire_task() -> int:
    """Hourly: delete question files checked but never confirmed within a day."""
    return importing.uploads_expire(older_than_hours=24)
