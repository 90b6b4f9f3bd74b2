"""Reads of the audit trail: browsing it, verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from audit.models import AuditRecord
from audit.services import PRUNE_ACTION, normalised_address


def audit_records(
    *,
    within: Q,
    action: str = "",
    actor: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    text: str = "",
    subject_person_id: int | None = None,
    subject_path: str = "",
) -> QuerySet[AuditRecord]:
    """Records inside ``within`` (the reader's scope: a Q on subject_path, from the caller's
    access surface) narrowed by the filters, newest first. ``until`` is exclusive."""
    records = AuditRecord.objects.filter(within)
    if action:
        records = records.filter(action=action)
    if actor:
        records = records.filter(actor_label__iexact=actor)
    if since is not None:
        records = records.filter(at__gte=since)
    if until is not None:
        records = records.filter(at__lt=until)
    if subject_person_id is not None:
        records = records.filter(subject_person_id=subject_person_id)
    if subject_path:
        records = records.filter(subject_path__startswith=subject_path)
    if text:
        match = (
            Q(object_label__icontains=text)
            | Q(note__icontains=text)
            | Q(actor_label__icontains=text)
            | Q(object_id=text)
        )
        # Only a real address is compared with the address column (PostgreSQL's inet
        # refuses anything else).
        address = normalised_address(text)
        if address:
            match |= Q(ip=address)
        records = records.filter(match)
    # By id: the chain's order, and the primary key's index serves a first page at once.
    return records.order_by("-id")


@dataclass(frozen=True)
class ChainCheck:
    count: int
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def audit_chain_anchor() -> str:
    """The hash the oldest remaining record must link to: "" until the first prune, then the
    hash of the last record the latest prune deleted (which that prune's record names)."""
    for after in (
        AuditRecord.objects.filter(action=PRUNE_ACTION)
        .order_by("-id")
        .values_list("after", flat=True)
    ):
        if isinstance(after, dict) and after.get("deleted"):
            return str(after.get("last_deleted_hash", ""))
    return ""


def audit_chain_verify() -> ChainCheck:
    """Recompute every record's hash and link, oldest first; stop at the first broken one."""
    expected_prev = audit_chain_anchor()
    previous_id: int | None = None
    count = 0
    for record in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        if record.prev_hash != expected_prev:
            if previous_id is None:
                problem = (
                    f"the oldest record's prev_hash {record.prev_hash or '(empty)'} is not the "
                    f"chain's anchor {expected_prev or '(empty)'}: records before it were "
                    "removed, not pruned"
                )
            else:
                problem = (
                    f"its prev_hash {record.prev_hash or '(empty)'} is not the hash of record "
                    f"{previous_id} ({expected_prev}): a record between them was removed or "
                    f"record {previous_id} was rewritten"
                )
            return ChainCheck(count=count, broken_id=record.pk, problem=problem)
        if record.compute_hash() != record.hash:
            return ChainCheck(
                count=count,
                broken_id=record.pk,
                problem=f"its fields do not match its hash {record.hash}: it was changed",
            )
        expected_prev = record.hash
        previous_id = record.pk
        count += 1
    return ChainCheck(count=count)
