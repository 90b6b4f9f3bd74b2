"""Reads of the training dashboards (培训统计): the stored figures, cut to the officer's scope.

Every page starts from ``dashboard_node``: the request's year and unit, validated against
the years with data and looked up in ``request.scope`` (org.access), so a unit outside the
scope is a 404 and nothing here decides scope itself. A node is one unit of the scope, or,
for an officer with several subtrees, the set of them (``unit`` None). Its figures are one
stored row (a unit's subtree) or the sum of a few (several roots); its drill-down is the
stored rows of its child units plus, where people sit directly in it, the unit itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards import figures as fig
from dashboards import refresh
from dashboards.models import Basis, PersonYear, Refresh, UnitYear
from org.models import OrgUnit
from org.selectors import Scope

PEOPLE_PAGE_SIZE = 25


# --- the request's year and unit ---------------------------------------------------------


def parse_year(raw: str | None, *, now: Any = None, years: list[int] | None = None) -> int:
    """The credit year asked for (default: this year in Asia/Shanghai). A year that is not
    a number or has no data is a 400 with a message saying which years there are."""
    years = years if years is not None else refresh.years_shown(now)
    if raw in (None, ""):
        return years[0]
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4) or int(text) not in years:
        raise BadRequest(
            _("There are figures for the credit years %(first)s to %(last)s only.")
            % {"first": years[-1], "last": years[0]}
        )
    return int(text)


def parse_id(raw: str | None) -> int | None:
    """An id from a query string: None when absent, a 404 when it cannot be one."""
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) == 0:
        raise Http404
    return int(text)


@dataclass
class Node:
    """Where in the tree a dashboard page stands: a unit of the scope, or (``unit`` None)
    the whole of a scope made of several subtrees, or the whole tree for an administrator."""

    scope: Scope
    unit: OrgUnit | None
    roots: list[OrgUnit]  # the outermost units the officer may see
    trail: list[OrgUnit]  # from the scope root containing ``unit`` down to ``unit``

    @property
    def top(self) -> bool:
        return self.unit is None or (len(self.roots) == 1 and self.unit == self.roots[0])

    @property
    def name(self) -> str:
        if self.unit is not None:
            return self.unit.name
        return _("All units in your scope")

    @property
    def paths(self) -> list[str]:
        return [self.unit.path] if self.unit is not None else [root.path for root in self.roots]


def scope_roots(scope: Scope) -> list[OrgUnit]:
    if scope.roots is None:
        return list(OrgUnit.objects.filter(depth=1).order_by("path"))
    return list(scope.roots)


def dashboard_node(scope: Scope, unit_id: int | None) -> Node:
    """The node a page shows: ``unit_id`` looked up in the scope (else 404), or the scope
    itself: its one root, or all of its roots."""
    if not scope.manages_people:
        raise Http404
    roots = scope_roots(scope)
    if unit_id is None:
        unit = roots[0] if len(roots) == 1 else None
    else:
        unit = scope.units().filter(pk=unit_id).first()
        if unit is None:
            raise Http404
    trail: list[OrgUnit] = []
    if unit is not None:
        root = max((r for r in roots if unit.path.startswith(r.path)), key=lambda r: len(r.path))
        steps = range(len(root.path), len(unit.path) + 1, OrgUnit.steplen)
        trail = list(
            OrgUnit.objects.filter(path__in=[unit.path[:end] for end in steps]).order_by("path")
        )
    return Node(scope=scope, unit=unit, roots=roots, trail=trail)


# --- figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    """Totals of a set of people with the rates HR reads; every rate is None for nobody."""

    people: int = 0
    participants: int = 0
    reached: int = 0
    hours: Decimal = Decimal("0")
    mandatory_assigned: int = 0
    mandatory_done: int = 0
    overdue: int = 0
    exams_passed: int = 0
    certificates: int = 0
    bands: list[int] = field(default_factory=lambda: [0] * fig.BANDS)
    month_hours: list[Decimal] = field(default_factory=lambda: [Decimal("0")] * fig.MONTHS)
    month_reached: list[int] = field(default_factory=lambda: [0] * fig.MONTHS)

    @classmethod
    def of_rows(cls, rows: Iterable[UnitYear]) -> Figures:
        total = fig.empty_totals()
        for row in rows:
            for index, value in enumerate(fig.totals_of_row(row)):
                total[index] += value
        return cls.of_totals(total)

    @classmethod
    def of_totals(cls, totals: list[int]) -> Figures:
        values = fig.unit_row(totals)
        return cls(
            people=totals[0],
            participants=totals[1],
            reached=totals[2],
            hours=Decimal(totals[3]) / 10,
            mandatory_assigned=totals[4],
            mandatory_done=totals[5],
            overdue=totals[6],
            exams_passed=totals[7],
            certificates=totals[8],
            bands=list(values["bands"]),  # type: ignore[call-overload]
            month_hours=[Decimal(totals[fig.MONTH_HOURS_AT + m]) / 10 for m in range(fig.MONTHS)],
            month_reached=list(totals[fig.MONTH_REACHED_AT : fig.WIDTH]),
        )

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))

    @property
    def participation_rate(self) -> Decimal | None:
        return self._rate(self.participants, self.people)

    @property
    def reach_rate(self) -> Decimal | None:
        return self._rate(self.reached, self.people)

    @property
    def mandatory_rate(self) -> Decimal | None:
        return self._rate(self.mandatory_done, self.mandatory_assigned)

    @property
    def hours_per_person(self) -> Decimal | None:
        if not self.people:
            return None
        return (self.hours / self.people).quantize(Decimal("0.1"))

    def month_reach_rates(self) -> list[Decimal | None]:
        return [self._rate(count, self.people) for count in self.month_reached]


def node_figures(node: Node, year: int, basis: str = Basis.YEAR) -> Figures:
    """The node's totals: its unit's subtree row, or the sum of its roots' rows."""
    units = [node.unit] if node.unit is not None else node.roots
    rows = UnitYear.objects.filter(year=year, basis=basis, subtree=True, org_unit__in=units)
    return Figures.of_rows(rows)


@dataclass
class Snapshot:
    """What a dashboard page shows at the top: the year's figures, what they compare with,
    and when they were computed."""

    year: int
    figures: Figures
    compare_year: int
    compare_basis: str
    compare: Figures | None  # None when the year before has no figures
    refreshed: Refresh | None

    @property
    def compare_same_day(self) -> bool:
        return self.compare_basis == Basis.SAME_DAY


def snapshot(node: Node, year: int) -> Snapshot:
    refreshed = refresh.ensure_fresh(year)
    compare_year, compare_basis = refresh.comparison_basis(year)
    has_before = compare_year in refresh.years_shown()
    return Snapshot(
        year=year,
        figures=node_figures(node, year),
        compare_year=compare_year,
        compare_basis=compare_basis,
        compare=node_figures(node, compare_year, compare_basis) if has_before else None,
        refreshed=refreshed,
    )


# --- the drill-down ------------------------------------------------------------------------

SORTS = {
    "name": lambda row: row.sort_name,
    "people": lambda row: row.figures.people,
    "participation": lambda row: row.figures.participation_rate,
    "reach": lambda row: row.figures.reach_rate,
    "hours": lambda row: row.figures.hours_per_person,
    "mandatory": lambda row: row.figures.mandatory_rate,
    "overdue": lambda row: row.figures.overdue,
}
DEFAULT_SORT = "reach"


@dataclass
class UnitRow:
    unit: OrgUnit
    figures: Figures
    compare: Figures
    # True for the row of the people sitting directly in the node's unit (本级).
    own: bool = False
    has_children: bool = False
    rank: int | None = None

    @property
    def sort_name(self) -> str:
        return self.unit.path if not self.own else ""

    @property
    def below(self) -> bool:
        rate = self.figures.reach_rate
        return rate is not None and rate < settings.DASHBOARD_ALERT_PERCENT


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """A sort key and whether it is descending ("-reach"); unknown keys: the default."""
    text = (raw or "").strip()
    descending = text.startswith("-")
    key = text.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT, True
    return key, descending


def child_rows(node: Node, year: int, *, sort: str | None = None) -> list[UnitRow]:
    """The node's child units (or its roots) with their subtree figures, ranked by
    学时达标率, plus a row for the people sitting directly in the node's unit, if any."""
    compare_year, compare_basis = refresh.comparison_basis(year)
    if node.unit is None:
        units = node.roots
    else:
        units = list(
            OrgUnit.objects.filter(
                path__startswith=node.unit.path, depth=node.unit.depth + 1
            ).order_by("path")
        )
    # The children's subtree rows and the node's own direct row (本级): half the stored
    # rows of these units, which a province's 51 children make worth leaving unread.
    wanted = Q(org_unit__in=[unit.pk for unit in units], subtree=True)
    if node.unit is not None:
        wanted |= Q(org_unit=node.unit, subtree=False)
    current = _rows_by_unit(year, Basis.YEAR, wanted)
    earlier = _rows_by_unit(compare_year, compare_basis, wanted)
    rows = [
        UnitRow(
            unit=unit,
            figures=_figures(current.get((unit.pk, True))),
            compare=_figures(earlier.get((unit.pk, True))),
            has_children=unit.numchild > 0,
        )
        for unit in units
    ]
    ranked = sorted(
        (row for row in rows if row.figures.reach_rate is not None),
        key=lambda row: row.figures.reach_rate or 0,
        reverse=True,
    )
    previous: Decimal | None = None
    for position, row in enumerate(ranked, start=1):
        # Equal rates share a rank (1, 2, 2, 4).
        row.rank = position if row.figures.reach_rate != previous else ranked[position - 2].rank
        previous = row.figures.reach_rate
    if node.unit is not None and units:
        own = _figures(current.get((node.unit.pk, False)))
        if own.people:
            rows.append(
                UnitRow(
                    unit=node.unit,
                    figures=own,
                    compare=_figures(earlier.get((node.unit.pk, False))),
                    own=True,
                )
            )
    key, descending = parse_sort(sort)
    present = [row for row in rows if SORTS[key](row) is not None]
    missing = [row for row in rows if SORTS[key](row) is None]
    present.sort(key=SORTS[key], reverse=descending)
    return present + missing


def _rows_by_unit(year: int, basis: str, wanted: Q) -> dict[tuple[int, bool], UnitYear]:
    return {
        (row.org_unit_id, row.subtree): row
        for row in UnitYear.objects.filter(wanted, year=year, basis=basis)
    }


def _figures(row: UnitYear | None) -> Figures:
    return Figures.of_rows([row] if row is not None else [])


# --- charts ---------------------------------------------------------------------------------


@dataclass
class MonthRow:
    month: int
    hours: Decimal | None
    hours_before: Decimal | None
    reach_rate: Decimal | None
    reach_rate_before: Decimal | None


def month_rows(node: Node, year: int, current: Figures) -> list[MonthRow]:
    """Credit hours and 学时达标率 by month, this year against the whole of last year; months
    still to come have no value."""
    before = node_figures(node, year - 1)
    now = timezone.localtime()
    last_month = 12 if year < now.year else now.month
    rates, rates_before = current.month_reach_rates(), before.month_reach_rates()
    has_before = before.people > 0 and year - 1 in refresh.years_shown()
    return [
        MonthRow(
            month=month,
            hours=current.month_hours[month - 1] if month <= last_month else None,
            hours_before=before.month_hours[month - 1] if has_before else None,
            reach_rate=rates[month - 1] if month <= last_month else None,
            reach_rate_before=rates_before[month - 1] if has_before else None,
        )
        for month in range(1, 13)
    ]


def band_labels() -> list[str]:
    return [
        _("No hours"),
        _("Under 25 percent of target"),
        _("25 to 50 percent of target"),
        _("50 to 75 percent of target"),
        _("75 to 100 percent of target"),
        _("Target reached"),
    ]


# --- people ---------------------------------------------------------------------------------

# The people list's statuses: 未参训, 未达标 (started, below target), 已达标, 逾期.
STATUSES: dict[str, dict[str, Any]] = {
    # Not started: nothing learnt, and the target not met (a target of 0 is met by nothing).
    "none": {"participated": False, "reached": False},
    "behind": {"participated": True, "reached": False},
    "met": {"reached": True},
    "overdue": {"overdue__gt": 0},
}


def status_choices() -> list[tuple[str, str]]:
    return [
        ("none", _("Not started")),
        ("behind", _("Below target")),
        ("met", _("Target reached")),
        ("overdue", _("Overdue")),
    ]


def people_in(
    node: Node, year: int, filters: Mapping[str, str] | None = None
) -> QuerySet[PersonYear]:
    """The year's figures of the people under the node, filtered by rank, status and a
    name or employee number, in the order HR reads them (unit, then employee number)."""
    filters = filters or {}
    rows = PersonYear.objects.filter(year=year).select_related("person", "org_unit")
    if node.unit is not None:
        # The unit was found in the scope (dashboard_node), and a scope is whole subtrees:
        # its subtree is the one condition. Repeating the scope's own LIKE beside it made
        # PostgreSQL expect a hundredth of the rows and sort a county instead of reading
        # its first 25 in index order (10 ms against 0.4 ms).
        rows = rows.filter(path__startswith=node.unit.path)
    else:
        rows = rows.filter(node.scope.path_q("path"))
    rank = (filters.get("rank") or "").strip()
    if rank:
        rows = rows.filter(rank=rank)
    status = (filters.get("status") or "").strip()
    if status in STATUSES:
        rows = rows.filter(**STATUSES[status])
    query = (filters.get("q") or "").strip()[:60]
    if query:
        by_name = Q(person__real_name__contains=query)
        if query.isascii() and query.replace("-", "").isalnum():
            by_name |= Q(employee_number__istartswith=query)
        rows = rows.filter(by_name)
    return rows.order_by("path", "employee_number")
