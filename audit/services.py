"""Appending to the audit trail, and pruning it after the retention period."""

from __future__ import annotations

import ipaddress
import math
import re
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.http import client_ip
from audit.middleware import current_request
from audit.models import AuditRecord

# pg_advisory_xact_lock key ("lmsaudit" as a big-endian integer): every append takes it, so
# two transactions never read the same chain tip and fork the chain. SQLite's IMMEDIATE
# transactions (settings.py) already admit one writer at a time.
CHAIN_LOCK_KEY = int.from_bytes(b"lmsaudit", "big")

ACTION_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*$")
PRUNE_ACTION = "audit.prune"
# Strings longer than this inside before/after (a lesson's body, say) are cut: the trail
# says that a field changed and how it began, it is not a copy of the content.
MAX_JSON_STRING = 1000
MAX_JSON_DEPTH = 8


def audit_record(
    *,
    action: str,
    obj: Any = None,
    subject_person_id: int | None = None,
    subject_path: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_user_id: int | None = None,
    actor_label: str = "",
    ip: str | None = None,
    note: str = "",
) -> AuditRecord:
    """Append one record to the chain; actor and address default to the current request's.

    Call it inside the transaction of the change it records (so a change rolled back leaves
    no record), as late as possible: the chain lock is held until that transaction ends.
    """
    object_type = object_id = object_label = ""
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = "" if obj.pk is None else str(obj.pk)
        object_label = str(obj)
    return audit_record_fields(
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        subject_person_id=subject_person_id,
        subject_path=subject_path,
        before=before,
        after=after,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        ip=ip,
        note=note,
    )


def audit_record_fields(
    *,
    action: str,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    subject_person_id: int | None = None,
    subject_path: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_user_id: int | None = None,
    actor_label: str = "",
    ip: str | None = None,
    note: str = "",
) -> AuditRecord:
    """audit_record for a caller holding no instance: an object deleted, another log's entry."""
    if not ACTION_PATTERN.match(action):
        raise ValueError(f"An audit action is a lower-case (dotted) name, not {action!r}.")
    request = current_request.get()
    if actor_user_id is None and not actor_label and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor_user_id = user.pk
            actor_label = user.get_username()
    if ip is None and request is not None:
        ip = client_ip(request)
    return _append(
        action=action,
        actor_user_id=actor_user_id,
        actor_label=_text(actor_label, 150),
        ip=normalised_address(ip),
        object_type=_text(object_type, 100),
        object_id=_text(object_id, 64),
        object_label=_text(object_label, 255),
        subject_person_id=subject_person_id,
        subject_path=_text(subject_path, 255),
        before=None if before is None else json_safe(before),
        after=None if after is None else json_safe(after),
        note=_text(note, 4000),
    )


@transaction.atomic
def audit_prune(*, now: datetime | None = None) -> int:
    """Delete the records older than AUDIT_RETENTION_DAYS; returns how many went.

    The records deleted are always the oldest run of the chain (everything before the first
    record young enough to keep), and a closing ``audit.prune`` record names the hash of the
    last one deleted: the first remaining record links to it, so the chain still verifies.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    _lock_chain()
    tip = AuditRecord.objects.order_by("-id").values_list("hash", flat=True).first()
    # By id, not by time alone: a clock stepping back must not leave a hole in the chain.
    keep_from = AuditRecord.objects.filter(at__gte=cutoff).order_by("id").values("id")[:1]
    doomed = AuditRecord.objects.filter(at__lt=cutoff)
    first_kept = keep_from.first()
    if first_kept is not None:
        doomed = doomed.filter(id__lt=first_kept["id"])
    last = doomed.order_by("-id").values_list("id", "hash").first()
    if last is None:
        return 0
    last_id, last_hash = last
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger lets a DELETE through only with this set, and only for rows past
            # the legal minimum of 180 days (migration 0002).
            cursor.execute("SET LOCAL audit.pruning = 'on'")
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table} WHERE id <= %s", [last_id])
        deleted = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL audit.pruning = 'off'")
    _append(
        action=PRUNE_ACTION,
        actor_user_id=None,
        actor_label="",
        ip=None,
        object_type="",
        object_id="",
        object_label="",
        subject_person_id=None,
        subject_path="",
        before=None,
        after={
            "deleted": deleted,
            "last_deleted_id": last_id,
            "last_deleted_hash": last_hash,
            "cutoff": cutoff.isoformat(),
        },
        note="",
        prev_hash=tip or "",
    )
    return deleted


def json_safe(value: Any, depth: int = 0) -> Any:
    """The value with everything JSON cannot hold, or PostgreSQL's jsonb would rewrite,
    turned into strings: Decimals, dates, UUIDs, floats (jsonb prints 1e100 as digits, which
    would change the hash), NUL characters (jsonb refuses them)."""
    if depth > MAX_JSON_DEPTH:
        return "…"
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value, MAX_JSON_STRING)
    if isinstance(value, float):
        return str(value) if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | timedelta):
        return str(value)
    if isinstance(value, dict):
        return {_text(str(key), 200): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [json_safe(item, depth + 1) for item in items]
    return _text(str(value), MAX_JSON_STRING)


def _append(*, prev_hash: str | None = None, **fields: Any) -> AuditRecord:
    with transaction.atomic():
        _lock_chain()
        if prev_hash is None:
            tip = AuditRecord.objects.order_by("-id").values_list("hash", flat=True).first()
            prev_hash = tip or ""
        # Taken under the lock, so times follow the chain's order unless the clock steps back.
        record = AuditRecord(at=_clock(), prev_hash=prev_hash, **fields)
        record.hash = record.compute_hash()
        record.save(force_insert=True)
    return record


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _clock() -> datetime:
    # One seam for the time of a record, so that tests can write records of last year.
    return timezone.now()


def _text(value: str, limit: int) -> str:
    # PostgreSQL text refuses NUL; the cut happens before hashing, so stored equals hashed.
    value = value.replace("\x00", "\ufffd")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def normalised_address(value: str | None) -> str | None:
    # Normalised the way PostgreSQL's inet prints it back ("2001:DB8::1" as "2001:db8::1"),
    # so the hash computed now matches the row read later.
    if not value:
        return None
    try:
        # A scope ("fe80::1%eth0") is local to the host and not something inet stores.
        address = ipaddress.ip_address(value.strip().split("%", 1)[0])
    except ValueError:
        return None
    return str(address)
