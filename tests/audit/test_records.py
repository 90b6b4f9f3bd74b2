from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from audit.middleware import AuditContextMiddleware
from audit.models import AuditRecord, AuditRecordImmutable
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_each_record_links_to_the_hash_of_the_one_before():
    first = audit_record(action="export", note="one")
    second = audit_record(action="export", note="two")
    assert first.prev_hash == ""
    assert second.prev_hash == first.hash
    assert first.hash == first.compute_hash()
    stored = AuditRecord.objects.get(pk=second.pk)
    assert stored.compute_hash() == second.hash


def test_before_and_after_are_made_json_safe():
    record = audit_record(
        action="credit.offline",
        after={"hours": Decimal("2.5"), "on": date(2026, 3, 1), "ratio": 0.1, "name": "a\x00b"},
    )
    stored = AuditRecord.objects.get(pk=record.pk)
    assert stored.after == {"hours": "2.5", "on": "2026-03-01", "ratio": "0.1", "name": "a\ufffdb"}
    assert stored.compute_hash() == stored.hash


def test_the_actor_and_address_come_from_the_current_request():
    user = User.objects.create_user(username="someone")
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8::1")
    request.user = user
    seen = {}

    def view(request):
        seen["record"] = audit_record(action="export", obj=user)
        return None

    AuditContextMiddleware(view)(request)
    record = AuditRecord.objects.get(pk=seen["record"].pk)
    assert (record.actor_user_id, record.actor_label) == (user.pk, "someone")
    assert record.ip == "2001:db8::1"
    assert (record.object_type, record.object_id, record.object_label) == (
        "auth.user",
        str(user.pk),
        "someone",
    )
    assert record.compute_hash() == record.hash


def test_outside_a_request_there_is_no_actor():
    record = audit_record(action="export")
    assert (record.actor_user_id, record.actor_label, record.ip) == (None, "", None)


def test_an_action_must_be_a_dotted_name():
    with pytest.raises(ValueError):
        audit_record(action="Export everything")


def test_records_cannot_be_changed_or_deleted_through_the_orm():
    record = audit_record(action="export")
    record.note = "changed"
    with pytest.raises(AuditRecordImmutable):
        record.save()
    with pytest.raises(AuditRecordImmutable):
        record.delete()
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.filter(pk=record.pk).update(note="changed")
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).note == ""
