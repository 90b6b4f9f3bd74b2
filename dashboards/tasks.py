"""The dashboards' tasks: keeping the stored figures fresh and true (beat), exports."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from dashboards import refresh
from dashboards.exports import export_run_task, exports_expire_task

__all__ = ["dashboards_refresh", "dashboards_verify", "export_run_task", "exports_expire_task"]


@shared_task(name="dashboards.refresh")
def dashboards_refresh() -> int:
    """Recompute every year's figures (beat, every DASHBOARD_REFRESH_MINUTES)."""
    try:
        return sum(record.changed for record in refresh.refresh_due())
    finally:
        cache.delete(refresh.LOCK)


@shared_task(name="dashboards.verify")
def dashboards_verify() -> int:
    """Nightly: prove the stored figures equal a full recomputation; repair and log."""
    return refresh.verify()
