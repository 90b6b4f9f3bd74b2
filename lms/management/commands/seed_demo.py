"""Build the demo: Zhejiang's organisation, people and accounts, then courses and a plan."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from certificates import demo as certificates_demo
from certificates.models import Certificate
from courses import demo as courses_demo
from courses.models import CoursePage, CreditTarget, Enrolment, LessonPage, TrainingPlan
from exams import demo as exams_demo
from exams.models import Exam, Question
from org import demo as org_demo
from org.demo_data import DEMO_ACCOUNTS, PROVINCE_CODE
from org.models import Person


class Command(BaseCommand):
    help = (
        "Build demo data for Zhejiang province: the organisation tree, about 300 people, the "
        "demo accounts learner, trainer, hr and admin, six courses with their question banks "
        "and exams, this year's training plan, and a few finished courses with their "
        "certificates. Running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        before = _counts()
        try:
            with transaction.atomic():
                units = org_demo.seed()
                accounts = {
                    a.username: Person.objects.get(employee_number=a.employee_number)
                    for a in DEMO_ACCOUNTS
                }
                courses_demo.seed(
                    trainer=accounts.get("trainer"),
                    province=units[PROVINCE_CODE],
                    planner=accounts.get("admin"),
                )
                exams_demo.seed()
                hangzhou = units["330100"]
                certificates_demo.seed(
                    learner=accounts.get("learner"),
                    hr_scope_people=list(
                        Person.objects.filter(
                            is_active=True, org_unit__path__startswith=hangzhou.path
                        )
                        .exclude(employee_number__in=[a.employee_number for a in DEMO_ACCOUNTS])
                        .order_by("employee_number")[:8]
                    ),
                )
        except ValueError as error:
            raise CommandError(str(error)) from None
        after = _counts()
        if options["verbosity"] < 1:
            return
        for label, total in after.items():
            self.stdout.write(f"{label}: {total} ({total - before[label]} new)")
        self.stdout.write(
            "Demo accounts: " + ", ".join(account.username for account in DEMO_ACCOUNTS)
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
        "Enrolments": Enrolment.objects.count(),
        "Credit targets": CreditTarget.objects.count(),
        "Questions": Question.objects.count(),
        "Exams": Exam.objects.count(),
        "Certificates": Certificate.objects.count(),
    }
