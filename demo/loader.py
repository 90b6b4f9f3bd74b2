"""The one reader of the demo data files: validates them and builds what ``seed_demo`` writes.

``load()`` reads ``demo/org/*.yaml`` (the tree, the people generator's tables, the demo
accounts) and ``demo/courses/`` (the catalogue, one folder per course with its lessons in
Markdown and its question bank), checks every field, and returns plain values. Bad data
raises ``DemoDataError`` naming the file, the line and the field, so a trainer who edits a
lesson learns where the mistake is before anything is written. The formats are described in
docs/demo.md.

YAML is read with every scalar as text (no YAML 1.1 surprises: ``no``, ``on``, ``2.10`` and
``330100`` stay what was typed) and each field is converted here, where its type is known.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.core.exceptions import ValidationError

from courses.demo import (
    Block,
    Catalogue,
    Checkpoint,
    Course,
    Heading,
    ItemList,
    Lesson,
    Plan,
    Text,
    Video,
)
from courses.demo_history import (
    YEAR_KEYS,
    History,
    HistoryPlan,
    HistoryTarget,
    OfflineTraining,
    Profile,
    Shares,
    YearTurn,
)
from exams.demo import DemoExams, Draw, ExamSettings
from exams.models import Difficulty, QuestionKind, ReviewPolicy
from exams.services import QuestionText, question_validate
from org.demo_data import (
    TIERS,
    City,
    County,
    DemoAccount,
    Department,
    OrgData,
    OrgTree,
    PeopleTables,
    Province,
    Tier,
    chief_title,
    org_unit_plan,
)
from org.models import OrgUnitKind, Rank, Role

DEMO_ROOT = Path(__file__).resolve().parent
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LESSON_FILE = re.compile(r"(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md")
DIVISION_CODE = re.compile(r"\d{6}")
# The limits of the lesson blocks (courses/blocks.py) and pages, checked here so that a
# lesson that loads also publishes.
TITLE_MAX = 255
HEADING_MAX = 120
QUESTION_MAX = 300
OPTION_MAX = 200
VIDEO_TITLE_MAX = 120
OPTIONS_MIN, OPTIONS_MAX = 2, 6

T = TypeVar("T")


class DemoDataError(ValueError):
    """A mistake in a demo data file, with where it is."""

    def __init__(self, path: Path, line: int | None, message: str, field: str = "") -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = _shown(path) + (f":{line}" if line else "")
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(DEMO_ROOT.parent))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class DemoData:
    org: OrgData
    catalogue: Catalogue
    exams: DemoExams
    history: History


def load(root: Path | None = None) -> DemoData:
    """Every demo file under ``root`` (``demo/`` by default), read and checked."""
    if root is None:
        return _load_default()
    return _load(root)


@cache
def _load_default() -> DemoData:
    # The files do not change while a process runs; tests and seed_demo read them once.
    return _load(DEMO_ROOT)


def _load(root: Path) -> DemoData:
    org = load_org(root)
    courses = _load_courses(root)
    history = load_history(root, org=org, catalogue=courses["catalogue"])
    return DemoData(org=org, **courses, history=history)


# --- YAML with line numbers ---------------------------------------------------------------


class _Map(dict[str, Any]):
    """A YAML mapping that remembers where it and each of its values start."""

    line: int
    lines: dict[str, int]


class _Seq(list[Any]):
    line: int
    lines: list[int]


class _Loader(yaml.BaseLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"{key!r} appears twice in this mapping", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = value_node.start_mark.line + 1
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def _parse_yaml(path: Path, text: str, first_line: int = 1) -> Any:
    try:
        # BaseLoader builds only strings, lists and mappings: nothing executes.
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = None if mark is None else mark.line + first_line
        raise DemoDataError(path, line, f"not valid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise DemoDataError(path, None, f"not valid YAML: {error}") from None


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise DemoDataError(path, None, "the file is missing")
    return _parse_yaml(path, path.read_text(encoding="utf-8"))


class _Fields:
    """Typed access to one YAML mapping, every error naming its file, line and field."""

    def __init__(self, path: Path, value: Any, where: str, line: int | None = None) -> None:
        self.path = path
        self.where = where
        if not isinstance(value, _Map):
            raise DemoDataError(path, line, "expected a mapping of fields", where)
        self.map = value

    def line(self, key: str | None = None) -> int:
        return self.map.lines.get(key, self.map.line) if key else self.map.line

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def error(self, key: str | None, message: str) -> DemoDataError:
        return DemoDataError(
            self.path, self.line(key), message, self.name(key) if key else self.where
        )

    def only(self, *allowed: str) -> None:
        for key in self.map:
            if key not in allowed:
                raise self.error(key, f"unknown field (known: {', '.join(allowed)})")

    def raw(self, key: str, default: Any = ...) -> Any:
        if key not in self.map:
            if default is ...:
                raise self.error(None, f"the field {key!r} is missing")
            return default
        return self.map[key]

    def text(self, key: str, default: str | None = None, max_length: int | None = None) -> str:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, str):
            raise self.error(key, "expected text")
        value = value.strip()
        if not value and default is None:
            raise self.error(key, "is empty")
        if max_length is not None and len(value) > max_length:
            raise self.error(key, f"is {len(value)} characters long; at most {max_length}")
        return value

    def integer(self, key: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw(key, ... if default is None else str(default))
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value.strip()):
            raise self.error(key, f"expected a whole number, not {value!r}")
        number = int(value)
        if not low <= number <= high:
            raise self.error(key, f"{number} is outside {low}–{high}")
        return number

    def decimal(self, key: str, low: Decimal, high: Decimal, places: int = 1) -> Decimal:
        value = self.raw(key)
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise self.error(key, f"expected a number, not {value!r}")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise self.error(key, f"{number} has more than {places} decimal place(s)")
        if not low <= number <= high:
            raise self.error(key, f"{number} is outside {low}–{high}")
        return number

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.raw(key, "true" if default else "false")
        if value not in ("true", "false"):
            raise self.error(key, f"write true or false, not {value!r}")
        return bool(value == "true")

    def choice(self, key: str, choices: list[str], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise self.error(key, f"unknown value {value!r} (known: {', '.join(choices)})")
        return value

    def texts(self, key: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self.raw(key, ... if default is None else _Seq())
        if not isinstance(value, _Seq):
            raise self.error(key, "expected a list")
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise DemoDataError(
                    self.path, value.lines[index], "expected text", f"{self.name(key)}[{index}]"
                )
            items.append(item.strip())
        return tuple(items)

    def items(self, key: str, default: bool = False) -> Iterator[tuple[int, Any, int, str]]:
        """(index, value, line, field name) of each item of a list."""
        value = self.raw(key, _Seq() if default else ...)
        if not isinstance(value, _Seq):
            raise self.error(key, "expected a list")
        for index, item in enumerate(value):
            yield index, item, value.lines[index], f"{self.name(key)}[{index}]"

    def mapping(self, key: str) -> _Map:
        value = self.raw(key)
        if not isinstance(value, _Map):
            raise self.error(key, "expected a mapping")
        return value


def _unique(
    path: Path, values: list[tuple[str, int, str]], what: str
) -> None:  # (value, line, field)
    seen: dict[str, int] = {}
    for value, line, field in values:
        if value in seen:
            raise DemoDataError(
                path, line, f"duplicate {what} {value!r} (first on line {seen[value]})", field
            )
        seen[value] = line


# --- the organisation ---------------------------------------------------------------------


def load_org(root: Path) -> OrgData:
    """The tree, the people generator's tables and the demo accounts of ``root/org``."""
    tree = _tree(root / "org" / "tree.yaml")
    people = _people(root / "org" / "people.yaml")
    accounts = _accounts(root / "org" / "accounts.yaml")
    org = OrgData(tree=tree, people=people, accounts=accounts)
    _check_org(root / "org", org)
    return org


def _departments(
    path: Path, fields: _Fields, key: str, placeholders: dict[str, str], default: bool = False
) -> tuple[Department, ...]:
    departments = []
    for _index, item, line, where in fields.items(key, default=default):
        department = _Fields(path, item, where, line)
        department.only("name", "units")
        name = department.text("name")
        try:
            name.format(**placeholders)
        except (KeyError, IndexError, ValueError):
            raise department.error(
                "name",
                "only these placeholders may appear in braces: "
                + (", ".join("{" + p + "}" for p in placeholders) or "none"),
            ) from None
        departments.append(Department(name, department.texts("units", default=())))
    return tuple(departments)


def _tree(path: Path) -> OrgTree:
    top = _Fields(path, _read_yaml(path), "")
    top.only(
        "province", "cities", "city_departments", "county_departments", "extra_county_departments"
    )
    province_fields = _Fields(path, top.raw("province"), "province", top.line("province"))
    province_fields.only("code", "name", "division_code", "departments")
    province = Province(
        code=province_fields.text("code"),
        name=province_fields.text("name"),
        division_code=_division_code(province_fields, "division_code"),
        departments=_departments(path, province_fields, "departments", {}),
    )
    cities = []
    for _index, item, line, where in top.items("cities"):
        city = _Fields(path, item, where, line)
        city.only("division_code", "name", "major", "data_bureau", "counties")
        counties = []
        for _i, county_item, county_line, county_where in city.items("counties"):
            county = _Fields(path, county_item, county_where, county_line)
            county.only("division_code", "name", "staffed")
            counties.append(
                County(
                    _division_code(county, "division_code"),
                    county.text("name"),
                    staffed=county.boolean("staffed"),
                )
            )
        cities.append(
            City(
                _division_code(city, "division_code"),
                city.text("name"),
                tuple(counties),
                major=city.boolean("major"),
                data_bureau=city.text("data_bureau", default="大数据发展管理局"),
            )
        )
    city_templates = _Fields(
        path, top.raw("city_departments"), "city_departments", top.line("city_departments")
    )
    city_templates.only("major", "other")
    city_names = {"city": "", "data_bureau": ""}
    extra: dict[str, tuple[Department, ...]] = {}
    extra_fields = _Fields(
        path,
        top.raw("extra_county_departments"),
        "extra_county_departments",
        top.line("extra_county_departments"),
    )
    for code in extra_fields.map:
        if not DIVISION_CODE.fullmatch(code):
            raise extra_fields.error(code, "keys are six-digit division codes of counties")
        extra[code] = _departments(path, extra_fields, code, {})
    return OrgTree(
        province=province,
        cities=tuple(cities),
        major_city_departments=_departments(path, city_templates, "major", city_names),
        city_departments=_departments(path, city_templates, "other", city_names),
        county_departments=_departments(path, top, "county_departments", {"county": ""}),
        extra_county_departments=extra,
    )


def _division_code(fields: _Fields, key: str) -> str:
    code = fields.text(key)
    if not DIVISION_CODE.fullmatch(code):
        raise fields.error(key, f"a division code has six digits (GB/T 2260), not {code!r}")
    return code


def _people(path: Path) -> PeopleTables:
    top = _Fields(path, _read_yaml(path), "")
    top.only("surnames", "given_names", "ranks", "staff_weights", "chief_titles")
    surnames = _Fields(path, top.raw("surnames"), "surnames", top.line("surnames"))
    given = _Fields(path, top.raw("given_names"), "given_names", top.line("given_names"))
    given.only("male", "female")
    given_names = []
    for sex in ("male", "female"):
        pools = _Fields(path, given.raw(sex), given.name(sex), given.line(sex))
        pools.only("first", "second")
        given_names.append((pools.text("first"), pools.text("second")))
    ranks = _Fields(path, top.raw("ranks"), "ranks", top.line("ranks"))
    ranks.only("department_head", "department_deputy", "section_head", "section_deputy", "staff")

    def by_tier(fields: _Fields, read: Callable[[_Fields, str], T]) -> dict[Tier, T]:
        fields.only(*TIERS)
        return {tier: read(fields, tier) for tier in TIERS}

    def rank_list(fields: _Fields, key: str) -> tuple[Rank, ...]:
        values = fields.texts(key)
        for value in values:
            if value not in Rank.values:
                raise fields.error(key, f"unknown rank {value!r} (known: {', '.join(Rank.values)})")
        return tuple(Rank(value) for value in values)

    def weighted_ranks(fields: _Fields, key: str) -> tuple[tuple[Rank, float], ...]:
        table = _Fields(fields.path, fields.raw(key), fields.name(key), fields.line(key))
        table.only(*Rank.values)
        return tuple((Rank(rank), _weight(table, rank)) for rank in table.map)

    def rank_table(key: str) -> dict[Tier, tuple[Rank, ...]]:
        return by_tier(_Fields(path, ranks.raw(key), ranks.name(key), ranks.line(key)), rank_list)

    staff = _Fields(path, ranks.raw("staff"), ranks.name("staff"), ranks.line("staff"))
    weights = _Fields(path, top.raw("staff_weights"), "staff_weights", top.line("staff_weights"))
    titles = []
    for _index, item, line, where in top.items("chief_titles"):
        if not (
            isinstance(item, _Seq) and len(item) == 2 and all(isinstance(i, str) for i in item)
        ):
            raise DemoDataError(path, line, "expected [name ending, title]", where)
        titles.append((item[0], item[1]))
    return PeopleTables(
        surnames=tuple((name, _weight(surnames, name)) for name in surnames.map),
        given_names=tuple(given_names),
        department_head_ranks=rank_table("department_head"),
        department_deputy_ranks=rank_table("department_deputy"),
        section_head_ranks=rank_table("section_head"),
        section_deputy_ranks=rank_table("section_deputy"),
        staff_ranks=by_tier(staff, weighted_ranks),
        staff_weights=by_tier(weights, _weight),
        chief_titles=tuple(titles),
    )


def _weight(fields: _Fields, key: str) -> float:
    value = fields.raw(key)
    try:
        weight = float(value) if isinstance(value, str) else -1.0
    except ValueError:
        weight = -1.0
    if not weight > 0:
        raise fields.error(key, f"expected a positive number, not {value!r}")
    return weight


def _accounts(path: Path) -> tuple[DemoAccount, ...]:
    data = _read_yaml(path)
    if not isinstance(data, _Seq):
        raise DemoDataError(path, None, "expected a list of accounts")
    accounts = []
    for index, item in enumerate(data):
        account = _Fields(path, item, f"[{index}]", data.lines[index])
        account.only(
            "username",
            "password",
            "real_name",
            "employee_number",
            "unit",
            "rank",
            "position",
            "role",
            "scope",
        )
        role = account.raw("role", None)
        if role is not None:
            role = account.choice("role", [r for r in Role.values if r != Role.LEARNER])
        scope = account.text("scope", default="") or None
        if (role == Role.HR_OFFICER) != (scope is not None):
            raise account.error(
                "scope" if scope else None, "an HR officer, and only an HR officer, has a scope"
            )
        accounts.append(
            DemoAccount(
                username=account.text("username"),
                password=account.text("password"),
                real_name=account.text("real_name"),
                employee_number=account.text("employee_number"),
                unit_code=account.text("unit"),
                rank=Rank(account.choice("rank", Rank.values)),
                position=account.text("position"),
                role=None if role is None else Role(role),
                scope_code=scope,
            )
        )
    for key in ("username", "employee_number", "real_name"):
        _unique(
            path,
            [(getattr(a, key), data[i].lines[key], f"[{i}].{key}") for i, a in enumerate(accounts)],
            key.replace("_", " "),
        )
    return tuple(accounts)


def _check_org(folder: Path, org: OrgData) -> None:
    """Checks across the files: unique codes, accounts that point at units that exist."""
    tree_path = folder / "tree.yaml"
    plan = org_unit_plan(org)
    counts = Counter(unit.code for unit in plan)
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        raise DemoDataError(tree_path, None, f"duplicate unit codes: {', '.join(duplicates)}")
    counties = {county.division_code for city in org.tree.cities for county in city.counties}
    for code in org.tree.extra_county_departments:
        if code not in counties:
            raise DemoDataError(
                tree_path, None, f"{code} is not a county of the tree", "extra_county_departments"
            )
    codes = set(counts)
    accounts_path = folder / "accounts.yaml"
    for index, account in enumerate(org.accounts):
        references: list[tuple[str, str | None]] = [
            ("unit", account.unit_code),
            ("scope", account.scope_code),
        ]
        for field, unit_code in references:
            if unit_code is not None and unit_code not in codes:
                raise DemoDataError(
                    accounts_path,
                    None,
                    f"no unit has the code {unit_code!r}",
                    f"[{index}].{field}",
                )
    try:
        for unit in plan:
            if unit.kind in (OrgUnitKind.DEPARTMENT, OrgUnitKind.UNIT):
                chief_title(org.people, unit.name)
    except ValueError as error:
        raise DemoDataError(folder / "people.yaml", None, str(error), "chief_titles") from None


# --- courses, lessons, question banks ---------------------------------------------------


def _load_courses(root: Path) -> dict[str, Any]:
    folder = root / "courses"
    path = folder / "catalogue.yaml"
    top = _Fields(path, _read_yaml(path), "")
    top.only("categories", "courses", "plan", "exam")
    categories = top.texts("categories")
    _unique(
        path,
        [(c, top.line("categories"), "categories") for c in categories],
        "category",
    )
    slugs = []
    for _index, slug, line, where in top.items("courses"):
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            raise DemoDataError(
                path, line, f"a course slug is lowercase-with-hyphens: {slug!r}", where
            )
        if not (folder / slug).is_dir():
            raise DemoDataError(path, line, f"there is no folder courses/{slug}/", where)
        slugs.append((slug, line, where))
    _unique(path, slugs, "course")
    listed = {slug for slug, _line, _where in slugs}
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name not in listed:
            raise DemoDataError(
                path, top.line("courses"), f"the folder {child.name}/ is not listed", "courses"
            )
    courses = tuple(_course(folder / slug, categories) for slug, _line, _where in slugs)
    _unique(
        path,
        [
            (course.title, line, where)
            for course, (_s, line, where) in zip(courses, slugs, strict=True)
        ],
        "course title",
    )
    plan = _plan(path, top, listed)
    settings = _exam_settings(path, top)
    banks = {}
    for course in courses:
        bank_path = folder / course.slug / "questions.yaml"
        if bank_path.exists():
            banks[course.slug] = _bank(bank_path, settings)
        elif course.requires_exam:
            raise DemoDataError(
                folder / course.slug / "course.yaml",
                None,
                "the course requires its exam but has no questions.yaml",
                "requires_exam",
            )
    return {
        "catalogue": Catalogue(categories=categories, courses=courses, plan=plan),
        "exams": DemoExams(settings=settings, banks=banks),
    }


def _plan(path: Path, top: _Fields, slugs: set[str]) -> Plan:
    plan = _Fields(path, top.raw("plan"), "plan", top.line("plan"))
    plan.only("name", "target_hours", "courses")
    course_slugs = plan.texts("courses")
    for slug in course_slugs:
        if slug not in slugs:
            raise plan.error("courses", f"{slug!r} is not a course of the catalogue")
    return Plan(
        name=plan.text("name", max_length=TITLE_MAX),
        target_hours=plan.decimal("target_hours", Decimal("0"), Decimal("1000")),
        course_slugs=course_slugs,
    )


def _exam_settings(path: Path, top: _Fields) -> ExamSettings:
    exam = _Fields(path, top.raw("exam"), "exam", top.line("exam"))
    exam.only(
        "title",
        "duration_minutes",
        "attempts_allowed",
        "pass_percent",
        "instructions",
        "review_policy",
        "draw",
    )
    draws = []
    for _index, item, line, where in exam.items("draw"):
        draw = _Fields(path, item, where, line)
        draw.only("kind", "count", "points")
        draws.append(
            Draw(
                kind=draw.choice("kind", QuestionKind.values),
                count=draw.integer("count", 1, 100),
                points=draw.decimal("points", Decimal("0.5"), Decimal("100")),
            )
        )
    _unique(path, [(d.kind, exam.line("draw"), "exam.draw") for d in draws], "draw of kind")
    policy = exam.raw("review_policy", None)
    return ExamSettings(
        title=exam.text("title", max_length=80),
        duration_minutes=exam.integer("duration_minutes", 1, 600),
        attempts_allowed=exam.integer("attempts_allowed", 1, 100),
        pass_percent=exam.decimal("pass_percent", Decimal("0"), Decimal("100")),
        instructions=exam.text("instructions", default=""),
        draw=tuple(draws),
        review_policy=None if policy is None else exam.choice("review_policy", ReviewPolicy.values),
    )


def _course(folder: Path, categories: tuple[str, ...]) -> Course:
    path = folder / "course.yaml"
    course = _Fields(path, _read_yaml(path), "")
    course.only("title", "category", "credit_hours", "requires_exam", "summary", "objectives")
    lessons = []
    numbers: dict[str, Path] = {}
    for child in sorted(folder.iterdir()):
        if child.suffix != ".md":
            continue
        match = LESSON_FILE.fullmatch(child.name)
        if match is None:
            raise DemoDataError(
                child, None, "a lesson file is named NN-slug.md, e.g. 01-what-is-e-government.md"
            )
        number, slug = match.groups()
        if number in numbers:
            raise DemoDataError(child, None, f"{numbers[number].name} has the number {number} too")
        numbers[number] = child
        lessons.append(_lesson(child, slug))
    _unique(path, [(lesson.slug, 0, lesson.slug) for lesson in lessons], "lesson slug")
    if not lessons:
        raise DemoDataError(path, None, "the course has no lessons (NN-slug.md files)")
    summary = course.text("summary", max_length=500)
    return Course(
        title=course.text("title", max_length=TITLE_MAX),
        slug=folder.name,
        category=course.choice("category", list(categories)),
        credit_hours=course.decimal("credit_hours", Decimal("0.5"), Decimal("100")),
        summary=summary,
        objectives=course.texts("objectives", default=()),
        lessons=tuple(lessons),
        requires_exam=course.boolean("requires_exam"),
    )


# --- lessons in Markdown ---------------------------------------------------------------------

_LIST_ITEM = re.compile(r"(?:[-*]|(\d+)\.)\s+(.*)")
_OPTION = re.compile(r"[-*]\s+\[([ xX])\]\s+(.*)")
_FENCE = re.compile(r":::\s*(\S*)\s*(.*)")


def _lesson(path: Path, slug: str) -> Lesson:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        raise DemoDataError(path, 1, "a lesson starts with front matter between two --- lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise DemoDataError(path, 1, "the front matter has no closing --- line") from None
    meta = _Fields(
        path, _parse_yaml(path, "\n".join(lines[1:end]), first_line=2), "front matter", 1
    )
    # The mapping's lines count from the front matter's first line.
    meta.map.line += 1
    meta.map.lines = {key: line + 1 for key, line in meta.map.lines.items()}
    meta.only("title", "minutes")
    body = _body(path, lines, end + 1)
    return Lesson(
        title=meta.text("title", max_length=TITLE_MAX),
        slug=slug,
        minutes=meta.integer("minutes", 1, 600),
        body=body,
    )


def _join(lines: list[str]) -> str:
    """Lines of one paragraph as one string: a space only between two Latin words."""
    text = ""
    for line in (line.strip() for line in lines):
        if text and line and text[-1].isascii() and text[-1].isalnum() and line[0].isascii():
            text += " "
        text += line
    return text


def _body(path: Path, lines: list[str], start: int) -> tuple[Block, ...]:
    blocks: list[Block] = []
    parts: list[str | ItemList] = []
    paragraph: list[str] = []
    items: list[list[str]] = []
    ordered = False

    def end_paragraph() -> None:
        if paragraph:
            parts.append(_join(paragraph))
            paragraph.clear()

    def end_list() -> None:
        if items:
            parts.append(ItemList(tuple(_join(item) for item in items), ordered))
            items.clear()

    def end_text() -> None:
        end_paragraph()
        end_list()
        if parts:
            blocks.append(Text(tuple(parts)))
            parts.clear()

    index = start
    while index < len(lines):
        line = lines[index]
        number = index + 1
        stripped = line.strip()
        index += 1
        if not stripped:
            end_paragraph()
            continue
        if stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            if level != 2:
                raise DemoDataError(
                    path,
                    number,
                    "sections start with '## ' (the lesson's title is in the front matter)",
                )
            heading = stripped[2:].strip()
            if not heading or len(heading) > HEADING_MAX:
                raise DemoDataError(path, number, f"a heading has 1 to {HEADING_MAX} characters")
            end_text()
            blocks.append(Heading(heading))
            continue
        fence = _FENCE.fullmatch(stripped)
        if fence:
            kind = fence.group(1)
            try:
                close = next(i for i in range(index, len(lines)) if lines[i].strip() == ":::")
            except StopIteration:
                raise DemoDataError(
                    path, number, f"the '::: {kind}' block has no closing ':::'"
                ) from None
            inner = [(i + 1, lines[i]) for i in range(index, close)]
            end_text()
            if kind == "checkpoint":
                blocks.append(_checkpoint(path, number, inner))
            elif kind == "video":
                blocks.append(_video(path, number, inner))
            else:
                raise DemoDataError(
                    path, number, f"unknown block kind {kind!r} (known: checkpoint, video)"
                )
            index = close + 1
            continue
        item = _LIST_ITEM.fullmatch(stripped)
        if item and not line[0].isspace():
            end_paragraph()
            if items and ordered != bool(item.group(1)):
                end_list()
            ordered = bool(item.group(1))
            items.append([item.group(2)])
            continue
        if items and not paragraph and line[0].isspace():
            # An indented line continues the list item above it.
            items[-1].append(stripped)
            continue
        end_list()
        paragraph.append(stripped)
    end_text()
    if not blocks:
        raise DemoDataError(path, start + 1, "the lesson has no text")
    return tuple(blocks)


def _checkpoint(path: Path, line: int, inner: list[tuple[int, str]]) -> Checkpoint:
    question: list[str] = []
    options: list[tuple[int, str, bool]] = []
    explanation: list[list[str]] = [[]]
    for number, text in inner:
        stripped = text.strip()
        option = _OPTION.fullmatch(stripped)
        if option:
            if any(part for part in explanation):
                raise DemoDataError(
                    path, number, "the options come before the explanation", "checkpoint"
                )
            options.append((number, option.group(2).strip(), option.group(1) != " "))
        elif not options:
            if stripped:
                question.append(stripped)
        elif not stripped:
            explanation.append([])
        else:
            if _LIST_ITEM.fullmatch(stripped):
                raise DemoDataError(
                    path, number, "an option is written '- [ ] text' or '- [x] text'", "checkpoint"
                )
            explanation[-1].append(stripped)
    text = _join(question)
    if not text:
        raise DemoDataError(path, line, "the question is missing", "checkpoint")
    if len(text) > QUESTION_MAX:
        raise DemoDataError(
            path, line, f"the question has more than {QUESTION_MAX} characters", "checkpoint"
        )
    if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        raise DemoDataError(
            path, line, f"a checkpoint has {OPTIONS_MIN} to {OPTIONS_MAX} options", "checkpoint"
        )
    correct = [i for i, (_n, _t, right) in enumerate(options) if right]
    if len(correct) != 1:
        raise DemoDataError(
            path, line, "exactly one option is marked [x] as the answer", "checkpoint"
        )
    _unique(path, [(t, n, "checkpoint option") for n, t, _r in options], "option")
    for number, option_text, _right in options:
        if not option_text or len(option_text) > OPTION_MAX:
            raise DemoDataError(
                path, number, f"an option has 1 to {OPTION_MAX} characters", "checkpoint"
            )
    return Checkpoint(
        question=text,
        options=tuple(t for _n, t, _r in options),
        correct=correct[0],
        explanation="\n\n".join(_join(p) for p in explanation if p),
    )


def _video(path: Path, line: int, inner: list[tuple[int, str]]) -> Video:
    values: dict[str, tuple[int, str]] = {}
    for number, text in inner:
        if not text.strip():
            continue
        key, colon, value = text.strip().partition(":")
        key = key.strip()
        if not colon or key not in ("title", "embed", "seconds"):
            raise DemoDataError(
                path, number, "write 'title: …', 'embed: https://…' or 'seconds: …'", "video"
            )
        if key in values:
            raise DemoDataError(path, number, f"{key!r} appears twice", "video")
        values[key] = (number, value.strip())
    for key in ("title", "embed", "seconds"):
        if not values.get(key, (0, ""))[1]:
            raise DemoDataError(path, line, f"the field {key!r} is missing", "video")
    title_line, title = values["title"]
    if len(title) > VIDEO_TITLE_MAX:
        raise DemoDataError(
            path, title_line, f"at most {VIDEO_TITLE_MAX} characters", "video.title"
        )
    embed_line, embed = values["embed"]
    if not re.fullmatch(r"https://\S+", embed):
        raise DemoDataError(path, embed_line, "an https:// address", "video.embed")
    seconds_line, seconds = values["seconds"]
    if not seconds.isdigit() or int(seconds) < 1:
        raise DemoDataError(path, seconds_line, "a whole number of seconds", "video.seconds")
    return Video(title=title, embed=embed, seconds=int(seconds))


# --- question banks -----------------------------------------------------------------------


def _bank(path: Path, settings: ExamSettings) -> tuple[QuestionText, ...]:
    data = _read_yaml(path)
    if not isinstance(data, _Seq):
        raise DemoDataError(path, None, "expected a list of questions")
    questions = []
    stems = []
    for index, item in enumerate(data):
        question = _Fields(path, item, f"[{index}]", data.lines[index])
        question.only(
            "kind", "stem", "options", "answer", "difficulty", "explanation", "rubric", "tags"
        )
        kind = question.choice("kind", QuestionKind.values)
        if kind != QuestionKind.SHORT and "answer" not in question.map:
            raise question.error(None, "the field 'answer' is missing")
        text = QuestionText(
            kind=kind,
            stem=question.text("stem"),
            options=list(question.texts("options", default=())),
            answer=_plain(question.raw("answer", None)),
            difficulty=question.integer(
                "difficulty", min(Difficulty.values), max(Difficulty.values), default=2
            ),
            explanation=question.text("explanation", default=""),
            rubric=question.text("rubric", default=""),
            tags=question.texts("tags", default=()),
        )
        if (
            kind in (QuestionKind.TRUE_FALSE, QuestionKind.FILL, QuestionKind.SHORT)
            and text.options
        ):
            raise question.error("options", f"a {kind} question has no options")
        try:
            question_validate(text)
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            # question_validate speaks the site's language (Chinese first).
            raise question.error(field, " ".join(messages)) from None
        questions.append(text)
        stems.append((text.stem, question.line("stem"), question.name("stem")))
    _unique(path, stems, "question")
    for draw in settings.draw:
        available = sum(1 for q in questions if q.kind == draw.kind)
        if available < draw.count:
            raise DemoDataError(
                path,
                None,
                f"the bank has {available} questions of kind {draw.kind}; the exam draws "
                f"{draw.count} (catalogue.yaml, exam.draw)",
            )
    return tuple(questions)


def _plain(value: Any) -> Any:
    """A YAML answer as plain lists and strings (what question_validate expects)."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --- the history: last year and this year so far -------------------------------------------

_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_MOMENT = re.compile(r"(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")
# The longest a plan's name may be (TrainingPlan.name) once {year} is a year.
PLAN_NAME_MAX = 120
# Who may enter offline hours for other people.
_ENTERING_ROLES = (Role.HR_OFFICER, Role.PLATFORM_ADMIN)


def load_history(root: Path, *, org: OrgData, catalogue: Catalogue) -> History:
    """``root/history.yaml``: the years the demo's dashboards show, checked against the
    tree, the accounts and the catalogue."""
    path = root / "history.yaml"
    top = _Fields(path, _read_yaml(path), "")
    top.only(
        "seed",
        "months",
        "targets",
        "catalogue_plan_assigned",
        "plans",
        "offline",
        "entered_by",
        "profiles",
        "default_profile",
        "units",
        "year_turn",
    )
    plan_units = org_unit_plan(org)
    parents = {unit.code: unit.parent_code for unit in plan_units}
    province = org.tree.province.code

    def unit(fields: _Fields, key: str) -> str:
        code = fields.text(key)
        if code not in parents:
            raise fields.error(key, f"no unit has the code {code!r} (demo/org/tree.yaml)")
        return code

    def year(fields: _Fields) -> Any:
        return fields.choice("year", list(YEAR_KEYS))

    months = []
    for _index, item, line, where in top.items("months"):
        if not isinstance(item, str) or not re.fullmatch(r"\d{1,3}", item.strip()):
            raise DemoDataError(path, line, f"expected a whole number, not {item!r}", where)
        if not 1 <= int(item) <= 100:
            raise DemoDataError(path, line, f"{int(item)} is outside 1–100", where)
        months.append(int(item))
    if len(months) != 12:
        raise top.error("months", f"twelve weights, January to December, not {len(months)}")

    targets = []
    seen_targets: dict[tuple[str, str, str], int] = {}
    for _index, item, line, where in top.items("targets"):
        target = _Fields(path, item, where, line)
        target.only("year", "unit", "rank", "hours")
        entry = HistoryTarget(
            year=year(target),
            unit_code=unit(target, "unit"),
            rank=target.choice("rank", ["", *Rank.values], default=""),
            hours=target.decimal("hours", Decimal("0.1"), Decimal("1000")),
        )
        key = (entry.year, entry.unit_code, entry.rank)
        if key in seen_targets:
            raise DemoDataError(
                path, line, f"the same target as on line {seen_targets[key]}", where
            )
        seen_targets[key] = line
        if key == ("this", province, ""):
            raise target.error(
                "unit",
                "this year's target for every rank of the province is catalogue.yaml's "
                "plan.target_hours",
            )
        targets.append(entry)

    assigned = _month_day(top, "catalogue_plan_assigned")
    plans = []
    for _index, item, line, where in top.items("plans", default=True):
        plan = _Fields(path, item, where, line)
        plan.only(
            "name", "year", "unit", "ranks", "assigned", "due", "past_due_days", "closed", "courses"
        )
        ranks = plan.texts("ranks", default=())
        for rank in ranks:
            if rank not in Rank.values:
                raise plan.error(
                    "ranks", f"unknown rank {rank!r} (known: {', '.join(Rank.values)})"
                )
        name = plan.text("name", max_length=PLAN_NAME_MAX + len("{year}") - 4)
        plan_entry = HistoryPlan(
            name=name,
            year=year(plan),
            unit_code=unit(plan, "unit"),
            ranks=ranks,
            assigned=_month_day(plan, "assigned"),
            due=_month_day(plan, "due"),
            course_slugs=plan.texts("courses"),
            closed=plan.boolean("closed"),
            past_due_days=plan.integer("past_due_days", 1, 180)
            if "past_due_days" in item
            else None,
        )
        if plan_entry.past_due_days and plan_entry.year != "this":
            raise plan.error("past_due_days", "only this year's plans are due before today")
        if plan_entry.due < plan_entry.assigned:
            raise plan.error("due", "the plan is due before it is assigned")
        if not plan_entry.course_slugs:
            raise plan.error("courses", "a plan has at least one course")
        plans.append((plan_entry, plan))
    _check_history_plans(
        path, [p for p, _f in plans], [f for _p, f in plans], org, catalogue, parents
    )

    offline = []
    for _index, item, line, where in top.items("offline"):
        training = _Fields(path, item, where, line)
        training.only("name", "hours", "months")
        held = []
        for month in training.texts("months", default=()):
            if not re.fullmatch(r"\d{1,2}", month) or not 1 <= int(month) <= 12:
                raise training.error("months", f"a month is 1–12, not {month!r}")
            held.append(int(month))
        offline.append(
            OfflineTraining(
                name=training.text("name", max_length=300),
                # The most credit_record_offline accepts in one record.
                hours=training.decimal("hours", Decimal("0.5"), Decimal("200")),
                months=tuple(held),
            )
        )
    _unique(
        path,
        [(t.name, top.line("offline"), "offline") for t in offline],
        "offline training",
    )
    highest = max([t.hours for t in targets] + [catalogue.plan.target_hours], default=Decimal("0"))
    if sum(t.hours for t in offline) < highest:
        raise top.error(
            "offline",
            f"the trainings add up to {sum(t.hours for t in offline)} 学时, less than the "
            f"highest target ({highest}): people ahead could not reach it",
        )

    roles = {account.username: account.role for account in org.accounts}
    entered_by = []
    for _index, item, line, where in top.items("entered_by"):
        entry_fields = _Fields(path, item, where, line)
        entry_fields.only("scope", "account")
        scope = unit(entry_fields, "scope")
        account = entry_fields.text("account")
        if account not in roles:
            raise entry_fields.error("account", f"no demo account is called {account!r}")
        if roles[account] not in _ENTERING_ROLES:
            raise entry_fields.error(
                "account", f"{account!r} is neither an HR officer nor a platform administrator"
            )
        entered_by.append((scope, account))
    _unique(path, [(s, top.line("entered_by"), "entered_by") for s, _a in entered_by], "scope")
    if province not in {scope for scope, _account in entered_by}:
        raise top.error("entered_by", f"someone must enter hours for the province ({province})")

    profiles_map = top.mapping("profiles")
    profiles = {}
    for name in profiles_map:
        profile = _Fields(path, profiles_map[name], f"profiles.{name}", profiles_map.lines[name])
        profile.only(*YEAR_KEYS)
        by_year = {}
        for year_key in YEAR_KEYS:
            shares = _Fields(
                path, profile.raw(year_key), profile.name(year_key), profile.line(year_key)
            )
            shares.only("reach", "started", "idle")
            values = Shares(
                **{
                    share: shares.decimal(share, Decimal("0"), Decimal("1"), places=2)
                    for share in ("reach", "started", "idle")
                }
            )
            if values.reach + values.started + values.idle > 1:
                raise shares.error(None, "the shares add up to more than 1")
            by_year[year_key] = values
        profiles[name] = Profile(last=by_year["last"], this=by_year["this"])
    default_profile = top.choice("default_profile", list(profiles))
    units_map = top.mapping("units")
    unit_profiles = {}
    units_fields = _Fields(path, units_map, "units", top.line("units"))
    for code in units_map:
        if code not in parents:
            raise units_fields.error(code, f"no unit has the code {code!r} (demo/org/tree.yaml)")
        unit_profiles[code] = units_fields.choice(code, list(profiles))

    turns = []
    for _index, item, line, where in top.items("year_turn", default=True):
        turn = _Fields(path, item, where, line)
        turn.only("year", "unit", "at")
        at = turn.text("at")
        match = _MOMENT.fullmatch(at)
        parts = tuple(int(g) for g in match.groups()) if match else ()
        if not match or not _valid_moment(parts):
            raise turn.error("at", f"write MM-DD HH:MM:SS, a moment of every year, not {at!r}")
        turns.append(
            YearTurn(
                year=year(turn),
                unit_code=unit(turn, "unit"),
                moment=(parts[0], parts[1], parts[2], parts[3], parts[4]),
            )
        )

    return History(
        seed=top.integer("seed", 0, 2**31),
        months=tuple(months),
        targets=tuple(targets),
        catalogue_plan_assigned=assigned,
        plans=tuple(p for p, _f in plans),
        offline=tuple(offline),
        entered_by=tuple(entered_by),
        profiles=profiles,
        default_profile=default_profile,
        unit_profiles=unit_profiles,
        year_turn=tuple(turns),
    )


def _month_day(fields: _Fields, key: str) -> tuple[int, int]:
    value = fields.text(key)
    match = _MONTH_DAY.fullmatch(value)
    parts = tuple(int(g) for g in match.groups()) if match else ()
    if not match or not _valid_moment((*parts, 0, 0, 0)):
        raise fields.error(key, f"write MM-DD, a day of every year, not {value!r}")
    return parts[0], parts[1]


def _valid_moment(parts: tuple[int, ...]) -> bool:
    month, day, hour, minute, second = parts
    try:
        # 2023 has no 29 February: a day valid then is valid in every year.
        datetime(2023, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def _check_history_plans(
    path: Path,
    plans: list[HistoryPlan],
    fields: list[_Fields],
    org: OrgData,
    catalogue: Catalogue,
    parents: dict[str, str | None],
) -> None:
    """Courses that exist and belong to one plan; open plans that leave the demo accounts be."""
    slugs = {course.slug for course in catalogue.courses}
    owner: dict[str, str] = dict.fromkeys(catalogue.plan.course_slugs, "catalogue.yaml's plan")
    names = {("this", catalogue.plan.name)}

    def ancestry(code: str) -> set[str]:
        above: set[str] = set()
        current: str | None = code
        while current is not None:
            above.add(current)
            current = parents[current]
        return above

    for plan, plan_fields in zip(plans, fields, strict=True):
        if (plan.year, plan.name) in names:
            raise plan_fields.error("name", "another plan of the same year has this name")
        names.add((plan.year, plan.name))
        for slug in plan.course_slugs:
            if slug not in slugs:
                raise plan_fields.error("courses", f"{slug!r} is not a course of the catalogue")
            if slug in owner:
                # Enrolment is once per person and course, whatever the year.
                raise plan_fields.error(
                    "courses",
                    f"{slug!r} is in {owner[slug]} too: a person is enrolled in a course once, "
                    "so a course belongs to one plan of the two years",
                )
            owner[slug] = f"the plan {plan.name!r}"
        if plan.closed:
            continue
        for account in org.accounts:
            if plan.unit_code in ancestry(account.unit_code) and (
                not plan.ranks or account.rank in plan.ranks
            ):
                raise plan_fields.error(
                    "unit",
                    f"the plan would enrol the demo account {account.username!r}, whose pages "
                    "the demo keeps as they are: narrow its unit or ranks, or close it",
                )
