"""Certificate races on real PostgreSQL: concurrent triggers and concurrent serials."""

from __future__ import annotations

import pytest
from django.utils import timezone

from certificates import services
from certificates.models import Certificate
from tests import factories
from tests.org.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_triggers_issue_exactly_one_certificate(learner):
    course = factories.course_create(title="数据安全", lessons=1)
    factories.course_complete(person=learner, course=course)
    cycle = timezone.localdate().year

    results, errors = race(
        10, lambda _: services.certificate_issue(person=learner, course=course, cycle=cycle)
    )

    assert errors == []
    assert len({certificate.pk for certificate in results}) == 1
    certificate = Certificate.objects.get()
    assert certificate.status == "issued"
    assert certificate.events.filter(action="issued").count() == 1


def test_concurrent_issuers_never_share_a_serial(tree):
    course = factories.course_create(title="数据安全", lessons=1)
    people = [
        factories.person_create(unit=tree.xihu, real_name=f"学员{i}", password=None)
        for i in range(12)
    ]
    for person in people:
        factories.course_complete(person=person, course=course)
    cycle = timezone.localdate().year

    results, errors = race(
        12,
        lambda index: services.certificate_claim(person=people[index], course=course, cycle=cycle),
    )

    assert errors == []
    serials = sorted(certificate.serial for certificate in results)
    assert len(set(serials)) == 12
    numbers = sorted(int(serial.rsplit("-", 1)[1]) for serial in serials)
    assert numbers == list(range(1, 13))  # no gaps either
