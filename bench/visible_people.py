"""Benchmark: the access scope ``org.selectors.visible_people`` at province scale.

What an HR officer's people list does on every request (scope, count, first page) against
a province of ``--people`` civil servants on real PostgreSQL, compared with the naive way:
collect the subtree's unit ids by walking the tree one query per node, then ``IN (...)``.

    cd /work/main && .venv/bin/python bench/visible_people.py [--people N] [--repeat N]

Creates the database ``lms_bench_scope`` on 127.0.0.1:5432 (user postgres, trust auth),
drops it again at the end, and prints one JSON object as its last stdout line
(docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pgdb  # bench/pgdb.py: the script's own folder is on sys.path

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from org.models import OrgUnit, Person

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = pgdb.SERVER_URL
DATABASE = "lms_bench_scope"

GOAL_MS = 100.0
GOAL = "p95 <= 100 ms for a city HR officer's count + first page at 300,000 people"
PAGE_SIZE = 50
BATCH_SIZE = 5_000
WARM_UP_RUNS = 3

# The shape of a province: 11 cities of 8 counties each; departments at every level of
# government, each with 2 or 3 sections (units).
CITIES = 11
COUNTIES_PER_CITY = 8
PROVINCIAL_DEPARTMENTS = 40
DEPARTMENTS_PER_REGION = 5
SURNAMES = "王陈张李吴徐周林金朱胡杨黄叶何沈郑刘方潘"
GIVEN_NAMES = "伟强军明华平涛斌峰辉芳娜敏静丽燕玲婷雪慧"
RANKS = ("clerk_1", "clerk_2", "principal_clerk_4", "principal_clerk_3", "researcher_4")


def log(message: str) -> None:
    # stdout is kept for the JSON line alone, so a caller can take the last line as is.
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300_000, help="civil servants to load")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per measurement")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the city officer's queries (also done when the goal fails)",
    )
    args = parser.parse_args()
    if args.people < 1000 or args.repeat < 1:
        parser.error("--people must be at least 1000 and --repeat at least 1")
    return args


def configure_environment() -> None:
    """Point the project's settings at the benchmark database; must run before Django loads."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    # DEBUG only lets settings start without a SECRET_KEY; timings run with it off (below).
    os.environ["DEBUG"] = "true"
    os.environ["DOTENV_FILE"] = ""
    os.environ["DATABASE_URL"] = f"{SERVER_URL}/{DATABASE}"
    sys.path.insert(0, str(ROOT))


def database_create() -> None:
    pgdb.database_create(DATABASE)


def database_drop() -> None:
    pgdb.database_drop(DATABASE)


@dataclass
class Province:
    root: OrgUnit
    city: OrgUnit
    county: OrgUnit
    # Departments and units: the nodes people work in.
    workplaces: list[OrgUnit] = field(default_factory=list)


def province_build(rng: random.Random) -> Province:
    """The tree, through the service, so every node gets the path treebeard would give it."""
    from org.models import OrgUnitKind
    from org.services import org_unit_create

    workplaces: list[OrgUnit] = []

    def departments(region: OrgUnit, count: int, label: str) -> None:
        for number in range(1, count + 1):
            department = org_unit_create(
                parent=region,
                name=f"{label}第{number}局",
                kind=OrgUnitKind.DEPARTMENT,
                division_code=region.division_code,
                code=f"{region.division_code}-d{number:02d}",
            )
            workplaces.append(department)
            for section in range(1, rng.choice((2, 3)) + 1):
                workplaces.append(
                    org_unit_create(
                        parent=department,
                        name=f"第{section}科",
                        kind=OrgUnitKind.UNIT,
                        division_code=region.division_code,
                        code=f"{department.code}-u{section:02d}",
                    )
                )

    root = org_unit_create(
        parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE, division_code="330000", code="zj"
    )
    departments(root, PROVINCIAL_DEPARTMENTS, "省")
    cities: list[OrgUnit] = []
    counties: list[OrgUnit] = []
    for city_number in range(1, CITIES + 1):
        city_code = f"33{city_number:02d}00"
        city = org_unit_create(
            parent=root,
            name=f"第{city_number}市",
            kind=OrgUnitKind.CITY,
            division_code=city_code,
            code=city_code,
        )
        cities.append(city)
        departments(city, DEPARTMENTS_PER_REGION, city.name)
        for county_number in range(1, COUNTIES_PER_CITY + 1):
            county_code = f"{city_code[:4]}{county_number:02d}"
            county = org_unit_create(
                parent=city,
                name=f"{city.name}第{county_number}县",
                kind=OrgUnitKind.COUNTY,
                division_code=county_code,
                code=county_code,
            )
            counties.append(county)
            departments(county, DEPARTMENTS_PER_REGION, county.name)
    # A city and a county from the middle of the province: in employee-number order (which
    # follows the division code) their people sit neither first nor last.
    city = cities[len(cities) // 2]
    county = next(c for c in counties if c.path.startswith(city.path))
    return Province(root=root, city=city, county=county, workplaces=workplaces)


class EmployeeNumbers:
    """ZJ + division code + a running number, as the roster does (6 digits here, not 4:
    a provincial region holds more than 9,999 people at this scale)."""

    def __init__(self) -> None:
        self.issued: Counter[str] = Counter()

    def next(self, division_code: str) -> str:
        self.issued[division_code] += 1
        return f"ZJ{division_code}{self.issued[division_code]:06d}"


def people_load(
    province: Province, count: int, rng: random.Random, numbers: EmployeeNumbers
) -> None:
    """Insert ``count`` people spread evenly over the departments and units."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction

    from org.models import Person

    # Benchmark setup only: person_create validates and hashes per row, which would take
    # far longer than the benchmark itself at 300,000 people. The rows written here are the
    # ones the service writes (one login with an unusable password per person).
    unusable_password = make_password(None)
    for start in range(0, count, BATCH_SIZE):
        units = [rng.choice(province.workplaces) for _ in range(min(BATCH_SIZE, count - start))]
        employee_numbers = [numbers.next(unit.division_code) for unit in units]
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(username=number.lower(), password=unusable_password)
                for number in employee_numbers
            )
            Person.objects.bulk_create(
                Person(
                    user=user,
                    real_name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
                    employee_number=number,
                    org_unit=unit,
                    rank=rng.choice(RANKS),
                    position="科员",
                )
                for user, number, unit in zip(users, employee_numbers, units, strict=True)
            )


@dataclass
class Officers:
    county: User
    city: User
    admin: User


def officers_create(province: Province, numbers: EmployeeNumbers) -> Officers:
    """Three accounts through the services, as an administrator would make them."""
    from django.contrib.auth.models import User

    from org.models import Role
    from org.services import person_create, role_grant

    def officer(unit: OrgUnit, name: str, role: str, scope: OrgUnit | None) -> User:
        workplace = unit.get_children().first() or unit
        number = numbers.next(workplace.division_code)
        person = person_create(
            username=number.lower(), real_name=name, employee_number=number, org_unit=workplace
        )
        role_grant(person=person, role=role, org_unit=scope)
        # Reloaded: role_grant changed the login's flags on its own copy.
        return User.objects.get(pk=person.user_id)

    return Officers(
        county=officer(province.county, "县人事", Role.HR_OFFICER, province.county),
        city=officer(province.city, "市人事", Role.HR_OFFICER, province.city),
        admin=officer(province.root, "管理员", Role.PLATFORM_ADMIN, None),
    )


ListPage = tuple[int, list["Person"]]


def scoped_list_page(user: User) -> ListPage:
    """What an HR people list does per request: scope, count, first page."""
    from org.selectors import visible_people

    people = visible_people(user)
    return people.count(), list(people[:PAGE_SIZE])


def naive_list_page(user: User) -> ListPage:
    """The common alternative: walk the subtree in Python, one query per node, then IN."""
    from org.models import OrgUnit, Person, Role

    unit_ids: list[int] = []

    def walk(unit: OrgUnit) -> None:
        unit_ids.append(unit.pk)
        for child in unit.get_children():
            walk(child)

    for root in OrgUnit.objects.filter(
        role_assignments__person__user_id=user.pk, role_assignments__role=Role.HR_OFFICER
    ):
        walk(root)
    people = (
        Person.objects.select_related("org_unit", "user")
        .filter(org_unit_id__in=unit_ids)
        .order_by("org_unit__path", "employee_number")  # the same order as the selector's
    )
    return people.count(), list(people[:PAGE_SIZE])


def percentile(samples: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float


def measure(label: str, work: Callable[[], Any], repeat: int) -> Timing:
    for _ in range(WARM_UP_RUNS):
        work()
    samples: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    timing = Timing(p50=percentile(samples, 0.5), p95=percentile(samples, 0.95))
    log(
        f"  {label:<28} p50 {timing.p50:8.2f} ms   p95 {timing.p95:8.2f} ms   "
        f"(min {min(samples):.2f}, max {max(samples):.2f}, n={repeat})"
    )
    return timing


def explain(user: User) -> None:
    """The plans PostgreSQL picks for each query of one scoped list page, as it ran them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        scoped_list_page(user)
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
            log(f"  {query['sql']}\n{plan}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from org.models import OrgUnit, Person

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")

    rng = random.Random(1)
    numbers = EmployeeNumbers()
    step = time.perf_counter()
    province = province_build(rng)
    log(
        f"tree: {OrgUnit.objects.count()} units built through org_unit_create in "
        f"{time.perf_counter() - step:.1f} s"
    )
    step = time.perf_counter()
    people_load(province, args.people, rng, numbers)
    officers = officers_create(province, numbers)
    log(f"people: {Person.objects.count()} loaded in {time.perf_counter() - step:.1f} s")

    step = time.perf_counter()
    # VACUUM as well as ANALYZE: autovacuum would otherwise visit the freshly loaded tables
    # in the middle of the timings, and a settled production table has been vacuumed.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE in {time.perf_counter() - step:.1f} s")

    # Both ways must answer the same question before their speed is compared.
    for user in (officers.county, officers.city):
        ours, naive = scoped_list_page(user), naive_list_page(user)
        if (ours[0], [p.pk for p in ours[1]]) != (naive[0], [p.pk for p in naive[1]]):
            raise AssertionError(f"scoped and naive lists differ for {user.username}")
    county_size = scoped_list_page(officers.county)[0]
    city_size = scoped_list_page(officers.city)[0]
    log(
        f"scopes: county {province.county.name} ({county_size} people), "
        f"city {province.city.name} ({city_size} people)"
    )

    log(f"timing {WARM_UP_RUNS} warm-up + {args.repeat} runs each: scope + count + first page")
    county = measure(
        "visible_people, county", lambda: scoped_list_page(officers.county), args.repeat
    )
    city = measure("visible_people, city", lambda: scoped_list_page(officers.city), args.repeat)
    county_naive = measure(
        "naive walk, county", lambda: naive_list_page(officers.county), args.repeat
    )
    city_naive = measure("naive walk, city", lambda: naive_list_page(officers.city), args.repeat)
    # Not part of the goal: the whole province, for reference.
    measure("visible_people, admin", lambda: scoped_list_page(officers.admin), args.repeat)

    ok = city.p95 <= GOAL_MS
    if args.explain or not ok:
        explain(officers.city)
    return {
        "bench": "visible_people",
        "metric": "city_officer_list_p95_ms",
        "value": round(city.p95, 2),
        "baseline": round(city_naive.p95, 2),
        "ratio": round(city.p95 / city_naive.p95, 2),
        "goal": GOAL,
        "ok": ok,
        "people": args.people,
        "county_p95_ms": round(county.p95, 2),
        "county_baseline_p95_ms": round(county_naive.p95, 2),
    }


def main() -> None:
    args = parse_args()
    configure_environment()
    started = time.perf_counter()
    database_create()
    try:
        import django
        from django.test.utils import override_settings

        django.setup()
        # Production runs with DEBUG off; with it on, Django would keep every query's SQL,
        # a per-query cost that falls hardest on the naive walk (and memory during the load).
        with override_settings(DEBUG=False):
            result = run(args)
    finally:
        database_drop()
    log(f"total {time.perf_counter() - started:.1f} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
