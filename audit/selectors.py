"""Reads of the audit trail: verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass

from audit.models import AuditRecord
from audit.services import PRUNE_ACTION


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
