"""manage.py audit_verify: check the audit trail's hash chain from its oldest record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Recompute every audit record's hash and link from the oldest; print OK with the "
        "count, or name the first broken record and exit with status 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_chain_verify()
        if not check.ok:
            raise CommandError(
                f"Audit chain broken at record {check.broken_id}: {check.problem}. "
                f"{check.count} records before it verified."
            )
        self.stdout.write(f"OK: {check.count} audit records, every hash and link verified.")
