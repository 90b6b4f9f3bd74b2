"""Cut the pre-subset certificate fonts from the system's Noto CJK faces."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates import fonts


class Command(BaseCommand):
    help = (
        "Write the pre-subset Noto Serif CJK SC faces certificates are rendered with "
        "into CERTIFICATE_FONT_DIR, cut from the installed fonts-noto-cjk. Quick when they "
        "are up to date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild every face.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Build nothing; exit with status 1 when a face is missing or stale.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        font_dir = settings.CERTIFICATE_FONT_DIR
        if options["check"]:
            stale = fonts.stale_faces(font_dir)
            if stale:
                names = ", ".join(face.filename for face in stale)
                raise CommandError(f"Missing or stale in {font_dir}: {names}")
            self.stdout.write(f"Certificate fonts in {font_dir} are up to date.")
            return
        started = time.monotonic()
        try:
            built = fonts.build_subsets(font_dir, force=options["force"])
        except (FileNotFoundError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        if not built:
            self.stdout.write(f"Certificate fonts in {font_dir} are up to date.")
            return
        self.stdout.write(
            f"Wrote {', '.join(face.filename for face in built)} to {font_dir} "
            f"in {time.monotonic() - started:.0f} s."
        )
