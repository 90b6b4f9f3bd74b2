#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that start the portal or write to its database check their services first, so
# an unreachable DATABASE_URL or broker is one sentence instead of a traceback.
NEEDS_DATABASE = {"runserver", "migrate", "seed_demo", "createsuperuser", "shell", "dbshell"}
NEEDS_BROKER = {"runserver"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    from django.core.management import execute_from_command_line

    command = sys.argv[1] if len(sys.argv) > 1 else ""
    # runserver's autoreloader runs this file twice; the child (RUN_MAIN) need not re-check.
    if command in NEEDS_DATABASE and os.environ.get("RUN_MAIN") != "true":
        import django

        django.setup()
        from lms.config import ConfigError
        from lms.preflight import broker_problem, database_problem

        problem = database_problem() or (broker_problem() if command in NEEDS_BROKER else None)
        if problem:
            raise ConfigError(problem)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
