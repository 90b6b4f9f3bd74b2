"""Recompute the training statistics now (what beat does every few minutes)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboards import refresh


class Command(BaseCommand):
    help = (
        "Recompute the training statistics (培训统计) of every year with data from the raw "
        "rows and store what changed; with --verify, report the rows that differed (the "
        "nightly check)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Log every difference from the stored figures as a warning (and repair it).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        records = refresh.refresh_due(verification=options["verify"])
        for record in records:
            self.stdout.write(
                f"{record.year} {record.basis}: {record.changed} rows written in "
                f"{record.seconds:.1f} s"
            )
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
