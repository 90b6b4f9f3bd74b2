"""manage.py generate_province: a province at scale for the dashboards benchmark."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards import province_data


class Command(BaseCommand):
    help = (
        "Fill an empty, migrated database with a province at scale (docs/benchmarks.md, "
        "dashboards): the organisation tree, people with logins, courses, credit targets, "
        "training plans, enrolments, exam attempts, certificates and the credit-hour ledger "
        "over the last --years credit years, plus the accounts bench_province (HR officer of "
        "the province), bench_county (HR officer of one county) and bench_learner. Refuses a "
        "database that holds people, units or courses. Deterministic for a --seed and --today. "
        "Big tables are committed in batches: after a failure, start from a fresh database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sizes = province_data.Sizes()
        parser.add_argument("--people", type=int, default=sizes.people)
        parser.add_argument("--units", type=int, default=sizes.units, help="organisation units")
        parser.add_argument("--enrolments", type=int, default=sizes.enrolments)
        parser.add_argument(
            "--credits", type=int, default=sizes.credits, help="credit-hour ledger records"
        )
        parser.add_argument(
            "--courses", type=int, default=sizes.courses, help="course pages (Wagtail)"
        )
        parser.add_argument("--seed", type=int, default=sizes.seed)
        parser.add_argument("--years", type=int, default=sizes.years, help="credit years, 1 to 3")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="the last day of the data, YYYY-MM-DD (default: today in Asia/Shanghai); "
            "every generated moment lies before it",
        )
        parser.add_argument(
            "--password",
            default="bench-password-123",
            help="password of bench_province, bench_county and bench_learner",
        )
        parser.add_argument(
            "--json", action="store_true", help="print the summary as one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = province_data.Sizes(
            people=options["people"],
            units=options["units"],
            enrolments=options["enrolments"],
            credits=options["credits"],
            courses=options["courses"],
            seed=options["seed"],
            years=options["years"],
            today=options["today"],
        )
        province_data.log(
            f"generate_province: {sizes.people} people, {sizes.units} units, "
            f"{sizes.enrolments} enrolments, {sizes.credits} credit records, seed {sizes.seed}"
        )
        try:
            summary = province_data.generate(sizes, password=options["password"])
        except province_data.Refused as refusal:
            raise CommandError(str(refusal)) from None
        except ValidationError as error:  # the accounts' password, mostly: say which rule
            raise CommandError(f"Could not create the accounts: {error}") from None
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        for name, count in summary["counts"].items():
            self.stdout.write(f"{name:<28} {count:>10}")
        self.stdout.write(f"seconds: {summary['seconds']}")
        self.stdout.write(
            f"credit years {summary['years']}, data until {summary['today']}, "
            f"seed {summary['seed']}"
        )
        for account in summary["accounts"]:
            scope = (
                f" over {account['scope_unit']} (unit {account['scope_unit_id']})"
                if account["scope_unit_id"]
                else ""
            )
            self.stdout.write(
                f"account {account['username']}: {account['role']}{scope}, "
                f"works in {account['person_unit']}; password as given by --password"
            )
        self.stdout.write(
            f"drill-down city: {summary['drill_down_city']} (unit {summary['drill_down_city_id']})"
        )
