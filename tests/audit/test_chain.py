"""The hash chain: verification names the first broken record, pruning keeps it verifiable,
PostgreSQL refuses changes whoever asks, and concurrent appends never fork it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import services
from audit.models import AuditRecord
from audit.selectors import audit_chain_verify
from audit.services import audit_prune, audit_record
from audit.tasks import audit_prune_task
from tests.lms.test_startup import assert_one_sentence, run

TABLE = AuditRecord._meta.db_table


@contextmanager
def triggers_off() -> Iterator[None]:
    """Tamper as the table's owner would: PostgreSQL's triggers off for the edit."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


def records(count: int) -> list[AuditRecord]:
    return [audit_record(action="export", note=f"export {number}") for number in range(count)]


def verify(capsys: pytest.CaptureFixture[str]) -> str:
    call_command("audit_verify")
    return capsys.readouterr().out


@pytest.mark.django_db
def test_an_unbroken_chain_verifies_with_its_count(capsys):
    records(5)
    assert verify(capsys).startswith("OK: 5 audit records")


@pytest.mark.django_db
def test_a_record_edited_in_the_database_is_named(capsys):
    chain = records(5)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["tampered", chain[2].pk])
    with pytest.raises(CommandError) as broken:
        call_command("audit_verify")
    assert f"broken at record {chain[2].pk}:" in str(broken.value)
    assert "do not match its hash" in str(broken.value)
    assert "2 records before it verified" in str(broken.value)


@pytest.mark.django_db
def test_a_record_rewritten_with_a_fresh_hash_is_found_by_the_next_link():
    chain = records(4)
    forged = AuditRecord.objects.get(pk=chain[1].pk)
    forged.note = "tampered"
    new_hash = forged.compute_hash()
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET note = %s, hash = %s WHERE id = %s",
            ["tampered", new_hash, chain[1].pk],
        )
    check = audit_chain_verify()
    assert check.broken_id == chain[2].pk
    assert f"not the hash of record {chain[1].pk}" in check.problem


@pytest.mark.django_db
def test_a_record_removed_from_the_middle_is_found_by_the_next_link():
    chain = records(4)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [chain[1].pk])
    check = audit_chain_verify()
    assert (check.broken_id, check.count) == (chain[2].pk, 1)


@pytest.mark.django_db
def test_the_oldest_records_removed_without_a_prune_are_found():
    chain = records(3)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [chain[0].pk])
    check = audit_chain_verify()
    assert check.broken_id == chain[1].pk
    assert "removed, not pruned" in check.problem


@pytest.mark.django_db
def test_pruning_deletes_what_is_past_retention_and_the_chain_still_verifies(monkeypatch, capsys):
    then = timezone.now() - timedelta(days=200)
    with monkeypatch.context() as patch:
        patch.setattr(services, "_clock", lambda: then)
        old = records(3)
    young = records(2)

    assert audit_prune_task() == 3

    assert not AuditRecord.objects.filter(pk__in=[record.pk for record in old]).exists()
    assert AuditRecord.objects.filter(pk__in=[record.pk for record in young]).count() == 2
    prune = AuditRecord.objects.get(action="audit.prune")
    assert prune.after is not None
    assert prune.after["deleted"] == 3
    assert prune.after["last_deleted_hash"] == old[-1].hash
    assert prune.prev_hash == young[-1].hash
    assert verify(capsys).startswith("OK: 3 audit records")
    # Running again finds nothing more to delete and writes nothing.
    assert audit_prune() == 0
    assert AuditRecord.objects.count() == 3


@pytest.mark.django_db
def test_pruning_everything_leaves_a_chain_that_verifies(monkeypatch, capsys):
    then = timezone.now() - timedelta(days=200)
    with monkeypatch.context() as patch:
        patch.setattr(services, "_clock", lambda: then)
        old = records(2)
    assert audit_prune() == 2
    prune = AuditRecord.objects.get()
    assert prune.prev_hash == old[-1].hash
    assert verify(capsys).startswith("OK: 1 audit records")
    more = records(1)
    assert audit_prune(now=timezone.now() + timedelta(days=10)) == 0
    assert verify(capsys).startswith("OK: 2 audit records")
    assert more[0].prev_hash == prune.hash


@pytest.mark.django_db
def test_a_record_inside_the_retention_period_is_kept(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    record = audit_record(action="export")
    assert audit_prune(now=timezone.now() + timedelta(days=364)) == 0
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_a_retention_below_180_days_refuses_to_start():
    result = run("manage.py", "check", DEBUG="true", AUDIT_RETENTION_DAYS="90")
    assert_one_sentence(result, "AUDIT_RETENTION_DAYS=90 must be at least 180")


# --- PostgreSQL: the database itself refuses -------------------------------------------


def refused(sql: str, params: list[int] | None = None) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(error.value)


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_update_delete_and_truncate():
    record = audit_record(action="export")
    assert "UPDATE refused" in refused(f"UPDATE {TABLE} SET note = 'x' WHERE id = %s", [record.pk])
    assert "DELETE refused" in refused(f"DELETE FROM {TABLE} WHERE id = %s", [record.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        # Outside Django's test databases (flushed with TRUNCATE) this is always so.
        cursor.execute("SET LOCAL audit.refuse_truncate = 'on'")
        assert "TRUNCATE refused" in refused(f"TRUNCATE {TABLE}")
    assert AuditRecord.objects.get(pk=record.pk).note == ""


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_lets_the_pruning_setting_delete_only_old_records(monkeypatch):
    then = timezone.now() - timedelta(days=181)
    with monkeypatch.context() as patch:
        patch.setattr(services, "_clock", lambda: then)
        old = audit_record(action="export")
    young = audit_record(action="export")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.pruning = 'on'")
        assert "DELETE refused" in refused(f"DELETE FROM {TABLE} WHERE id = %s", [young.pk])
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [old.pk])
        assert cursor.rowcount == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_from_many_threads_keep_one_unbroken_chain():
    threads_count, each = 8, 15
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def append(number: int) -> None:
        try:
            barrier.wait()
            for index in range(each):
                audit_record(action="export", note=f"thread {number} record {index}")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(number,)) for number in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    check = audit_chain_verify()
    assert check.ok, check.problem
    assert check.count == threads_count * each
    hashes = list(AuditRecord.objects.values_list("prev_hash", flat=True))
    assert len(set(hashes)) == len(hashes)  # no two records follow the same one: no fork
