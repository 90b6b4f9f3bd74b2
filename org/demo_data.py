"""Demo data for Zhejiang province: the organisation tree, names, positions and demo accounts.

Everything here is plain data plus pure functions that expand it into plans; the
``seed_demo`` command writes the plans through the services. Unit codes come from each
entry's position in its tuple, so append new entries at the end: reordering renames codes.
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


@dataclass(frozen=True)
class Department:
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


PROVINCE_NAME = "浙江省"
PROVINCE_DIVISION_CODE = "330000"
PROVINCE_CODE = "zj"

PROVINCIAL_DEPARTMENTS: tuple[Department, ...] = (
    Department("浙江省人民政府办公厅", ("秘书一处", "综合一处", "人事处")),
    Department("浙江省发展和改革委员会", ("办公室", "发展规划处", "人事处")),
    Department("浙江省经济和信息化厅", ("办公室", "软件与信息服务业处", "人事教育处")),
    Department("浙江省教育厅", ("办公室", "人事处", "教师工作处")),
    Department("浙江省公安厅", ("办公室", "政治部", "科技信息化局")),
    Department("浙江省财政厅", ("办公室", "预算处", "人事教育处")),
    Department(
        "浙江省人力资源和社会保障厅",
        ("办公室", "干部教育培训处", "专业技术人员管理处", "信息中心"),
    ),
    Department("浙江省自然资源厅", ("办公室", "人事处", "信息中心")),
    Department("浙江省交通运输厅", ("办公室", "综合规划处", "人事处")),
    Department("浙江省卫生健康委员会", ("办公室", "医政医管处", "人事处")),
    Department("浙江省市场监督管理局", ("办公室", "法规处", "信用监督管理处")),
    Department("浙江省数据局", ("办公室", "数据资源处", "信息中心")),
    Department("浙江省生态环境厅", ("办公室", "法规与标准处")),
    Department("浙江省司法厅", ("办公室", "法治督察处")),
    Department("浙江省统计局", ("办公室", "综合处")),
)

# GB/T 2260 codes (a sample of each city's counties). Each city's first county is staffed.
CITIES: tuple[City, ...] = (
    City(
        "330100",
        "杭州市",
        (
            County("330102", "上城区", staffed=True),
            County("330105", "拱墅区", staffed=True),
            County("330106", "西湖区", staffed=True),
            County("330108", "滨江区", staffed=True),
            County("330109", "萧山区", staffed=True),
        ),
        major=True,
        data_bureau="数据资源管理局",
    ),
    City(
        "330200",
        "宁波市",
        (
            County("330203", "海曙区", staffed=True),
            County("330206", "北仑区"),
            County("330212", "鄞州区"),
            County("330282", "慈溪市"),
        ),
        major=True,
    ),
    City(
        "330300",
        "温州市",
        (
            County("330302", "鹿城区", staffed=True),
            County("330381", "瑞安市"),
            County("330382", "乐清市"),
        ),
    ),
    City(
        "330400",
        "嘉兴市",
        (County("330402", "南湖区", staffed=True), County("330481", "海宁市")),
    ),
    City(
        "330500",
        "湖州市",
        (
            County("330502", "吴兴区", staffed=True),
            County("330521", "德清县"),
            County("330523", "安吉县"),
        ),
    ),
    City(
        "330600",
        "绍兴市",
        (
            County("330602", "越城区", staffed=True),
            County("330603", "柯桥区"),
            County("330681", "诸暨市"),
        ),
    ),
    City(
        "330700",
        "金华市",
        (
            County("330702", "婺城区", staffed=True),
            County("330782", "义乌市"),
            County("330783", "东阳市"),
        ),
    ),
    City(
        "330800",
        "衢州市",
        (County("330802", "柯城区", staffed=True), County("330881", "江山市")),
    ),
    City(
        "330900",
        "舟山市",
        (County("330902", "定海区", staffed=True), County("330903", "普陀区")),
    ),
    City(
        "331000",
        "台州市",
        (
            County("331002", "椒江区", staffed=True),
            County("331081", "温岭市"),
            County("331082", "临海市"),
        ),
    ),
    City(
        "331100",
        "丽水市",
        (County("331102", "莲都区", staffed=True), County("331181", "龙泉市")),
    ),
)

# Departments of a staffed county; county bureaus' own 股室 are left out, except in Xihu,
# where the learner demo account works.
COUNTY_DEPARTMENTS: tuple[str, ...] = ("人民政府办公室", "人力资源和社会保障局")
EXTRA_COUNTY_DEPARTMENTS: dict[str, tuple[Department, ...]] = {
    "330106": (Department("西湖区数据资源管理局", ("办公室", "信息化科", "数据资源科")),),
}

# Rough surname frequencies in Zhejiang (percent), for believability only.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.0), ("陈", 7.0), ("张", 5.0), ("李", 5.0), ("吴", 3.5), ("徐", 3.0),
    ("周", 3.0), ("林", 2.5), ("金", 2.3), ("朱", 2.2), ("胡", 2.2), ("杨", 2.0),
    ("黄", 2.0), ("叶", 1.8), ("何", 1.6), ("沈", 1.6), ("郑", 1.5), ("刘", 1.5),
    ("方", 1.4), ("潘", 1.3), ("孙", 1.0), ("许", 1.0), ("应", 1.0), ("蒋", 1.0),
    ("俞", 0.9), ("钱", 0.8), ("邵", 0.8), ("章", 0.8), ("汪", 0.8), ("姚", 0.7),
    ("戴", 0.6), ("施", 0.6), ("傅", 0.6), ("毛", 0.6), ("丁", 0.6), ("马", 0.6),
    ("楼", 0.5), ("钟", 0.5), ("范", 0.5), ("夏", 0.5), ("任", 0.5), ("鲍", 0.3),
)  # fmt: skip

# Given names: one character from the second list, or one from each list in order.
GIVEN_NAME_FIRST_MALE = "建志文晓海国永立俊家子宇浩明伟新振德天嘉成炳"
GIVEN_NAME_SECOND_MALE = "伟强军明华平涛斌峰辉杰锋龙鹏波刚勇超宇浩东林毅彬哲睿晨轩博诚亮"
GIVEN_NAME_FIRST_FEMALE = "晓丽秀雅佳静美慧婷雪梦欣文思雨诗海菁安若"
GIVEN_NAME_SECOND_FEMALE = "芳娜敏静丽燕玲婷雪慧琳颖倩洁萍红梅琴蓉怡悦璐瑶雯菲莉薇丹"

# Ranks by tier and post (公务员职务与职级并行: 副厅 ~ 巡视员, 正处 ~ 一二级调研员,
# 副处 ~ 三四级调研员, 正科 ~ 一二级主任科员, 副科 ~ 三四级主任科员).
DEPARTMENT_HEAD_RANKS: dict[Tier, tuple[Rank, ...]] = {
    "province": (Rank.LEVEL_1_INSPECTOR,),
    "major_city": (Rank.LEVEL_1_INSPECTOR, Rank.LEVEL_2_INSPECTOR),
    "city": (Rank.LEVEL_1_RESEARCHER, Rank.LEVEL_2_RESEARCHER),
    "county": (Rank.LEVEL_1_PRINCIPAL_CLERK, Rank.LEVEL_2_PRINCIPAL_CLERK),
}
DEPARTMENT_DEPUTY_RANKS: dict[Tier, tuple[Rank, ...]] = {
    "province": (Rank.LEVEL_1_INSPECTOR, Rank.LEVEL_2_INSPECTOR),
    "major_city": (Rank.LEVEL_2_INSPECTOR, Rank.LEVEL_1_RESEARCHER),
    "city": (Rank.LEVEL_3_RESEARCHER, Rank.LEVEL_4_RESEARCHER),
    "county": (Rank.LEVEL_3_PRINCIPAL_CLERK, Rank.LEVEL_4_PRINCIPAL_CLERK),
}
SECTION_HEAD_RANKS: dict[Tier, tuple[Rank, ...]] = {
    "province": (Rank.LEVEL_1_RESEARCHER, Rank.LEVEL_2_RESEARCHER),
    "major_city": (Rank.LEVEL_1_RESEARCHER, Rank.LEVEL_2_RESEARCHER),
    "city": (Rank.LEVEL_1_PRINCIPAL_CLERK, Rank.LEVEL_2_PRINCIPAL_CLERK),
    "county": (Rank.LEVEL_3_PRINCIPAL_CLERK, Rank.LEVEL_4_PRINCIPAL_CLERK),
}
SECTION_DEPUTY_RANKS: dict[Tier, tuple[Rank, ...]] = {
    "province": (Rank.LEVEL_3_RESEARCHER, Rank.LEVEL_4_RESEARCHER),
    "major_city": (Rank.LEVEL_3_RESEARCHER, Rank.LEVEL_4_RESEARCHER),
    "city": (Rank.LEVEL_3_PRINCIPAL_CLERK, Rank.LEVEL_4_PRINCIPAL_CLERK),
    "county": (Rank.LEVEL_4_PRINCIPAL_CLERK, Rank.LEVEL_1_CLERK),
}
_PROVINCIAL_STAFF_RANKS: tuple[tuple[Rank, int], ...] = (
    (Rank.LEVEL_1_PRINCIPAL_CLERK, 2),
    (Rank.LEVEL_2_PRINCIPAL_CLERK, 3),
    (Rank.LEVEL_3_PRINCIPAL_CLERK, 3),
    (Rank.LEVEL_4_PRINCIPAL_CLERK, 3),
    (Rank.LEVEL_1_CLERK, 3),
    (Rank.LEVEL_2_CLERK, 1),
)
STAFF_RANKS: dict[Tier, tuple[tuple[Rank, int], ...]] = {
    "province": _PROVINCIAL_STAFF_RANKS,
    "major_city": _PROVINCIAL_STAFF_RANKS,
    "city": (
        (Rank.LEVEL_2_PRINCIPAL_CLERK, 1),
        (Rank.LEVEL_3_PRINCIPAL_CLERK, 2),
        (Rank.LEVEL_4_PRINCIPAL_CLERK, 3),
        (Rank.LEVEL_1_CLERK, 4),
        (Rank.LEVEL_2_CLERK, 2),
    ),
    "county": (
        (Rank.LEVEL_3_PRINCIPAL_CLERK, 1),
        (Rank.LEVEL_4_PRINCIPAL_CLERK, 2),
        (Rank.LEVEL_1_CLERK, 4),
        (Rank.LEVEL_2_CLERK, 3),
    ),
}
# How many extra staff a seat draws, relative to others: provincial sections are bigger.
STAFF_WEIGHTS: dict[Tier, float] = {
    "province": 3.0,
    "major_city": 2.0,
    "city": 2.0,
    "county": 2.0,
}

# Title of the person in charge, by the ending of the unit's name; the deputy adds 副.
CHIEF_TITLES: tuple[tuple[str, str], ...] = (
    ("委员会", "主任"),
    ("办公厅", "主任"),
    ("办公室", "主任"),
    ("中心", "主任"),
    ("政治部", "主任"),
    ("厅", "厅长"),
    ("局", "局长"),
    ("处", "处长"),
    ("科", "科长"),
)


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


# README lists these credentials; each password passes the validators in lms/settings.py.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        username="learner",
        password="Xuexi@2026zj",
        real_name="张晓明",
        employee_number="ZJ3301060001",
        unit_code="330106-d03-u02",  # 西湖区数据资源管理局 > 信息化科
        rank=Rank.LEVEL_2_PRINCIPAL_CLERK,
        position="主任科员",
    ),
    DemoAccount(
        username="trainer",
        password="Peixun@2026zj",
        real_name="李文静",
        employee_number="ZJ3300000001",
        unit_code="330000-d07-u02",  # 浙江省人力资源和社会保障厅 > 干部教育培训处
        rank=Rank.LEVEL_4_RESEARCHER,
        position="调研员",
        role=Role.TRAINER,
    ),
    DemoAccount(
        username="hr",
        password="Renshi@2026zj",
        real_name="王建国",
        employee_number="ZJ3301000001",
        unit_code="330100-d02-u02",  # 杭州市人力资源和社会保障局 > 人事教育处
        rank=Rank.LEVEL_1_PRINCIPAL_CLERK,
        position="主任科员",
        role=Role.HR_OFFICER,
        scope_code="330100",  # 杭州市
    ),
    DemoAccount(
        username="admin",
        password="Guanli@2026zj",
        real_name="陈志远",
        employee_number="ZJ3300000002",
        unit_code="330000-d12-u03",  # 浙江省数据局 > 信息中心
        rank=Rank.LEVEL_1_PRINCIPAL_CLERK,
        position="主任科员",
        role=Role.PLATFORM_ADMIN,
    ),
)


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


def chief_title(unit_name: str) -> str:
    """厅长, 处长, 主任 …: the title of whoever is in charge of a unit with this name."""
    for ending, title in CHIEF_TITLES:
        if unit_name.endswith(ending):
            return title
    raise ValueError(f"No title known for the head of {unit_name!r}.")


def staff_position(rank: Rank) -> str:
    if rank in (Rank.LEVEL_1_CLERK, Rank.LEVEL_2_CLERK):
        return "科员"
    if rank.value.startswith("principal_clerk"):
        return "主任科员"
    return "调研员"


def city_departments(city: City) -> tuple[Department, ...]:
    if city.major:
        return (
            Department(f"{city.name}人民政府办公厅", ("秘书处", "综合处")),
            Department(f"{city.name}人力资源和社会保障局", ("办公室", "人事教育处")),
            Department(f"{city.name}{city.data_bureau}", ("办公室", "数据资源处")),
        )
    # Elsewhere only the HR bureau is split into sections: with about 300 people in all,
    # sections everywhere would leave most of them with a head and nobody else.
    return (
        Department(f"{city.name}人民政府办公室"),
        Department(f"{city.name}人力资源和社会保障局", ("办公室", "人事教育科")),
        Department(f"{city.name}{city.data_bureau}"),
    )


def county_departments(county: County) -> tuple[Department, ...]:
    if not county.staffed:
        return ()
    plain = tuple(Department(f"{county.name}{name}") for name in COUNTY_DEPARTMENTS)
    return plain + EXTRA_COUNTY_DEPARTMENTS.get(county.division_code, ())


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


def _tree() -> tuple[list[OrgUnitPlan], list[_Seat]]:
    units = [
        OrgUnitPlan(
            PROVINCE_CODE, None, PROVINCE_NAME, OrgUnitKind.PROVINCE, PROVINCE_DIVISION_CODE
        )
    ]
    department_units, seats = _department_plans(
        PROVINCE_CODE, PROVINCE_DIVISION_CODE, PROVINCIAL_DEPARTMENTS, "province"
    )
    units += department_units
    for city in CITIES:
        units.append(
            OrgUnitPlan(
                city.division_code, PROVINCE_CODE, city.name, OrgUnitKind.CITY, city.division_code
            )
        )
        city_units, city_seats = _department_plans(
            city.division_code,
            city.division_code,
            city_departments(city),
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
                county_departments(county),
                "county",
            )
            units += county_units
            seats += county_seats
    return units, seats


def org_unit_plan() -> list[OrgUnitPlan]:
    """Every unit of the demo tree, each parent before its children."""
    return _tree()[0]


def people_plan(seed: int = SEED) -> list[PersonPlan]:
    """The generated people (demo accounts excluded): the same list for the same seed."""
    rng = random.Random(seed)
    seats = _tree()[1]
    # Every seat gets its head; the remaining people join sections at random, larger
    # sections where government is bigger, so headcounts vary the way real ones do.
    sizes = Counter({seat.code: 1 for seat in seats})
    staffable = [seat for seat in seats if seat.role != "leadership"]
    extra = GENERATED_PEOPLE - len(seats)
    if extra < 0:
        raise ValueError(f"{len(seats)} seats cannot be filled by {GENERATED_PEOPLE} people.")
    weights = [STAFF_WEIGHTS[seat.tier] * rng.uniform(0.5, 1.5) for seat in staffable]
    sizes.update(seat.code for seat in rng.choices(staffable, weights, k=extra))

    reserved = {account.employee_number for account in DEMO_ACCOUNTS}
    taken_names = {account.real_name for account in DEMO_ACCOUNTS}
    sequences: Counter[str] = Counter()
    people: list[PersonPlan] = []
    for seat in seats:
        for place in range(sizes[seat.code]):
            rank, position = _post(rng, seat, place, sizes[seat.code])
            while True:
                sequences[seat.division_code] += 1
                number = f"ZJ{seat.division_code}{sequences[seat.division_code]:04d}"
                if number not in reserved:
                    break
            real_name = _unique_name(rng, taken_names)
            people.append(PersonPlan(number, number.lower(), real_name, seat.code, rank, position))
    return people


def _post(rng: random.Random, seat: _Seat, place: int, size: int) -> tuple[Rank, str]:
    """Rank and position of the ``place``-th person of a seat of ``size`` people."""
    title = chief_title(seat.name)
    if seat.role == "leadership":
        return rng.choice(DEPARTMENT_DEPUTY_RANKS[seat.tier]), f"副{title}"
    if seat.role == "department":
        heads, deputies = DEPARTMENT_HEAD_RANKS, DEPARTMENT_DEPUTY_RANKS
        prefix = ""
    else:
        # A section's head is known by the section (人事处处长); a bureau's head is 局长.
        heads, deputies = SECTION_HEAD_RANKS, SECTION_DEPUTY_RANKS
        prefix = seat.name
    if place == 0:
        return rng.choice(heads[seat.tier]), f"{prefix}{title}"
    if place == 1 and size >= 3:
        return rng.choice(deputies[seat.tier]), f"{prefix}副{title}"
    ranks, weights = zip(*STAFF_RANKS[seat.tier], strict=True)
    rank = rng.choices(ranks, weights)[0]
    return rank, staff_position(rank)


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    """A two- or three-character name nobody in ``taken`` has; adds it to ``taken``."""
    surnames, weights = zip(*SURNAMES, strict=True)
    while True:
        surname = rng.choices(surnames, weights)[0]
        first, second = rng.choice(
            (
                (GIVEN_NAME_FIRST_MALE, GIVEN_NAME_SECOND_MALE),
                (GIVEN_NAME_FIRST_FEMALE, GIVEN_NAME_SECOND_FEMALE),
            )
        )
        given = rng.choice(second)
        if rng.random() < 0.75:
            given = rng.choice(first) + given
        name = surname + given
        if name not in taken and len(set(name)) == len(name):
            taken.add(name)
            return name
