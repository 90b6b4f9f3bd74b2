"""A province at scale for the dashboards benchmark (``manage.py generate_province``).

Builds, into an empty database, the rows a province's portal holds after two years: the
organisation tree, people with logins, courses, credit targets, training plans,
enrolments, exam attempts, certificates and the 学时 ledger. The shapes follow the
services (plans enrol everyone active in their scope, a completion credits its course once,
offline credit names who entered it), but the big tables are written in bulk: COPY on
PostgreSQL, ``executemany`` elsewhere, with explicit ids and the sequences reset after.
Everything random comes from one ``random.Random(seed)`` and the moments from ``today``, so
a seed and a date give the same rows.

The words below (cities, departments, courses) are the generator's vocabulary, not demo
content: the demo lives in ``demo/`` and is loaded by ``seed_demo``.
"""

from __future__ import annotations

import logging
import random
import sys
import time
import uuid
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, islice
from typing import Any
from zoneinfo import ZoneInfo

import treebeard
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, models, transaction

from certificates.models import Certificate, CertificateStatus, SerialCounter
from certificates.services import CODE_ALPHABET, CODE_LENGTH
from certificates.wording import basis_for
from courses.models import (
    CompletionRule,
    CourseCategory,
    CourseIndexPage,
    CoursePage,
    CreditRecord,
    CreditSource,
    CreditTarget,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    LearningRules,
    LessonPage,
    TrainingPlan,
)
from courses.services import training_plans_apply_for_person
from exams.models import Attempt, AttemptState, Exam
from org.models import OrgUnit, OrgUnitKind, Person, Rank, Role
from org.services import org_unit_create, person_create, role_grant

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = 86_400
BATCH = 100_000  # rows per COPY and transaction

# --- the tree's paths, computed here -------------------------------------------------
# org_unit_create adds one unit per transaction (lock the parent, find its last child,
# insert, update numchild): minutes for 18,000 units. The paths are computed here instead
# with treebeard's own path builder, MP_Node._get_path(parent_path, depth, step), written
# against django-treebeard 5.3 (steplen 4, its default alphabet, children in insertion
# order). Another version, or a model that changes those, takes the ordinary path
# (org_unit_create per unit); tests/dashboards/test_generate_province.py compares both.
TREEBEARD_TESTED = "5.3"
FAST_TREE = (
    treebeard.__version__.split(".")[:2] == TREEBEARD_TESTED.split(".")
    and OrgUnit.steplen == 4
    and OrgUnit.alphabet == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    and not OrgUnit.node_order_by
    and callable(getattr(OrgUnit, "_get_path", None))
)

# --- vocabulary ----------------------------------------------------------------------
PROVINCE = ("浙江省", "zj", "330000")
# Zhejiang's 11 cities with their division codes and county-level divisions (90 in all).
CITIES = (
    ("杭州市", "330100", 13),
    ("宁波市", "330200", 10),
    ("温州市", "330300", 12),
    ("嘉兴市", "330400", 7),
    ("湖州市", "330500", 5),
    ("绍兴市", "330600", 6),
    ("金华市", "330700", 9),
    ("衢州市", "330800", 6),
    ("舟山市", "330900", 4),
    ("台州市", "331000", 9),
    ("丽水市", "331100", 9),
)
FULL_UNITS = 18_000
# Regions hold departments in these proportions (40 provincial, 40 per city, 30 per county
# at full size); departments are this share of the units below the regions.
DEPARTMENT_WEIGHTS: dict[str, int] = {
    OrgUnitKind.PROVINCE: 4,
    OrgUnitKind.CITY: 4,
    OrgUnitKind.COUNTY: 3,
}
DEPARTMENT_SHARE = 0.178
SUBUNIT_SHARE = 0.1  # sections placed under another section rather than the department
DEPARTMENTS = (
    "办公厅 发展和改革委员会 经济和信息化厅 教育厅 科学技术厅 民族宗教事务委员会 公安厅 民政厅 "
    "司法厅 财政厅 人力资源和社会保障厅 自然资源厅 生态环境厅 住房和城乡建设厅 交通运输厅 水利厅 "
    "农业农村厅 商务厅 文化和旅游厅 卫生健康委员会 退役军人事务厅 应急管理厅 审计厅 外事办公室 "
    "国有资产监督管理委员会 市场监督管理局 广播电视局 体育局 统计局 医疗保障局 机关事务管理局 "
    "大数据发展管理局 信访局 林业局 粮食和物资储备局 地方金融监督管理局 药品监督管理局 "
    "人民防空办公室 档案局 供销合作社联合社"
).split()
HR_DEPARTMENT = DEPARTMENTS.index("人力资源和社会保障厅")
SECTIONS = (
    "办公室 综合处 政策法规处 人事处 财务处 规划发展处 信息化处 业务一处 业务二处 业务三处 "
    "监督检查处 机关党委"
).split()
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯鑫晨"
    "婷雪琳晓燕欣怡涵轩佳琪思远嘉"
)
# 职级 and their shares of a province's civil servants (per cent; the rest have none yet).
RANK_SHARES = (
    (Rank.LEVEL_1_INSPECTOR, 0.3, "一级巡视员"),
    (Rank.LEVEL_2_INSPECTOR, 0.7, "二级巡视员"),
    (Rank.LEVEL_1_RESEARCHER, 1.5, "处长"),
    (Rank.LEVEL_2_RESEARCHER, 2.5, "处长"),
    (Rank.LEVEL_3_RESEARCHER, 3.5, "副处长"),
    (Rank.LEVEL_4_RESEARCHER, 5.0, "副处长"),
    (Rank.LEVEL_1_PRINCIPAL_CLERK, 7.0, "科长"),
    (Rank.LEVEL_2_PRINCIPAL_CLERK, 10.0, "科长"),
    (Rank.LEVEL_3_PRINCIPAL_CLERK, 13.0, "副科长"),
    (Rank.LEVEL_4_PRINCIPAL_CLERK, 16.0, "科员"),
    (Rank.LEVEL_1_CLERK, 22.0, "科员"),
    (Rank.LEVEL_2_CLERK, 15.0, "科员"),
    ("", 3.5, "科员"),
)
RANKS = [rank for rank, _share, _position in RANK_SHARES]
LEADER_RANKS = frozenset(r for r in RANKS if r.startswith(("inspector", "researcher")))
NEW_CLERK_RANKS = frozenset({Rank.LEVEL_1_CLERK, Rank.LEVEL_2_CLERK})
INACTIVE_SHARE = 0.03
CATEGORIES = (
    ("数字政府", "digital-government"),
    ("网络安全", "cyber-security"),
    ("综合素养", "general"),
)
# (title, credit hours, category index). Plans take courses from the front: provincial
# courses first, then one city course per year, the leaders' course; the rest are
# electives, more popular the nearer the front, and the last two end with an exam
# (lessons_and_exam).
COURSES = (
    ("电子政务概论", "6.0", 0),
    ("数字政府建设与治理", "8.0", 0),
    ("网络安全法律法规解读", "4.0", 1),
    ("个人信息保护实务", "4.0", 1),
    ("政务数据共享与开放", "6.0", 0),
    ("依法行政与行政复议", "5.0", 2),
    ("公文写作与处理", "5.0", 2),
    ("政务服务“一网通办”实践", "6.0", 0),
    ("突发事件网络舆情应对", "4.0", 2),
    ("领导干部数字素养提升", "10.0", 2),
    ("云计算与政务云", "6.0", 0),
    ("大数据分析基础", "8.0", 0),
    ("人工智能在政务中的应用", "6.0", 0),
    ("信息系统项目管理", "5.0", 0),
    ("密码应用与安全性评估", "4.0", 1),
    ("新录用公务员初任培训", "10.0", 2),
    ("政府采购与信息化项目", "3.0", 2),
    ("办公软件高效应用", "2.0", 2),
    ("网络安全等级保护2.0", "8.0", 1),
    ("保密知识与技能", "4.0", 1),
)
OFFLINE_REASONS = (
    "省委党校专题培训班",
    "网络安全专题讲座",
    "业务骨干能力提升培训",
    "学习贯彻全会精神专题辅导",
    "数字化改革专题研讨班",
    "保密教育专题培训",
    "依法行政专题培训",
    "机关党支部书记培训",
    "政务服务窗口人员轮训",
    "新技术应用现场教学",
)
EXAM_BONUS_HOURS = Decimal("1.0")
PASS_PERCENT = 60


@contextmanager
def quiet(logger: str) -> Iterator[None]:
    """Keep a library's INFO lines (Wagtail logs every page it creates) off the progress."""
    target = logging.getLogger(logger)
    level = target.level
    target.setLevel(logging.WARNING)
    try:
        yield
    finally:
        target.setLevel(level)


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class Sizes:
    people: int = 300_000
    units: int = 18_000
    enrolments: int = 1_500_000
    credits: int = 3_000_000
    seed: int = 1
    years: int = 2
    courses: int = len(COURSES)
    today: date | None = None  # None: today in Asia/Shanghai


class Refused(Exception):
    """The database is not empty, or the sizes cannot make a province."""


# --- bulk writing ----------------------------------------------------------------------


def write_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    epochs: Sequence[str] = (),
) -> int:
    """Insert ``rows`` (values of ``fields``, ids included; the ``epochs`` fields as epoch
    seconds or None) in batches of BATCH rows, one transaction each. Every concrete
    field of the model must be named: a new column fails here, not as a NOT NULL error in
    the middle of a COPY."""
    meta = model._meta
    concrete = {f.attname: f for f in meta.concrete_fields}
    missing = set(concrete) - set(fields)
    if missing:
        raise RuntimeError(f"{meta.label}: the generator does not fill {sorted(missing)}")
    columns = [str(concrete[name].column) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    timestamps = [name in epochs for name in fields]
    started = time.perf_counter()
    with indexes_deferred(model):
        written = _write_batches(model, fields, iter(rows), timestamps, table, column_list)
        loaded = time.perf_counter()
    if written >= BATCH:
        log(
            f"    {meta.db_table}: {written} rows made and copied in {loaded - started:.1f} s, "
            f"indexes and keys built in {time.perf_counter() - loaded:.1f} s"
        )
    return written


def _write_batches(
    model: type[models.Model],
    fields: Sequence[str],
    iterator: Iterator[tuple],
    timestamps: Sequence[bool],
    table: str,
    column_list: str,
) -> int:
    meta = model._meta
    written = 0
    while batch := list(islice(iterator, BATCH)):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                converters = [_copy_timestamp if t else _copy_value for t in timestamps]
                with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                    for start in range(0, len(batch), 5_000):
                        chunk = batch[start : start + 5_000]
                        copy.write("".join([_copy_line(row, converters) for row in chunk]))
            else:
                concrete = {f.attname: f for f in meta.concrete_fields}
                prepare = [concrete[name].get_db_prep_save for name in fields]
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",
                    [
                        [
                            p(moment(v) if epoch and v is not None else v, connection)
                            for p, v, epoch in zip(prepare, row, timestamps, strict=True)
                        ]
                        for row in batch
                    ],
                )
        written += len(batch)
    return written


# Foreign keys and secondary indexes are dropped for a load and built again after it, as
# pg_restore does: maintaining six indexes row by row and checking three foreign keys per
# row at commit took seven times as long as the COPY itself (300,000 ledger rows: 40 s
# against 6 s). Written against PostgreSQL 15's catalogue (pg_index, pg_constraint,
# pg_get_indexdef, pg_get_constraintdef; stable since 9.x). The schema after the load is
# the schema before it (tests/dashboards/test_generate_province.py compares them: partial
# indexes stay, as PostgreSQL would print their rebuilt predicates differently); on
# other databases rows are inserted with every index and constraint in place.
@contextmanager
def indexes_deferred(model: type[models.Model]) -> Iterator[None]:
    # Inside a caller's transaction (a test's) earlier rows may have foreign-key checks
    # pending, which forbid ALTER TABLE: the indexes and keys stay where they are.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND x.indpred IS NULL "
            "AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
            "AND c.conrelid = x.indrelid) ORDER BY i.relname",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition, _kind in constraints:
            cursor.execute(
                f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition, kind in constraints:
                name = connection.ops.quote_name(name)
                if kind == "u":
                    cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {definition}")
                else:  # checked in one pass over the table, not row by row
                    cursor.execute(
                        f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {definition} NOT VALID"
                    )
                    cursor.execute(f"ALTER TABLE {quoted} VALIDATE CONSTRAINT {name}")


# COPY's text format, written by hand: psycopg's write_row adapts value by value, which
# took longer than making the rows. Only backslash, tab, newline and carriage return need
# escapes, and the generator's own strings have none of them.
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAYS: dict[int, str] = {}
_TIMES = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]


def _copy_timestamp(ts: int | None) -> str:
    if ts is None:
        return "\\N"
    day, second = divmod(ts, DAY)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat() + " "
    return text + _TIMES[second]


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if type(value) is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    return str(value)  # int, Decimal, date, UUID


def _copy_line(row: tuple, converters: Sequence[Callable[[Any], str]]) -> str:
    return "\t".join([convert(v) for convert, v in zip(converters, row, strict=True)]) + "\n"


def next_id(model: type[models.Model]) -> int:
    last = model._default_manager.aggregate(last=models.Max("pk"))["last"]
    return (last or 0) + 1


def sequences_reset(*model_list: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(statement)


# --- the tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlan:
    parent: int  # index in the plan; -1 for the root
    kind: str
    name: str
    code: str
    division_code: str
    city: int  # index into CITIES; -1 for provincial units


def _largest_remainder(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """``total`` split by ``weights``, each share at least ``minimum``; the sum is exact."""
    spare = total - minimum * len(weights)
    scale = spare / sum(weights)
    shares = [w * scale for w in weights]
    counts = [minimum + int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: int(shares[i]) - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _level(name: str, provincial: bool) -> str:
    """A provincial 厅 and 处 are a city's or county's 局 and 科."""
    if provincial:
        return name
    return name.replace("办公厅", "办公室").replace("厅", "局").replace("处", "科")


def tree_plan(units: int, rng: random.Random) -> list[UnitPlan]:
    """About ``units`` units (exactly that many): province > cities > counties, departments
    at every level, sections below, some sections under sections; parents come first."""
    if units < 20:
        raise Refused("--units must be at least 20")
    scale = min(1.0, units / FULL_UNITS)
    plan = [UnitPlan(-1, OrgUnitKind.PROVINCE, PROVINCE[0], PROVINCE[1], PROVINCE[2], -1)]
    regions = [0]
    for city, (name, code, counties) in enumerate(CITIES[: min(len(CITIES), max(2, units // 30))]):
        plan.append(UnitPlan(0, OrgUnitKind.CITY, name, code, code, city))
        city_index = len(plan) - 1
        regions.append(city_index)
        for number in range(1, max(1, round(counties * scale)) + 1):
            county = f"{code[:4]}{number + 1:02d}"
            plan.append(
                UnitPlan(
                    city_index, OrgUnitKind.COUNTY, f"{name}第{number}县", county, county, city
                )
            )
            regions.append(len(plan) - 1)
    below = units - len(plan)
    departments = max(len(regions), round(DEPARTMENT_SHARE * below))
    if below - departments < 0:
        raise Refused(f"--units {units} is too few for {len(regions)} regions and departments")
    per_region = _largest_remainder(
        departments, [DEPARTMENT_WEIGHTS[plan[r].kind] for r in regions], 1
    )
    department_indexes: list[int] = []
    for region, count in zip(regions, per_region, strict=True):
        parent = plan[region]
        provincial = parent.kind == OrgUnitKind.PROVINCE
        prefix = "" if provincial else parent.name
        for number in range(count):
            base = _level(DEPARTMENTS[number % len(DEPARTMENTS)], provincial)
            suffix = f"（{number // len(DEPARTMENTS) + 1}）" if number >= len(DEPARTMENTS) else ""
            plan.append(
                UnitPlan(
                    region,
                    OrgUnitKind.DEPARTMENT,
                    f"{prefix or PROVINCE[0]}{base}{suffix}",
                    f"{parent.code}-d{number + 1:03d}",
                    parent.division_code,
                    parent.city,
                )
            )
            department_indexes.append(len(plan) - 1)
    sections = _largest_remainder(
        below - departments, [rng.uniform(0.5, 1.5) for _ in department_indexes], 0
    )
    for department, count in zip(department_indexes, sections, strict=True):
        parent = plan[department]
        provincial = parent.city < 0
        own: list[int] = []
        children: dict[int, int] = {}
        for number in range(count):
            above = department
            if number >= 2 and rng.random() < SUBUNIT_SHARE:
                above = rng.choice(own)
            children[above] = children.get(above, 0) + 1
            if above == department:
                name = _level(SECTIONS[number % len(SECTIONS)], provincial)
                if number >= len(SECTIONS):
                    name += f"（{number // len(SECTIONS) + 1}）"
            else:
                name = f"第{children[above]}组"
            plan.append(
                UnitPlan(
                    above,
                    OrgUnitKind.UNIT,
                    name,
                    f"{parent.code}-u{number + 1:02d}",
                    parent.division_code,
                    parent.city,
                )
            )
            own.append(len(plan) - 1)
    return plan


def tree_paths(plan: Sequence[UnitPlan]) -> list[tuple[str, int, int]]:
    """(path, depth, numchild) of every unit, as treebeard would give them when the units
    are added one by one in plan order."""
    paths: list[str] = []
    depths: list[int] = []
    numchild = [0] * len(plan)
    roots = 0
    for unit in plan:
        if unit.parent < 0:
            roots += 1
            paths.append(OrgUnit._get_path(None, 1, roots))
            depths.append(1)
        else:
            numchild[unit.parent] += 1
            depth = depths[unit.parent] + 1
            paths.append(OrgUnit._get_path(paths[unit.parent], depth, numchild[unit.parent]))
            depths.append(depth)
    return [(p, d, n) for p, d, n in zip(paths, depths, numchild, strict=True)]


def tree_insert(plan: Sequence[UnitPlan], *, fast: bool = FAST_TREE) -> list[int]:
    """Insert the tree; returns the unit ids in plan order."""
    if not fast:
        created: list[OrgUnit] = []
        for unit in plan:
            created.append(
                org_unit_create(
                    parent=created[unit.parent] if unit.parent >= 0 else None,
                    name=unit.name,
                    kind=unit.kind,
                    division_code=unit.division_code,
                    code=unit.code,
                )
            )
        return [u.pk for u in created]
    first = next_id(OrgUnit)
    ids = list(range(first, first + len(plan)))
    rows = (
        (pk, path, depth, numchild, u.name, u.kind, u.division_code, u.code, True)
        for pk, u, (path, depth, numchild) in zip(ids, plan, tree_paths(plan), strict=True)
    )
    fields = ("id", "path", "depth", "numchild", "name", "kind", "division_code", "code")
    write_rows(OrgUnit, (*fields, "is_active"), rows)
    sequences_reset(OrgUnit)
    return ids


def tree_problems() -> list[str]:
    """What treebeard's find_problems checks, in one query: characters, step length,
    orphans, depth and numchild of every unit."""
    nodes = {
        path: (depth, numchild)
        for path, depth, numchild in OrgUnit.objects.values_list("path", "depth", "numchild")
    }
    step = OrgUnit.steplen
    children: dict[str, int] = {}
    problems: list[str] = []
    for path, (depth, _numchild) in nodes.items():
        if set(path) - set(OrgUnit.alphabet) or len(path) % step:
            problems.append(f"{path}: not a path of steplen {step}")
        if depth != len(path) // step:
            problems.append(f"{path}: depth {depth}")
        if len(path) > step:
            parent = path[:-step]
            if parent not in nodes:
                problems.append(f"{path}: no parent")
            children[parent] = children.get(parent, 0) + 1
    problems.extend(
        f"{path}: numchild {numchild}, has {children.get(path, 0)}"
        for path, (_depth, numchild) in nodes.items()
        if numchild != children.get(path, 0)
    )
    return problems


# --- time ------------------------------------------------------------------------------


def local_ts(day: date) -> int:
    """Epoch seconds of midnight at the start of ``day`` in Asia/Shanghai."""
    return int(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp())


def moment(ts: int) -> datetime:  # for the ORM; bulk rows keep epoch seconds
    return datetime.fromtimestamp(ts, UTC)


def local_day(ts: int) -> date:
    return datetime.fromtimestamp(ts, SHANGHAI).date()


class Clock:
    """The credit years (calendar years in Asia/Shanghai) up to ``today``; every moment the
    generator makes lies before midnight at the start of ``today``."""

    def __init__(self, today: date, years: int) -> None:
        self.today = today
        self.now = local_ts(today)
        self.years = list(range(today.year - years + 1, today.year + 1))
        self.starts = [local_ts(date(y, 1, 1)) for y in self.years]
        self.ends = [min(local_ts(date(y + 1, 1, 1)), self.now) for y in self.years]
        # Share of each year that has passed: 1 for past years.
        self.elapsed = [
            (end - start) / (local_ts(date(y + 1, 1, 1)) - start)
            for y, start, end in zip(self.years, self.starts, self.ends, strict=True)
        ]

    def year_index(self, ts: int) -> int:
        """Index into ``years`` of the credit year of a moment inside them."""
        return bisect_right(self.starts, ts) - 1

    def between(self, rng: random.Random, start: int, end: int) -> int:
        """A moment in [start, end) in working hours (08:00 to 22:00 local) where possible;
        it may lie after ``now``: callers decide what a moment in the future means."""
        if end - start <= 1:
            return start
        ts = start + below(rng, end - start)
        hour = (ts + 8 * 3600) % DAY // 3600
        if hour < 8:
            ts += 10 * 3600
        elif hour >= 22:
            ts -= 10 * 3600
        return min(max(ts, start), end - 1)


def below(rng: random.Random, n: int) -> int:
    """A number in [0, n): rng.randrange's distribution near enough, at a fifth of its cost
    (it runs a few million times at full size)."""
    return int(rng.random() * n)


# --- people ----------------------------------------------------------------------------


@dataclass
class People:
    first_id: int
    unit: list[int]  # plan index of each person's unit
    rank: bytearray  # index into RANKS
    active: bytearray
    diligence: array  # 0..1: how keen on training (completions, hours)
    names: list[str]
    city: list[int]  # index into CITIES, -1 for provincial units

    def __len__(self) -> int:
        return len(self.unit)


def people_insert(
    plan: Sequence[UnitPlan], unit_ids: Sequence[int], count: int, rng: random.Random, clock: Clock
) -> People:
    """Logins (one shared unusable password hash) and people, spread over departments and
    sections; employee numbers as the roster makes them, ZJ + division code + number."""
    workplaces = [
        i for i, u in enumerate(plan) if u.kind in (OrgUnitKind.DEPARTMENT, OrgUnitKind.UNIT)
    ]
    weights = [
        2.0 if plan[i].kind == OrgUnitKind.DEPARTMENT else rng.uniform(0.5, 2.0) for i in workplaces
    ]
    units = rng.choices(workplaces, cum_weights=list(accumulate(weights)), k=count)
    rank_weights = list(accumulate(share for _rank, share, _position in RANK_SHARES))
    ranks = bytearray(rng.choices(range(len(RANKS)), cum_weights=rank_weights, k=count))
    active = bytearray(rng.random() >= INACTIVE_SHARE for _ in range(count))
    diligence = array("d", (rng.betavariate(2.2, 1.4) for _ in range(count)))
    names = [
        rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        for _ in range(count)
    ]
    people = People(
        next_id(Person), units, ranks, active, diligence, names, [plan[u].city for u in units]
    )
    first_user = next_id(User)
    unusable = make_password(None)
    joined_from = clock.starts[0] - 8 * 365 * DAY
    joined = [joined_from + below(rng, clock.starts[0] - joined_from) for _ in range(count)]
    issued: dict[str, int] = {}
    numbers = []
    for unit in units:
        division = plan[unit].division_code
        issued[division] = issued.get(division, 0) + 1
        numbers.append(f"ZJ{division}{issued[division]:06d}")
    write_rows(
        User,
        (
            "id password last_login is_superuser username first_name last_name email is_staff "
            "is_active date_joined"
        ).split(),
        (
            (
                first_user + i,
                unusable,
                None,
                False,
                f"p{i + 1:06d}",
                "",
                "",
                "",
                False,
                bool(active[i]),
                joined[i],
            )
            for i in range(count)
        ),
        ("date_joined",),
    )
    write_rows(
        Person,
        (
            "id user_id real_name employee_number org_unit_id rank position is_active created_at "
            "updated_at"
        ).split(),
        (
            (
                people.first_id + i,
                first_user + i,
                names[i],
                numbers[i],
                unit_ids[units[i]],
                RANKS[ranks[i]],
                RANK_SHARES[ranks[i]][2],
                bool(active[i]),
                joined[i],
                joined[i],
            )
            for i in range(count)
        ),
        ("created_at", "updated_at"),
    )
    sequences_reset(User, Person)
    return people


@dataclass
class Accounts:
    province_officer: Person
    county_officer: Person
    learner: Person
    city_officers: dict[int, Person]  # city index -> the city's HR officer
    county: OrgUnit
    city: OrgUnit  # the county's city

    def all(self) -> list[Person]:
        return [
            self.province_officer,
            self.county_officer,
            self.learner,
            *self.city_officers.values(),
        ]


def _first_child(plan: Sequence[UnitPlan], parent: int, kind: str, name_end: str = "") -> int:
    children = [i for i, u in enumerate(plan) if u.parent == parent and u.kind == kind]
    named = [i for i in children if name_end and plan[i].name.endswith(name_end)]
    return (named or children or [parent])[0]


def accounts_create(plan: Sequence[UnitPlan], unit_ids: Sequence[int], password: str) -> Accounts:
    """The benchmark's sign-ins and each city's HR officer, through the services (roles as
    an administrator grants them: RoleAssignment + person_account_sync)."""
    units: dict[int, OrgUnit] = {}

    def unit(index: int) -> OrgUnit:
        if index not in units:
            units[index] = OrgUnit.objects.get(pk=unit_ids[index])
        return units[index]

    def person(
        username: str, name: str, at: int, secret: str | None, hr_over: int | None
    ) -> Person:
        created = person_create(
            username=username,
            real_name=name,
            employee_number=f"ZJ{plan[at].division_code}B{len(made) + 1:05d}",
            org_unit=unit(at),
            password=secret,
            position="科员" if hr_over is None else "人事干部",
            rank=Rank.LEVEL_2_PRINCIPAL_CLERK,
        )
        made.append(created)
        if hr_over is not None:
            role_grant(person=created, role=Role.HR_OFFICER, org_unit=unit(hr_over))
        return Person.objects.select_related("user", "org_unit").get(pk=created.pk)

    made: list[Person] = []
    cities = [i for i, u in enumerate(plan) if u.kind == OrgUnitKind.CITY]
    city = cities[len(cities) // 2]
    county = _first_child(plan, city, OrgUnitKind.COUNTY)
    county_department = _first_child(plan, county, OrgUnitKind.DEPARTMENT)
    hr_department = _first_child(plan, 0, OrgUnitKind.DEPARTMENT, DEPARTMENTS[HR_DEPARTMENT])
    province_officer = person("bench_province", "林志华", hr_department, password, 0)
    county_officer = person("bench_county", "陈晓燕", county_department, password, county)
    learner = person(
        "bench_learner",
        "张晓明",
        _first_child(plan, county_department, OrgUnitKind.UNIT),
        password,
        None,
    )
    city_officers = {}
    for index in cities:
        department = _first_child(
            plan, index, OrgUnitKind.DEPARTMENT, _level(DEPARTMENTS[HR_DEPARTMENT], False)
        )
        city_officers[plan[index].city] = person(
            f"hr_{plan[index].code}",
            f"{SURNAMES[index % len(SURNAMES)]}人事",
            department,
            None,
            index,
        )
    return Accounts(
        province_officer, county_officer, learner, city_officers, unit(county), unit(city)
    )


# --- courses, targets, plans -----------------------------------------------------------


@dataclass
class Catalogue:
    ids: list[int]
    titles: list[str]
    hours: list[int]  # tenths of an hour
    exams: dict[int, int]  # course index -> exam id (lessons_and_exam courses)
    provincial: list[list[int]]  # per credit year
    city: list[int]  # per credit year
    leaders: int


def plan_shape(
    people: People, plan: Sequence[UnitPlan], clock: Clock, rng: random.Random, wanted: int
) -> tuple[int, list[list[int]]]:
    """How many provincial plan courses in all, and which cities run a plan of their own
    each year, so that about 70% of the ``wanted`` enrolments come from plans."""
    cities = [i for i, u in enumerate(plan) if u.kind == OrgUnitKind.CITY]
    chosen = [rng.sample(cities, max(1, round(len(cities) / 4))) for _year in clock.years]
    active = [i for i in range(len(people)) if people.active[i]]
    everyone = Counter(people.city[i] for i in active)
    new_clerks = Counter(people.city[i] for i in active if RANKS[people.rank[i]] in NEW_CLERK_RANKS)
    cities_total = sum(
        (new_clerks if n == 0 else everyone)[plan[c].city]
        for year in chosen
        for n, c in enumerate(year)
    )
    leaders = sum(1 for i in active if RANKS[people.rank[i]] in LEADER_RANKS)
    years = len(clock.years)
    slots = round((0.7 * wanted - cities_total - leaders) / max(1, len(active)))
    return min(3 * years, max(years, slots)), chosen


def catalogue_create(clock: Clock, slots: int, count: int) -> Catalogue:
    """``count`` courses (COURSES first) as live Wagtail pages of one lesson each under the
    catalogue page; ``slots`` provincial plan courses, the latest years with the most."""
    index = CourseIndexPage.objects.first()
    if index is None:
        raise Refused("There is no course catalogue page (courses migration 0002 creates it).")
    years = len(clock.years)
    needed = slots + years + 4  # city courses, the leaders', two exam courses, one elective
    if count < needed:
        raise Refused(f"--courses must be at least {needed} at these sizes")
    extra = [
        (f"专题课程{n}", "3.0", n % len(CATEGORIES)) for n in range(1, count - len(COURSES) + 1)
    ]
    published = moment(clock.starts[0] - 30 * DAY)
    provincial_counts = [slots // years + (y >= years - slots % years) for y in range(years)]
    categories = [
        CourseCategory.objects.get_or_create(slug=slug, defaults={"name": name, "sort_order": n})[0]
        for n, (name, slug) in enumerate(CATEGORIES)
    ]
    exam_courses = {count - 2, count - 1}
    ids, titles, hours = [], [], []
    for number, (title, credit_hours, category) in enumerate([*COURSES, *extra][:count]):
        course = CoursePage(
            title=title,
            slug=f"province-course-{number + 1:02d}",
            credit_hours=Decimal(credit_hours),
            summary=f"{title}：面向全省公务员的在线课程。",
            category=categories[category],
            completion_rule=CompletionRule.LESSONS_AND_EXAM
            if number in exam_courses
            else CompletionRule.LESSONS,
            first_published_at=published,
            last_published_at=published,
        )
        # Pages are live as added. No revisions: save_revision().publish() would double the
        # cost of this step (Wagtail's publish action, search indexing), and the first edit
        # in the admin starts a page's history anyway.
        CourseIndexPage.objects.get(pk=index.pk).add_child(instance=course)
        lesson = LessonPage(
            title="第1课",
            slug=f"province-course-{number + 1:02d}-1",
            required_minutes=30,
            body=[("paragraph", f"<p>{title}：第1课。</p>")],
            first_published_at=published,
            last_published_at=published,
        )
        course.add_child(instance=lesson)
        ids.append(course.pk)
        titles.append(title)
        hours.append(int(Decimal(credit_hours) * 10))
    exams = {
        c: Exam.objects.create(
            title=f"{titles[c]}结业考试",
            course_id=ids[c],
            duration_minutes=60,
            attempts_allowed=2,
            pass_percent=Decimal(PASS_PERCENT),
            is_published=True,
        ).pk
        for c in sorted(exam_courses)
    }
    rules = LearningRules.load()
    rules.exam_pass_bonus_hours = EXAM_BONUS_HOURS
    rules.save()
    starts = list(accumulate([0, *provincial_counts]))
    return Catalogue(
        ids,
        titles,
        hours,
        exams,
        [list(range(starts[y], starts[y + 1])) for y in range(years)],
        [slots + y for y in range(years)],
        slots + years,
    )


# Targets: the province's default for everyone, more for new clerks, less for senior
# ranks; a few cities set their own.
PROVINCE_TARGETS = {
    "": 50,
    Rank.LEVEL_2_CLERK: 60,
    Rank.LEVEL_1_RESEARCHER: 40,
    Rank.LEVEL_2_RESEARCHER: 40,
}
CITY_TARGETS = (60, 45, 55)


def targets_create(
    clock: Clock, unit_ids: Sequence[int], plan: Sequence[UnitPlan], rng: random.Random
) -> dict[tuple[int, str, int], int]:
    """Credit targets for every year; returns hours by (city or -1, rank, year)."""
    cities = [i for i, u in enumerate(plan) if u.kind == OrgUnitKind.CITY]
    own = rng.sample(cities, min(len(CITY_TARGETS), len(cities)))
    hours: dict[tuple[int, str, int], int] = {}
    rows = []
    for year in clock.years:
        for rank, value in PROVINCE_TARGETS.items():
            hours[(-1, rank, year)] = value
            rows.append(
                CreditTarget(
                    org_unit_id=unit_ids[0], rank=rank, credit_year=year, hours=Decimal(value)
                )
            )
        for index, value in zip(own, CITY_TARGETS, strict=False):
            hours[(plan[index].city, "", year)] = value
            rows.append(
                CreditTarget(
                    org_unit_id=unit_ids[index], rank="", credit_year=year, hours=Decimal(value)
                )
            )
    CreditTarget.objects.bulk_create(rows)
    return hours


@dataclass(frozen=True)
class PlanFacts:
    pk: int
    year: int
    courses: tuple[int, ...]
    city: int  # -1: province-wide
    ranks: frozenset[str]
    due: date
    due_end: int
    created: int


def plans_create(
    clock: Clock,
    catalogue: Catalogue,
    accounts: Accounts,
    unit_ids: Sequence[int],
    plan: Sequence[UnitPlan],
    cities: list[list[int]],
    rng: random.Random,
) -> list[PlanFacts]:
    """Per year: the province's mandatory plan, some cities' plans (``cities``: the first
    of each year for new clerks only) and, in the latest year, a plan for senior ranks."""
    facts: list[PlanFacts] = []

    def make(
        name: str,
        year: int,
        unit: int,
        courses: Sequence[int],
        ranks: frozenset[str],
        due: date,
        created: date,
        by: Person,
    ) -> None:
        training_plan = TrainingPlan.objects.create(
            name=name,
            org_unit_id=unit_ids[unit],
            ranks=sorted(ranks),
            credit_year=year,
            due_date=due,
            mandatory=True,
            created_by=by,
        )
        training_plan.courses.set([catalogue.ids[c] for c in courses])
        created = min(created, clock.today - timedelta(days=1))
        created_ts = local_ts(created) + 9 * 3600 + rng.randrange(3600)
        TrainingPlan.objects.filter(pk=training_plan.pk).update(created_at=moment(created_ts))
        facts.append(
            PlanFacts(
                training_plan.pk,
                year,
                tuple(courses),
                plan[unit].city,
                ranks,
                due,
                local_ts(due + timedelta(days=1)) - 1,
                created_ts,
            )
        )

    for y, year in enumerate(clock.years):
        make(
            f"{year}年度全省公务员网络培训必修课",
            year,
            0,
            catalogue.provincial[y],
            frozenset(),
            date(year, 11, 30),
            date(year, 1, 15),
            accounts.province_officer,
        )
        for n, index in enumerate(cities[y]):
            city = plan[index]
            ranks = NEW_CLERK_RANKS if n == 0 else frozenset()
            label = "新录用公务员专题培训" if ranks else "机关干部专题培训"
            make(
                f"{year}年度{city.name}{label}",
                year,
                index,
                [catalogue.city[y]],
                ranks,
                date(year, 9, 30),
                date(year, 3, 1) + timedelta(days=rng.randrange(20)),
                accounts.city_officers[city.city],
            )
    year = clock.years[-1]
    make(
        f"{year}年度领导干部数字素养专题培训",
        year,
        0,
        [catalogue.leaders],
        LEADER_RANKS,
        date(year, 6, 30),
        date(year, 2, 20),
        accounts.province_officer,
    )
    return facts


# --- enrolments, attempts, certificates ------------------------------------------------

SOURCES = (CreditSource.COURSE, CreditSource.EXAM_BONUS, CreditSource.OFFLINE)
COURSE, BONUS, OFFLINE = range(3)


class Ledger:
    """学时 records waiting to be written in the order they were recorded (compact columns)."""

    def __init__(self) -> None:
        self.person = array("l")
        self.course = array("b")  # course index, -1 for offline
        self.source = array("b")
        self.hours = array("l")  # tenths
        self.awarded = array("q")
        self.created = array("q")
        self.enrolment = array("q")
        self.entered_by = array("l")  # person id (offline)
        self.reason = array("b")  # index into OFFLINE_REASONS (offline)

    def __len__(self) -> int:
        return len(self.person)

    def add(
        self,
        person: int,
        course: int,
        source: int,
        hours: int,
        awarded: int,
        created: int,
        enrolment: int = 0,
        entered_by: int = 0,
        reason: int = 0,
    ) -> None:
        self.person.append(person)
        self.course.append(course)
        self.source.append(source)
        self.hours.append(hours)
        self.awarded.append(awarded)
        self.created.append(created)
        self.enrolment.append(enrolment)
        self.entered_by.append(entered_by)
        self.reason.append(reason)


@dataclass
class Province:
    """What the later steps need to know of the earlier ones."""

    clock: Clock
    rng: random.Random
    people: People
    catalogue: Catalogue
    plans: list[PlanFacts]
    accounts: Accounts
    targets: dict[tuple[int, str, int], int]
    ledger: Ledger
    earned: array  # tenths of an hour from courses, per person and credit year

    def year_index(self, ts: int) -> int:
        return self.clock.year_index(ts)


def _in_scope(province: Province, plan: PlanFacts, i: int) -> bool:
    people = province.people
    return bool(
        people.active[i]
        and (plan.city < 0 or people.city[i] == plan.city)
        and (not plan.ranks or RANKS[people.rank[i]] in plan.ranks)
    )


ENROLMENT_FIELDS = (
    "id person_id course_id source training_plan_id mandatory due_date status enrolled_at "
    "completed_at exam_passed_at last_lesson_id"
).split()


def enrolments_insert(province: Province, wanted: int) -> dict[str, int]:
    """Plan enrolments for everyone active in each plan's scope (as training_plan_apply
    makes them, course by course), then electives through the year; completions credit
    their course, exam courses get their attempts, some completions a certificate."""
    clock, rng, people, catalogue = (
        province.clock,
        province.rng,
        province.people,
        province.catalogue,
    )
    count, years = len(people), len(clock.years)
    enrolled_in = [0] * count  # bit mask of course indexes
    # Courses a plan assigns a person, some year: never their electives, because
    # training_plan_apply would turn such an elective into the plan's enrolment.
    planned = [0] * count
    mandatory = 0
    for plan in province.plans:
        bits = sum(1 << c for c in plan.courses)
        for i in range(count):
            if _in_scope(province, plan, i):
                planned[i] |= bits
                mandatory += len(plan.courses)
    electives = _largest_remainder(
        max(0, wanted - mandatory), [max(e, 0.01) for e in clock.elapsed], 0
    )
    first_elective = catalogue.leaders + 1
    popularity = [
        0.25 if c < first_elective else 1 / (c - first_elective + 1) ** 0.6
        for c in range(len(catalogue.ids))
    ]
    popular = list(accumulate(popularity))
    certificate_share = min(1.0, max(10, count // 10) / max(1.0, 0.65 * wanted))
    attempts: list[tuple[int, int, int, int, int, bool]] = []
    certificates: list[tuple[int, int, int, bool]] = []
    first = next_id(Enrolment)
    tally = {"enrolments": 0, "mandatory": 0, "completed": 0, "overdue": 0}

    def one(i: int, c: int, enrolled: int, plan: PlanFacts | None) -> tuple:
        pk = first + tally["enrolments"]
        tally["enrolments"] += 1
        keen = people.diligence[i]
        done: int | None = None
        if plan is not None:
            tally["mandatory"] += 1
            if rng.random() < 0.55 + 0.4 * keen:
                if rng.random() < 0.88:
                    done = clock.between(rng, enrolled + DAY, plan.due_end)
                else:  # late, after the due date
                    done = clock.between(rng, plan.due_end, plan.due_end + 45 * DAY)
        elif rng.random() < 0.45 + 0.35 * keen:
            done = enrolled + DAY + int(rng.expovariate(1 / (25 * DAY)))
        if done is not None and done >= clock.now:
            done = None
        exam = catalogue.exams.get(c)
        if exam is not None:
            if done is not None:
                number = 1
                if rng.random() < 0.25 and done - enrolled > 3 * 3600:
                    failed = clock.between(rng, enrolled + 3600, done - 3600)
                    attempts.append((exam, i, 1, failed, 2000 + below(rng, 4000), False))
                    number = 2
                attempts.append((exam, i, number, done, 6000 + below(rng, 4001), True))
            elif rng.random() < 0.25:
                failed = clock.between(rng, enrolled + 3600, clock.now)
                attempts.append((exam, i, 1, failed, 2000 + below(rng, 4000), False))
        if done is not None:
            tally["completed"] += 1
            slot = i * years + province.year_index(done)
            province.ledger.add(i, c, COURSE, catalogue.hours[c], done, done, pk)
            province.earned[slot] += catalogue.hours[c]
            if exam is not None:
                bonus = int(EXAM_BONUS_HOURS * 10)
                province.ledger.add(i, c, BONUS, bonus, done, done, pk)
                province.earned[slot] += bonus
            if rng.random() < certificate_share:
                certificates.append((i, c, done, exam is not None))
        elif plan is not None and plan.due_end < clock.now:
            tally["overdue"] += 1
        return (
            pk,
            people.first_id + i,
            catalogue.ids[c],
            EnrolmentSource.ELECTIVE if plan is None else EnrolmentSource.PLAN,
            None if plan is None else plan.pk,
            plan is not None,
            None if plan is None else plan.due,
            EnrolmentStatus.ACTIVE if done is None else EnrolmentStatus.COMPLETED,
            enrolled,
            done,
            None if exam is None else done,
            None,
        )

    def rows() -> Iterator[tuple]:
        for y, year in enumerate(clock.years):
            for plan in (p for p in province.plans if p.year == year):
                for c in plan.courses:
                    bit = 1 << c
                    for i in range(count):
                        if not enrolled_in[i] & bit and _in_scope(province, plan, i):
                            enrolled_in[i] |= bit
                            yield one(i, c, plan.created + below(rng, 600), plan)
            for _ in range(electives[y]):
                while True:
                    i = below(rng, count)
                    if not people.active[i] and rng.random() < 0.8:
                        continue  # people who left still appear, more rarely
                    c = rng.choices(range(len(popular)), cum_weights=popular)[0]
                    if not (enrolled_in[i] | planned[i]) & (1 << c):
                        break
                enrolled_in[i] |= 1 << c
                yield one(i, c, clock.between(rng, clock.starts[y], clock.ends[y] - DAY), None)

    write_rows(
        Enrolment, ENROLMENT_FIELDS, rows(), ("enrolled_at", "completed_at", "exam_passed_at")
    )
    tally["attempts"] = _attempts_insert(province, attempts)
    tally["certificates"] = _certificates_insert(province, certificates)
    sequences_reset(Enrolment, Attempt, Certificate)
    return tally


def _attempts_insert(
    province: Province, attempts: list[tuple[int, int, int, int, int, bool]]
) -> int:
    """Graded attempts (a paper of 100 points; no questions or answers are generated)."""
    rng, first_person = province.rng, province.people.first_id
    first = next_id(Attempt)
    rows = []
    for n, (exam, i, number, finished, score, passed) in enumerate(
        sorted(attempts, key=lambda a: a[3])
    ):
        started = finished - rng.randrange(15 * 60, 58 * 60)
        rows.append(
            (
                first + n,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                exam,
                first_person + i,
                number,
                AttemptState.GRADED,
                started,
                started + 3600,
                finished,
                finished,
                Decimal(score).scaleb(-2),
                Decimal("100.00"),
                passed,
            )
        )
    fields = (
        "id public_id exam_id person_id number state started_at deadline finished_at "
        "graded_at score max_score passed"
    ).split()
    return write_rows(Attempt, fields, rows, ("started_at", "deadline", "finished_at", "graded_at"))


def _certificates_insert(province: Province, certificates: list[tuple[int, int, int, bool]]) -> int:
    """Issued certificates with serials per year in issue order and unique codes; their
    PDFs are not rendered (``pdf`` names a file that does not exist)."""
    rng, people, catalogue = province.rng, province.people, province.catalogue
    prefix, issuer = settings.CERTIFICATE_SERIAL_PREFIX, settings.CERTIFICATE_ISSUER
    token_alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    serials: dict[int, int] = {}
    codes: set[str] = set()
    first = next_id(Certificate)
    rows = []
    for n, (i, c, done, exam) in enumerate(sorted(certificates, key=lambda x: x[2])):
        day = local_day(done)
        serials[day.year] = serials.get(day.year, 0) + 1
        code = ""
        while not code or code in codes:
            code = "".join(rng.choices(CODE_ALPHABET, k=CODE_LENGTH))
        codes.add(code)
        rule = CompletionRule.LESSONS_AND_EXAM if exam else CompletionRule.LESSONS
        rows.append(
            (
                first + n,
                people.first_id + i,
                catalogue.ids[c],
                day.year,
                CertificateStatus.ISSUED,
                f"{prefix}-{day.year}-{serials[day.year]:06d}",
                code,
                people.names[i],
                catalogue.titles[c],
                Decimal(catalogue.hours[c]).scaleb(-1),
                issuer,
                day,
                day,
                basis_for(completion_rule=rule, exam_passed=exam),
                None,
                None,
                f"certificates/{day.year}/{''.join(rng.choices(token_alphabet, k=32))}.pdf",
                "",
                None,
                None,
                None,
                "",
                done + 60 + below(rng, 540),
            )
        )
    fields = (
        "id person_id course_id cycle status serial code holder_name course_title "
        "credit_hours issuer issued_on completed_on basis expires_on template_id pdf failure "
        "replaces_id revoked_at revoked_by_id revoke_reason created_at"
    ).split()
    written = write_rows(Certificate, fields, rows, ("revoked_at", "created_at"))
    SerialCounter.objects.bulk_create(
        SerialCounter(prefix=prefix, year=year, last=last) for year, last in sorted(serials.items())
    )
    return written


# --- the ledger ------------------------------------------------------------------------


def _target(province: Province, i: int, year: int) -> int:
    """Hours a person must earn in a year, roughly as the dashboards resolve it."""
    rank, city = RANKS[province.people.rank[i]], province.people.city[i]
    targets = province.targets
    if rank and (-1, rank, year) in targets:
        return targets[(-1, rank, year)]
    return targets.get((city, "", year), targets[(-1, "", year)])


def _split(tenths: int, parts: int, rng: random.Random) -> list[int]:
    """``tenths`` of an hour over ``parts`` records, in half hours, each 0.5 to 200 hours."""
    if tenths < 10 * parts:
        return [5 * rng.randint(1, 4) for _ in range(parts)]
    weights = [rng.random() + 0.5 for _ in range(parts)]
    total = sum(weights)
    return [min(2000, max(5, round(tenths * w / total / 5) * 5)) for w in weights]


def offline_add(province: Province, count: int) -> None:
    """``count`` offline records spread over people and years (fewer for people who left,
    fewer in the year still running), sized so that each person's year ends near their
    own share of the target: keen people above it, others below."""
    if count <= 0:
        return
    clock, rng, people = province.clock, province.rng, province.people
    years = len(clock.years)
    weights = [
        clock.elapsed[y] * (1.0 if people.active[i] else 0.3)
        for i in range(len(people))
        for y in range(years)
    ]
    counts = array("l", [0]) * len(weights)
    for slot in rng.choices(range(len(weights)), cum_weights=list(accumulate(weights)), k=count):
        counts[slot] += 1
    officers = {city: officer.pk for city, officer in province.accounts.city_officers.items()}
    officers[-1] = province.accounts.province_officer.pk
    for slot, records in enumerate(counts):
        if not records:
            continue
        i, y = divmod(slot, years)
        share = (0.55 + 0.9 * people.diligence[i] + rng.gauss(0, 0.08)) * clock.elapsed[y]
        if not people.active[i]:
            share *= 0.3
        missing = int(share * _target(province, i, clock.years[y]) * 10) - province.earned[slot]
        days = max(1, (clock.ends[y] - clock.starts[y]) // DAY)
        for hours in _split(missing, records, rng):
            awarded = clock.starts[y] + DAY * below(rng, days)
            entered = awarded + DAY * below(rng, 20) + 9 * 3600 + below(rng, 9 * 3600)
            province.ledger.add(
                i,
                -1,
                OFFLINE,
                hours,
                awarded,
                min(entered, clock.now - 1),
                entered_by=officers[people.city[i]],
                reason=below(rng, len(OFFLINE_REASONS)),
            )


CREDIT_FIELDS = (
    "id person_id credit_year hours source course_id reference reason awarded_at entered_by_id "
    "created_at"
).split()


def credits_insert(province: Province) -> dict[str, int]:
    """The ledger in the order it was recorded (by created_at), as a live one grows."""
    ledger, catalogue = province.ledger, province.catalogue
    order = sorted(range(len(ledger)), key=ledger.created.__getitem__)
    first, first_person = next_id(CreditRecord), province.people.first_id
    decimals = {t: Decimal(t).scaleb(-1) for t in set(ledger.hours)}
    course_reasons = [f"完成课程“{t}”" for t in catalogue.titles]
    bonus_reasons = [f"通过“{t}”课程考试" for t in catalogue.titles]
    tally = dict.fromkeys(SOURCES, 0)

    def rows() -> Iterator[tuple]:
        for n, j in enumerate(order):
            source, course = ledger.source[j], ledger.course[j]
            tally[SOURCES[source]] += 1
            awarded = ledger.awarded[j]
            if source == OFFLINE:
                course_id, reference, reason = None, "", OFFLINE_REASONS[ledger.reason[j]]
                entered_by: int | None = ledger.entered_by[j]
            else:
                course_id, reference = catalogue.ids[course], f"enrolment:{ledger.enrolment[j]}"
                reason = (course_reasons if source == COURSE else bonus_reasons)[course]
                entered_by = None
            yield (
                first + n,
                first_person + ledger.person[j],
                province.clock.years[province.clock.year_index(awarded)],
                decimals[ledger.hours[j]],
                SOURCES[source],
                course_id,
                reference,
                reason,
                awarded,
                entered_by,
                ledger.created[j],
            )

    write_rows(CreditRecord, CREDIT_FIELDS, rows(), ("awarded_at", "created_at"))
    sequences_reset(CreditRecord)
    return {str(source): n for source, n in tally.items()}


# --- all of it -------------------------------------------------------------------------


def refuse_unless_empty() -> None:
    for model, what in (
        (Person, "people"),
        (OrgUnit, "organisation units"),
        (CoursePage, "courses"),
    ):
        found = model._default_manager.count()
        if found:
            raise Refused(
                f"The database already holds {found} {what}: generate_province only fills an "
                "empty database. Create a fresh one and migrate it first."
            )


def generate(
    sizes: Sizes, *, password: str, progress: Callable[[str], None] = log
) -> dict[str, Any]:
    """Build the province; returns counts, timings and the benchmark's accounts."""
    if sizes.people < 50 or not 1 <= sizes.years <= 3 or min(sizes.enrolments, sizes.credits) < 0:
        raise Refused("--people must be at least 50, --years 1 to 3, the other sizes >= 0")
    refuse_unless_empty()
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    step = started

    def done(label: str, message: str) -> None:
        nonlocal step
        now = time.perf_counter()
        seconds[label] = round(now - step, 1)
        progress(f"  {message} in {now - step:.1f} s (total {now - started:.1f} s)")
        step = now

    rng = random.Random(sizes.seed)
    clock = Clock(sizes.today or datetime.now(SHANGHAI).date(), sizes.years)
    plan = tree_plan(sizes.units, rng)
    unit_ids = tree_insert(plan)
    problems = tree_problems()
    if problems:
        raise RuntimeError(f"the tree is not valid: {problems[:5]}")
    done(
        "tree",
        f"tree: {len(plan)} units "
        f"({'computed paths' if FAST_TREE else 'org_unit_create'}), checked",
    )
    people = people_insert(plan, unit_ids, sizes.people, rng, clock)
    done("people", f"people: {len(people)} logins and people")
    with transaction.atomic():
        accounts = accounts_create(plan, unit_ids, password)
    done("accounts", f"accounts: {len(accounts.all())} through org.services")
    with transaction.atomic():
        slots, cities = plan_shape(people, plan, clock, rng, sizes.enrolments)
        with quiet("wagtail"):
            catalogue = catalogue_create(clock, slots, sizes.courses)
        targets = targets_create(clock, unit_ids, plan, rng)
        plans = plans_create(clock, catalogue, accounts, unit_ids, plan, cities, rng)
    done(
        "catalogue",
        f"catalogue: {len(catalogue.ids)} courses, {len(catalogue.exams)} exams, "
        f"{len(plans)} plans",
    )
    province = Province(
        clock,
        rng,
        people,
        catalogue,
        plans,
        accounts,
        targets,
        Ledger(),
        array("l", [0]) * (len(people) * len(clock.years)),
    )
    tally = enrolments_insert(province, sizes.enrolments)
    done(
        "enrolments",
        f"enrolments: {tally['enrolments']} ({tally['completed']} completed), "
        f"{tally['attempts']} attempts, {tally['certificates']} certificates",
    )
    offline_add(province, sizes.credits - len(province.ledger))
    credits = credits_insert(province)
    done("credits", f"credits: {sum(credits.values())} {credits}")
    with transaction.atomic():
        for person in accounts.all():
            training_plans_apply_for_person(person=person)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    done("finish", "accounts enrolled in their plans, ANALYZE")
    counts = {
        "org_units": OrgUnit.objects.count(),
        "people": Person.objects.count(),
        "inactive_people": Person.objects.filter(is_active=False).count(),
        "courses": CoursePage.objects.count(),
        "credit_targets": CreditTarget.objects.count(),
        "training_plans": TrainingPlan.objects.count(),
        "enrolments": tally["enrolments"],
        "enrolments_mandatory": tally["mandatory"],
        "enrolments_completed": tally["completed"],
        "enrolments_overdue": tally["overdue"],
        "credit_records": sum(credits.values()),
        **{f"credit_records_{source}": n for source, n in credits.items()},
        "attempts": tally["attempts"],
        "certificates": tally["certificates"],
    }
    seconds["total"] = round(time.perf_counter() - started, 1)

    def account(person: Person, role: str, scope: OrgUnit | None) -> dict[str, Any]:
        return {
            "username": person.user.username,
            "role": role,
            "scope_unit_id": None if scope is None else scope.pk,
            "scope_unit": None if scope is None else scope.name,
            "person_unit": person.org_unit.name,
        }

    root = OrgUnit.objects.get(pk=unit_ids[0])
    return {
        "counts": counts,
        "seconds": seconds,
        "accounts": [
            account(accounts.province_officer, Role.HR_OFFICER, root),
            account(accounts.county_officer, Role.HR_OFFICER, accounts.county),
            account(accounts.learner, Role.LEARNER, None),
        ],
        "province_id": root.pk,
        "drill_down_city_id": accounts.city.pk,
        "drill_down_city": accounts.city.name,
        "county_id": accounts.county.pk,
        "years": clock.years,
        "today": clock.today.isoformat(),
        "seed": sizes.seed,
        "fast_tree": FAST_TREE,
    }
