"""A real worker is killed in the middle of rendering: another worker finishes, and there is
still exactly one certificate."""

from __future__ import annotations

import time

import pytest

from certificates.models import Certificate, CertificateEvent
from tests import factories
from tests.celery_worker import start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A message taken by a worker that died goes back to the queue after this long.
VISIBILITY = {"CELERY_VISIBILITY_TIMEOUT_SECONDS": "3"}


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_killed_mid_render_still_ends_with_one_certificate(
    learner, queue, media_root, private_root
):
    course = factories.course_create(title="信息安全年度培训", lessons=1)
    # Completing the course enqueues the issuing task on commit, for a worker to take.
    factories.course_complete(person=learner, course=course)

    doomed = start_worker(
        queue,
        app="tests.slow_render_worker",
        env={
            **VISIBILITY,
            "MEDIA_ROOT": str(media_root),
            "PRIVATE_ROOT": str(private_root),
            "SLOW_RENDER_SECONDS": "30",
        },
        wait=False,  # it takes the waiting task at once, and then answers no ping
    )
    try:
        claimed = _wait_for(lambda: Certificate.objects.filter(status="pending").exists(), 30)
        assert claimed, "the worker never claimed the certificate"
        doomed.kill()  # SIGKILL in the middle of the render: no clean-up, no acknowledgement
        doomed.wait(timeout=10)
    finally:
        stop_worker(doomed)

    rescuer = start_worker(
        queue, env={**VISIBILITY, "MEDIA_ROOT": str(media_root), "PRIVATE_ROOT": str(private_root)}
    )
    try:
        issued = _wait_for(lambda: Certificate.objects.filter(status="issued").exists(), 60)
    finally:
        stop_worker(rescuer)

    assert issued, "the task was not redelivered after the worker died"
    certificate = Certificate.objects.get()
    assert _pdf_head(certificate) == b"%PDF-"
    actions = list(CertificateEvent.objects.values_list("action", flat=True))
    assert actions == ["claimed", "issued"]


def _pdf_head(certificate: Certificate) -> bytes:
    with certificate.pdf.open("rb") as pdf:
        return bytes(pdf.read(5))
