"""Reads of the dashboards' People pages: the list (人员) and one person's record (学时档案).

The list reads the stored figures (``PersonYear`` through ``selectors.people_in``), one page
at a time, in a fixed number of queries whatever the size of the province. The record reads
the person's own rows live (the ledger, enrolments, graded attempts, certificates), so what
HR prints is what the ledger says at this moment, not the last refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import django
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import F, OrderBy, Q, QuerySet
from django.utils import timezone

from certificates.models import Certificate
from courses.models import Enrolment
from courses.selectors import CreditSummary, credit_summary
from dashboards import figures as fig
from dashboards import selectors
from dashboards.models import Basis, PersonYear, UnitYear
from exams.models import Attempt, AttemptState
from org.models import OrgUnit, Person, Rank
from org.selectors import Scope, org_unit_labels

UNIT_SEARCH_LIMIT = 20
QUERY_LENGTH = 60


def rank_label(rank: str) -> str:
    return str(Rank(rank).label) if rank in Rank.values else ""


# --- the list's reads at province scale (PostgreSQL) ---------------------------------------------


class PatternOrder(OrderBy):
    """``column USING ~<~`` on PostgreSQL, plain ``column ASC`` elsewhere.

    PersonYear's index (year, path, employee_number) is ``varchar_pattern_ops``, so that a
    subtree's ``path LIKE 'prefix%'`` is an index range; but such an index is ordered by the
    pattern operators, and PostgreSQL serves ``ORDER BY path`` (the collation's ``<``) from
    it only by reading the whole subtree and sorting it: 570 ms for the first page of a
    province of 300,000 people, against under 1 ms ordered ``USING ~<~``. Paths are ASCII,
    where the two orders agree (a test compares them on both legs).

    Written against Django 5.2's ``OrderBy.as_sql(template=...)``; other versions get the
    ordinary order (the same rows, only slower).
    """

    # Django's compiler tells an ORDER BY term's direction by the word ASC or DESC in its
    # SQL (SQLCompiler.ordering_parts); USING takes the place of both, so the word stands
    # in a comment.
    template_postgresql = "%(expression)s USING ~<~ /* ASC */"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template=self.template_postgresql, **extra)


PATTERN_ORDER = django.VERSION[:2] == (5, 2)


def in_index_order(rows: QuerySet[PersonYear]) -> QuerySet[PersonYear]:
    """``selectors.people_in``'s order (unit path, employee number), as its index has it."""
    if not PATTERN_ORDER:
        return rows.order_by("path", "employee_number")
    return rows.order_by(PatternOrder(F("path")), PatternOrder(F("employee_number")))


def person_match(query: str) -> Q:
    """``selectors.people_in``'s rule for ``q``, on Person: the name contains it, or, for
    something that can be one, the employee number starts with it."""
    match = Q(real_name__contains=query)
    if query.isascii() and query.replace("-", "").isalnum():
        match |= Q(employee_number__istartswith=query)
    return match


def people_rows(
    node: selectors.Node, year: int, filters: Mapping[str, str]
) -> QuerySet[PersonYear]:
    """``selectors.people_in(node, year, filters)``: the same rows in the same order, read
    the way PostgreSQL serves them fast at 300,000 people.

    Without a search, in the index's order: the first page is the first 25 entries of the
    subtree's range. With one, the people are found first (one pass over the people's
    names and numbers) and their few rows sorted: ``people_in`` joins the two tables under
    an OR, which reads every row of the subtree (1.7 s for a number in a province, against
    0.4 s), and walking the index in order for a rare name reads the subtree too.
    """
    query = (filters.get("q") or "").strip()[:QUERY_LENGTH]
    rows = selectors.people_in(node, year, {**filters, "q": ""})
    if not query:
        return in_index_order(rows)
    found = Person.objects.filter(person_match(query)).values("pk")
    return rows.filter(person_id__in=found).order_by("path", "employee_number")


# --- the list ---------------------------------------------------------------------------------


def people_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The list's filters from a query string; anything unknown is no filter (not an error),
    so an old bookmark still opens."""
    rank = (params.get("rank") or "").strip()
    status = (params.get("status") or "").strip()
    return {
        "rank": rank if rank in Rank.values else "",
        "status": status if status in selectors.STATUSES else "",
        "q": (params.get("q") or "").strip()[:QUERY_LENGTH],
    }


def status_of(row: PersonYear) -> str:
    """已达标 first (a target of nought is met without study), then 未参训, else 未达标."""
    if row.reached:
        return "met"
    return "behind" if row.participated else "none"


@dataclass
class PersonRow:
    """One line of the list: the stored figures and the unit's label."""

    figures: PersonYear
    unit_label: str
    status_label: str

    @property
    def status(self) -> str:
        return status_of(self.figures)

    @property
    def percent(self) -> Decimal:
        """Hours as a share of the target, 0-100, for the bar."""
        target = self.figures.target
        if target <= 0:
            return Decimal(100)
        return min(Decimal(100), (self.figures.hours * 100 / target).quantize(Decimal("0.1")))

    @property
    def rank_label(self) -> str:
        return rank_label(self.figures.rank)


def page_number(raw: str | None) -> int:
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return max(1, int(text))
    return 1


class CountedPaginator(Paginator):
    """A paginator told its count instead of counting."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def people_page(
    node: selectors.Node, year: int, filters: Mapping[str, str], page: str | None
) -> tuple[Page[PersonYear], list[PersonRow]]:
    """One page of the node's people (a page past the end, or not a number: the first),
    with their units' labels: three queries (count, page, labels).

    Unfiltered, the count is the node's stored total, written by the same refresh as the
    rows (one transaction), so equal to counting them: counting a province's 300,000 index
    entries took 40 of the first page's 66 ms."""
    found = people_rows(node, year, filters)
    paginator = (
        Paginator(found, selectors.PEOPLE_PAGE_SIZE)
        if any(filters.values())
        else CountedPaginator(
            found, selectors.PEOPLE_PAGE_SIZE, count=selectors.node_figures(node, year).people
        )
    )
    try:
        shown = paginator.page(page_number(page))
    except InvalidPage:
        shown = paginator.page(1)
    rows = list(shown.object_list)
    labels = org_unit_labels({row.org_unit for row in rows}, roots=node.roots) if rows else {}
    words = dict(selectors.status_choices())
    return shown, [
        PersonRow(row, labels.get(row.org_unit_id, ""), words[status_of(row)]) for row in rows
    ]


@dataclass
class UnitLink:
    unit: OrgUnit
    people: int | None  # the subtree's active people in the year, None before a refresh
    label: str = ""


def child_units(node: selectors.Node, year: int) -> list[UnitLink]:
    """The units one step below the node (or the scope's roots), with their people: the
    way down the tree without a select of 18,000 units. Two queries at most."""
    if node.unit is None:
        units = list(node.roots)
    else:
        units = list(
            OrgUnit.objects.filter(
                path__startswith=node.unit.path, depth=node.unit.depth + 1
            ).order_by("path")
        )
    if not units:
        return []
    counts = dict(
        UnitYear.objects.filter(
            year=year, basis=Basis.YEAR, subtree=True, org_unit__in=units
        ).values_list("org_unit_id", "people")
    )
    return [UnitLink(unit, counts.get(unit.pk)) for unit in units]


def unit_search(scope: Scope, node: selectors.Node, text: str) -> tuple[list[UnitLink], bool]:
    """Units of the scope whose name contains ``text`` or whose code is ``text``, with their
    path labels, at most UNIT_SEARCH_LIMIT; and whether there were more."""
    text = text.strip()[:QUERY_LENGTH]
    if not text:
        return [], False
    found = list(
        scope.units().filter(Q(name__contains=text) | Q(code__iexact=text))[: UNIT_SEARCH_LIMIT + 1]
    )
    more = len(found) > UNIT_SEARCH_LIMIT
    found = found[:UNIT_SEARCH_LIMIT]
    labels = org_unit_labels(found, roots=node.roots) if found else {}
    return [UnitLink(unit, None, labels.get(unit.pk, unit.name)) for unit in found], more


# --- one person's record (学时档案) ------------------------------------------------------------


@dataclass
class EnrolmentLine:
    enrolment: Enrolment
    overdue: bool


@dataclass
class PersonRecord:
    person: Person
    year: int
    as_of: datetime
    unit_label: str
    credits: CreditSummary
    enrolments: list[EnrolmentLine]
    attempts: list[Attempt]
    certificates: list[Certificate]
    mandatory_assigned: int
    mandatory_done: int

    @property
    def overdue(self) -> int:
        return sum(line.overdue for line in self.enrolments)

    @property
    def reached(self) -> bool:
        return self.credits.earned >= self.credits.target

    @property
    def rank_label(self) -> str:
        return rank_label(self.person.rank)

    @property
    def meter(self) -> int:
        return self.credits.percent


def person_record(
    person: Person, year: int, *, roots: list[OrgUnit], now: datetime | None = None
) -> PersonRecord:
    """The person's credit year from the rows themselves: ledger records with their reasons,
    the enrolments open during the year, exams graded and certificates issued in it. A fixed
    number of queries whatever the number of rows."""
    start, end = fig.year_start(year), fig.year_end(year)
    moment = min(now or timezone.now(), end)
    today = timezone.localtime(moment).date()
    credits = credit_summary(person, year=year)
    # Open at some moment of the year: enrolled by its end, not completed before it began.
    enrolments = list(
        Enrolment.objects.filter(person=person, enrolled_at__lte=end)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gte=start))
        .select_related("course", "training_plan")
        .order_by("-mandatory", "due_date", "enrolled_at", "pk")
    )
    lines = []
    mandatory_assigned = mandatory_done = 0
    for enrolment in enrolments:
        done_by_then = enrolment.completed_at is not None and enrolment.completed_at <= moment
        due = enrolment.due_date
        # dashboards.figures' rule: the due date had passed by then without completion.
        overdue = due is not None and due < today and not done_by_then
        lines.append(EnrolmentLine(enrolment, overdue))
        if (
            enrolment.mandatory
            and due is not None
            and due.year == year
            and enrolment.enrolled_at <= moment
        ):
            mandatory_assigned += 1
            mandatory_done += done_by_then
    attempts = list(
        Attempt.objects.filter(
            person=person, state=AttemptState.GRADED, graded_at__gte=start, graded_at__lte=end
        )
        .select_related("exam")
        .order_by("graded_at", "pk")
    )
    certificates = list(
        Certificate.objects.filter(
            person=person, issued_on__gte=date(year, 1, 1), issued_on__lte=date(year, 12, 31)
        ).order_by("issued_on", "pk")
    )
    return PersonRecord(
        person=person,
        year=year,
        as_of=moment,
        unit_label=org_unit_labels([person.org_unit], roots=roots)[person.org_unit.pk],
        credits=credits,
        enrolments=lines,
        attempts=attempts,
        certificates=certificates,
        mandatory_assigned=mandatory_assigned,
        mandatory_done=mandatory_done,
    )
