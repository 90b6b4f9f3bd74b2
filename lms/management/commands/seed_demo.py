"""Build the demo from the files under demo/: Zhejiang's organisation, people and accounts,
then courses with their exams and a plan."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from certificates import demo as certificates_demo
from certificates.models import Certificate
from courses import demo as courses_demo
from courses import demo_history as courses_demo_history
from courses.models import (
    CoursePage,
    CreditRecord,
    CreditTarget,
    Enrolment,
    LessonPage,
    TrainingPlan,
)
from demo import loader
from exams import demo as exams_demo
from exams.models import Attempt, Exam, Question
from org import demo as org_demo
from org.models import Person

# The plan course the demo learner has started (two lessons done, the third half studied).
STARTED_COURSE = "e-government-introduction"


class Command(BaseCommand):
    help = (
        "Build demo data for Zhejiang province from the files under demo/ (docs/demo.md): the "
        "organisation tree, about 300 people, the demo accounts learner, trainer, hr and admin, "
        "the courses with their question banks and exams, this year's training plan, and a "
        "few finished courses with their certificates, and last year and this year so far "
        "(credits, completions, overdue training). Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only read and check the demo files; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            # Every file is read and checked before anything is written.
            data = loader.load()
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["check"]:
            self.stdout.write(
                f"The demo files are valid: {len(data.catalogue.courses)} courses, "
                f"{sum(len(bank) for bank in data.exams.banks.values())} questions, "
                f"{len(data.org.accounts)} demo accounts, a history of "
                f"{len(data.history.plans)} more plans and "
                f"{len(data.history.offline)} offline trainings."
            )
            return
        before = _counts()
        try:
            with transaction.atomic():
                units = org_demo.seed(org=data.org)
                accounts = {
                    a.username: Person.objects.get(employee_number=a.employee_number)
                    for a in data.org.accounts
                }
                courses_demo.seed(
                    catalogue=data.catalogue,
                    trainer=accounts.get("trainer"),
                    province=units[data.org.tree.province.code],
                    planner=accounts.get("admin"),
                )
                exams_demo.seed(exams=data.exams, courses=data.catalogue.courses)
                hangzhou = units["330100"]
                certificates_demo.seed(
                    learner=accounts.get("learner"),
                    hr_scope_people=list(
                        Person.objects.filter(
                            is_active=True, org_unit__path__startswith=hangzhou.path
                        )
                        .exclude(employee_number__in=[a.employee_number for a in data.org.accounts])
                        .order_by("employee_number")[:8]
                    ),
                )
                # The demo learner is part way through a course of the plan, so that the home
                # page's 继续学习 has something to go on with.
                begun = CoursePage.objects.filter(slug=STARTED_COURSE).first()
                if begun is not None and accounts.get("learner") is not None:
                    courses_demo.study_for_demo(
                        person=accounts["learner"], course=begun, lessons_done=2
                    )
                # Last year and this year so far (demo/history.yaml), for the dashboards.
                history = courses_demo_history.seed(
                    history=data.history, catalogue=data.catalogue, org=data.org
                )
                exams_demo.seed_history_attempts(passes=history.exam_passes)
        except ValueError as error:
            raise CommandError(str(error)) from None
        after = _counts()
        if options["verbosity"] < 1:
            return
        for label, total in after.items():
            self.stdout.write(f"{label}: {total} ({total - before[label]} new)")
        self.stdout.write(
            "Demo accounts: " + ", ".join(account.username for account in data.org.accounts)
        )
        if after == before:
            self.stdout.write("Nothing changed: the demo data was already in place.")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))


def _counts() -> dict[str, int]:
    return {
        **org_demo.counts(),
        "Courses": CoursePage.objects.count(),
        "Lessons": LessonPage.objects.count(),
        "Training plans": TrainingPlan.objects.count(),
        "Exam attempts": Attempt.objects.count(),
        "Enrolments": Enrolment.objects.count(),
        "Credit targets": CreditTarget.objects.count(),
        "Credit records": CreditRecord.objects.count(),
        "Questions": Question.objects.count(),
        "Exams": Exam.objects.count(),
        "Certificates": Certificate.objects.count(),
    }
