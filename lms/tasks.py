"""Tasks of the portal itself."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="lms.health_probe", ignore_result=False, acks_late=False)
def health_probe() -> str:
    """Answer the health check's round trip; proves a worker is consuming the queue."""
    return timezone.now().isoformat()
