"""Receivers of lower apps' signals: each only enqueues a task on commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from certificates.tasks import certificate_issue_task
from courses.signals import course_completed


@receiver(course_completed, dispatch_uid="certificates.issue_on_completion")
def issue_on_completion(sender: Any, enrolment_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: certificate_issue_task.delay(enrolment_id))
