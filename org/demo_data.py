"""The shapes of the Zhejiang demo organisation and the pure functions that expand them.

The data itself (the tree, the name pools and rank tables, the demo accounts) lives in
``demo/org/*.yaml`` and is read by ``demo.loader``; here it becomes plans of units and
people, which ``org.demo.seed`` writes through the services. Unit codes come from each
entry's position in its list, so new entries go at the end: reordering renames codes.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from org.models import OrgUnitKind, Rank, Role

# The seed of the people generator; two runs (and two machines) get the same people.
SEED = 20261128
# The generated people plus the four demo accounts make 300.
GENERATED_PEOPLE = 296

# A region's tier decides how senior the people in its departments are.
Tier = Literal["province", "major_city", "city", "county"]
TIERS: tuple[Tier, ...] = ("province", "major_city", "city", "county")


@dataclass(frozen=True)
class Department:
    # In the city and county templates, {city}, {county} and {data_bureau} stand for the
    # region's names.
    name: str
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class County:
    division_code: str
    name: str
    # Only some counties get departments (and so people); the rest are regions on the map.
    staffed: bool = False


@dataclass(frozen=True)
class City:
    division_code: str
    name: str
    counties: tuple[County, ...]
    # Hangzhou and Ningbo are sub-provincial cities: 办公厅 and 处 instead of 办公室 and 科.
    major: bool = False
    data_bureau: str = "大数据发展管理局"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    division_code: str
    departments: tuple[Department, ...]


@dataclass(frozen=True)
class OrgTree:
    province: Province
    cities: tuple[City, ...]
    major_city_departments: tuple[Department, ...]
    city_departments: tuple[Department, ...]
    county_departments: tuple[Department, ...]
    # Departments only some counties have, by the county's division code.
    extra_county_departments: dict[str, tuple[Department, ...]]


@dataclass(frozen=True)
class PeopleTables:
    """What the people generator draws from."""

    surnames: tuple[tuple[str, float], ...]
    # (first characters, second characters) for men and for women.
    given_names: tuple[tuple[str, str], ...]
    department_head_ranks: dict[Tier, tuple[Rank, ...]]
    department_deputy_ranks: dict[Tier, tuple[Rank, ...]]
    section_head_ranks: dict[Tier, tuple[Rank, ...]]
    section_deputy_ranks: dict[Tier, tuple[Rank, ...]]
    staff_ranks: dict[Tier, tuple[tuple[Rank, float], ...]]
    staff_weights: dict[Tier, float]
    # (how a unit's name ends, the title of whoever is in charge of it), first match wins.
    chief_titles: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    real_name: str
    employee_number: str
    unit_code: str
    rank: Rank
    position: str
    role: Role | None = None
    # The unit whose subtree an HR officer looks after.
    scope_code: str | None = None


@dataclass(frozen=True)
class OrgData:
    tree: OrgTree
    people: PeopleTables
    accounts: tuple[DemoAccount, ...]


@dataclass(frozen=True)
class OrgUnitPlan:
    code: str
    parent_code: str | None
    name: str
    kind: OrgUnitKind
    division_code: str


@dataclass(frozen=True)
class PersonPlan:
    employee_number: str
    username: str
    real_name: str
    unit_code: str
    rank: Rank
    position: str


@dataclass(frozen=True)
class _Seat:
    """A place people work: a section, or a department (its leadership, or all of it)."""

    code: str
    name: str
    division_code: str
    tier: Tier
    # A department with sections seats only its deputy head ("leadership"); its staff sit
    # in the sections. A department without sections seats everyone.
    role: Literal["leadership", "department", "section"]


def chief_title(tables: PeopleTables, unit_name: str) -> str:
    """厅长, 处长, 主任 …: the title of whoever is in charge of a unit with this name."""
    for ending, title in tables.chief_titles:
        if unit_name.endswith(ending):
            return title
    raise ValueError(f"No title known for the head of {unit_name!r}.")


def staff_position(rank: Rank) -> str:
    if rank in (Rank.LEVEL_1_CLERK, Rank.LEVEL_2_CLERK):
        return "科员"
    if rank.value.startswith("principal_clerk"):
        return "主任科员"
    return "调研员"


def city_departments(tree: OrgTree, city: City) -> tuple[Department, ...]:
    templates = tree.major_city_departments if city.major else tree.city_departments
    return tuple(
        Department(t.name.format(city=city.name, data_bureau=city.data_bureau), t.units)
        for t in templates
    )


def county_departments(tree: OrgTree, county: County) -> tuple[Department, ...]:
    if not county.staffed:
        return ()
    plain = tuple(
        Department(t.name.format(county=county.name), t.units) for t in tree.county_departments
    )
    return plain + tree.extra_county_departments.get(county.division_code, ())


def _department_plans(
    region_code: str, division_code: str, departments: tuple[Department, ...], tier: Tier
) -> tuple[list[OrgUnitPlan], list[_Seat]]:
    units: list[OrgUnitPlan] = []
    seats: list[_Seat] = []
    for number, department in enumerate(departments, start=1):
        code = f"{division_code}-d{number:02d}"
        units.append(
            OrgUnitPlan(code, region_code, department.name, OrgUnitKind.DEPARTMENT, division_code)
        )
        role: Literal["leadership", "department"] = (
            "leadership" if department.units else "department"
        )
        seats.append(_Seat(code, department.name, division_code, tier, role))
        for unit_number, unit_name in enumerate(department.units, start=1):
            unit_code = f"{code}-u{unit_number:02d}"
            units.append(OrgUnitPlan(unit_code, code, unit_name, OrgUnitKind.UNIT, division_code))
            seats.append(_Seat(unit_code, unit_name, division_code, tier, "section"))
    return units, seats


def _tree(tree: OrgTree) -> tuple[list[OrgUnitPlan], list[_Seat]]:
    province = tree.province
    units = [
        OrgUnitPlan(
            province.code, None, province.name, OrgUnitKind.PROVINCE, province.division_code
        )
    ]
    department_units, seats = _department_plans(
        province.code, province.division_code, province.departments, "province"
    )
    units += department_units
    for city in tree.cities:
        units.append(
            OrgUnitPlan(
                city.division_code, province.code, city.name, OrgUnitKind.CITY, city.division_code
            )
        )
        city_units, city_seats = _department_plans(
            city.division_code,
            city.division_code,
            city_departments(tree, city),
            "major_city" if city.major else "city",
        )
        units += city_units
        seats += city_seats
        for county in city.counties:
            units.append(
                OrgUnitPlan(
                    county.division_code,
                    city.division_code,
                    county.name,
                    OrgUnitKind.COUNTY,
                    county.division_code,
                )
            )
            county_units, county_seats = _department_plans(
                county.division_code,
                county.division_code,
                county_departments(tree, county),
                "county",
            )
            units += county_units
            seats += county_seats
    return units, seats


def org_unit_plan(org: OrgData) -> list[OrgUnitPlan]:
    """Every unit of the demo tree, each parent before its children."""
    return _tree(org.tree)[0]


def people_plan(org: OrgData, seed: int = SEED) -> list[PersonPlan]:
    """The generated people (demo accounts excluded): the same list for the same seed."""
    rng = random.Random(seed)
    tables = org.people
    seats = _tree(org.tree)[1]
    # Every seat gets its head; the remaining people join sections at random, larger
    # sections where government is bigger, so headcounts vary the way real ones do.
    sizes = Counter({seat.code: 1 for seat in seats})
    staffable = [seat for seat in seats if seat.role != "leadership"]
    extra = GENERATED_PEOPLE - len(seats)
    if extra < 0:
        raise ValueError(f"{len(seats)} seats cannot be filled by {GENERATED_PEOPLE} people.")
    weights = [tables.staff_weights[seat.tier] * rng.uniform(0.5, 1.5) for seat in staffable]
    sizes.update(seat.code for seat in rng.choices(staffable, weights, k=extra))

    reserved = {account.employee_number for account in org.accounts}
    taken_names = {account.real_name for account in org.accounts}
    sequences: Counter[str] = Counter()
    people: list[PersonPlan] = []
    for seat in seats:
        for place in range(sizes[seat.code]):
            rank, position = _post(rng, tables, seat, place, sizes[seat.code])
            while True:
                sequences[seat.division_code] += 1
                number = f"ZJ{seat.division_code}{sequences[seat.division_code]:04d}"
                if number not in reserved:
                    break
            real_name = _unique_name(rng, tables, taken_names)
            people.append(PersonPlan(number, number.lower(), real_name, seat.code, rank, position))
    return people


def _post(
    rng: random.Random, tables: PeopleTables, seat: _Seat, place: int, size: int
) -> tuple[Rank, str]:
    """Rank and position of the ``place``-th person of a seat of ``size`` people."""
    title = chief_title(tables, seat.name)
    if seat.role == "leadership":
        return rng.choice(tables.department_deputy_ranks[seat.tier]), f"副{title}"
    if seat.role == "department":
        heads, deputies = tables.department_head_ranks, tables.department_deputy_ranks
        prefix = ""
    else:
        # A section's head is known by the section (人事处处长); a bureau's head is 局长.
        heads, deputies = tables.section_head_ranks, tables.section_deputy_ranks
        prefix = seat.name
    if place == 0:
        return rng.choice(heads[seat.tier]), f"{prefix}{title}"
    if place == 1 and size >= 3:
        return rng.choice(deputies[seat.tier]), f"{prefix}副{title}"
    ranks, weights = zip(*tables.staff_ranks[seat.tier], strict=True)
    rank = rng.choices(ranks, weights)[0]
    return rank, staff_position(rank)


def _unique_name(rng: random.Random, tables: PeopleTables, taken: set[str]) -> str:
    """A two- or three-character name nobody in ``taken`` has; adds it to ``taken``."""
    surnames, weights = zip(*tables.surnames, strict=True)
    while True:
        surname = rng.choices(surnames, weights)[0]
        first, second = rng.choice(tables.given_names)
        given = rng.choice(second)
        if rng.random() < 0.75:
            given = rng.choice(first) + given
        name = surname + given
        if name not in taken and len(set(name)) == len(name):
            taken.add(name)
            return name
