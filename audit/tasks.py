"""Tasks of the audit trail."""

from __future__ import annotations

from celery import shared_task

from audit import services


@shared_task(name="audit.prune")
def audit_prune_task() -> int:
    """Daily: delete the records past AUDIT_RETENTION_DAYS (running twice deletes nothing more)."""
    return services.audit_prune()
