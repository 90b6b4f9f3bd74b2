"""Tasks of the certificates app: primary keys in, reload, call the service; safe to run twice.

``acks_late``: the broker keeps the message until the task returns, so a worker killed
mid-render hands it to another worker, which finds the pending certificate and finishes it.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from certificates import services
from certificates.models import BulkJob, BulkJobKind, BulkJobStatus, Certificate
from courses import services as courses_services
from courses.models import Enrolment
from org.selectors import visible_people


@shared_task(
    name="certificates.issue",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
)
def certificate_issue_task(enrolment_id: int) -> int | None:
    """Issue the certificate of a completed enrolment; returns its id (None if not issuable)."""
    enrolment = (
        Enrolment.objects.filter(pk=enrolment_id, completed_at__isnull=False)
        .select_related("person", "course")
        .first()
    )
    if enrolment is None or enrolment.completed_at is None:
        return None
    try:
        certificate = services.certificate_issue(
            person=enrolment.person,
            course=enrolment.course,
            cycle=courses_services.credit_year_of(enrolment.completed_at),
        )
    except services.CertificateRefused:
        return None
    return certificate.pk


@shared_task(
    name="certificates.render",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
)
def certificate_render_task(certificate_id: int) -> str | None:
    """Render a pending certificate (after a re-issue or a retry); returns its status."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return None
    return services.certificate_render(certificate=certificate).status


@shared_task(name="certificates.bulk_job_start", acks_late=True, reject_on_worker_lost=True)
def bulk_job_start_task(job_id: int) -> int:
    """Split a bulk job into slices for the workers (or build its ZIP); returns the total."""
    job = BulkJob.objects.select_related("requested_by__user").filter(pk=job_id).first()
    if job is None or job.status not in services.ACTIVE:  # done, or cancelled in the queue
        return 0
    visible = visible_people(job.requested_by.user)
    if job.kind == BulkJobKind.ZIP:
        return services.bulk_zip_build(job=job, visible=visible).total
    ids = services.bulk_job_targets(job=job, visible=visible)
    started = BulkJob.objects.filter(pk=job.pk, status__in=services.ACTIVE).update(
        total=len(ids), status=BulkJobStatus.RUNNING
    )
    if not started:
        return 0
    if not ids:
        services.bulk_job_progress(job=job)
        return 0
    size = services.CHUNK_SIZE
    for index, start in enumerate(range(0, len(ids), size)):
        bulk_chunk_task.delay(job.pk, index, ids[start : start + size])
    return len(ids)


@shared_task(
    name="certificates.bulk_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
)
def bulk_chunk_task(job_id: int, index: int, ids: list[int]) -> int:
    """One slice of a bulk job; returns how many certificates it issued or re-issued."""
    job = BulkJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None:
        return 0
    return services.bulk_chunk_run(job=job, index=index, ids=ids).done


@shared_task(name="certificates.bulk_zips_expire")
def bulk_zips_expire_task() -> int:
    """Delete bulk ZIPs past their keeping time (daily, in beat)."""
    return services.bulk_zips_expire()
