"""The training dashboards (培训统计) under /api/v1/dashboards/: the HR pages' figures for
scripts and other systems, with the pages' scope rules.

Every view goes through the access surface and the pages' reads: ``HasPerson`` (org.access)
finds the person, ``selectors.dashboard_node`` looks the ``unit`` parameter up in the
request's scope and answers 404 to learners and trainers, to a unit outside the scope and to
a ``unit`` that is not an id; ``selectors.parse_year`` refuses a year without figures (a 400
naming the years there are). The figures are the stored ones the pages read, kept fresh by
``refresh.ensure_fresh``; nothing here computes a figure or decides what is in scope.

Rates are percentages as decimal strings with one decimal ("87.5") and hours are decimal
strings, like every hour count of the API (``credit_hours``); a rate is null when nobody is
counted (no people, or no mandatory courses for ``mandatory_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from dashboards import people as people_reads
from dashboards import refresh, selectors
from dashboards.models import Basis
from dashboards.selectors import Figures, Node
from org.access import HasPerson, PersonApiRequest
from org.api_errors import error_responses
from org.models import Rank
from org.selectors import org_unit_labels

STATUSES = ["none", "behind", "met"]
SORT_VALUES = [f"{sign}{key}" for key in selectors.SORTS for sign in ("", "-")]


def rate_field(help_text: str, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text=help_text, **kwargs
    )


# --- serializers ---------------------------------------------------------------------------


class UnitStepSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class NodeSerializer(serializers.Serializer[Node]):
    """Where in the tree the figures stand."""

    id = serializers.IntegerField(
        source="unit.pk",
        allow_null=True,
        help_text="The unit, or null for all the units of an officer with several subtrees.",
    )
    name = serializers.CharField()
    # DRF's metaclass takes declared fields off the class: Field.label stays as it is.
    label = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="The unit's name with the path above it, from the scope's root "
        "(杭州市 / 西湖区 / 西湖区数据资源管理局)."
    )
    trail = UnitStepSerializer(
        many=True, help_text="From the scope's root down to the unit; empty for all units."
    )

    def get_label(self, node: Node) -> str:
        if node.unit is None:
            return node.name
        return org_unit_labels([node.unit], roots=node.roots)[node.unit.pk]


class FiguresSerializer(serializers.Serializer[Figures]):
    """The totals of a set of people in a credit year."""

    people = serializers.IntegerField(help_text="Active people counted (where they sit now).")
    participants = serializers.IntegerField(
        help_text="People with credit hours or lesson time in the year (参训)."
    )
    participation_rate = rate_field("participants / people, in per cent.")
    reached = serializers.IntegerField(help_text="People whose hours reached their target (达标).")
    reach_rate = rate_field("reached / people, in per cent (学时达标率).")
    hours = serializers.DecimalField(max_digits=12, decimal_places=1)
    hours_per_person = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    mandatory_assigned = serializers.IntegerField(
        help_text="Mandatory enrolments due in the year, assigned by then."
    )
    mandatory_done = serializers.IntegerField()
    mandatory_rate = rate_field("mandatory_done / mandatory_assigned, in per cent.")
    overdue = serializers.IntegerField(help_text="Mandatory enrolments past their due date.")
    exams_passed = serializers.IntegerField()
    certificates = serializers.IntegerField()


class BandSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]  # as NodeSerializer.label
    people = serializers.IntegerField()


class MonthSerializer(serializers.Serializer[Any]):
    month = serializers.IntegerField(min_value=1, max_value=12)
    hours = serializers.DecimalField(
        max_digits=12,
        decimal_places=1,
        allow_null=True,
        help_text="Hours credited in the month; null for a month still to come.",
    )
    reach_rate = rate_field(
        "People whose hours had reached their target by the month's end, in per cent; "
        "null for a month still to come or nobody counted."
    )


@dataclass
class FiguresAsOf:
    """Figures with the moment they describe: months after it have not come yet."""

    figures: Figures
    as_of: datetime

    def bands(self) -> list[dict[str, Any]]:
        return [
            {"label": label, "people": people}
            for label, people in zip(selectors.band_labels(), self.figures.bands, strict=True)
        ]

    def months(self) -> list[dict[str, Any]]:
        # as_of lies in the figures' own year (refresh.as_of_for: its end at the latest).
        last = timezone.localtime(self.as_of).month
        rates = self.figures.month_reach_rates()
        return [
            {
                "month": month,
                "hours": self.figures.month_hours[month - 1] if month <= last else None,
                "reach_rate": rates[month - 1] if month <= last else None,
            }
            for month in range(1, 13)
        ]


class SummaryFiguresSerializer(FiguresSerializer):
    """The totals with the bands and the months of the page's charts."""

    bands = BandSerializer(
        many=True, help_text="People by their hours against their own target, none to reached."
    )
    months = MonthSerializer(many=True, help_text="January to December.")

    def to_representation(self, instance: Any) -> Any:
        # A FiguresAsOf: the totals from its figures, the months cut at its moment.
        shown: FiguresAsOf = instance
        data = dict(FiguresSerializer(shown.figures).data)
        data["bands"] = self.fields["bands"].to_representation(shown.bands())
        data["months"] = self.fields["months"].to_representation(shown.months())
        return data


class ComparisonSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    basis = serializers.ChoiceField(
        choices=Basis.values,
        help_text="same_day: last year as it stood on this day (while the year runs); "
        "year: the whole of last year.",
    )
    figures = SummaryFiguresSerializer(
        allow_null=True, help_text="null when last year has no figures."
    )


class SummarySerializer(serializers.Serializer[Any]):
    node = NodeSerializer()
    year = serializers.IntegerField()
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the figures were computed; null before the first time."
    )
    as_of = serializers.DateTimeField(allow_null=True, help_text="The moment they describe.")
    figures = SummaryFiguresSerializer()
    comparison = ComparisonSerializer()


class UnitRowSerializer(serializers.Serializer[selectors.UnitRow]):
    id = serializers.IntegerField(source="unit.pk", help_text="The unit (its id as ?unit=).")
    name = serializers.CharField(source="unit.name")
    own = serializers.BooleanField(
        help_text="The people sitting directly in the node's unit (本级), not a child unit."
    )
    has_children = serializers.BooleanField()
    rank = serializers.IntegerField(
        allow_null=True, help_text="By reach rate, 1 the highest, equal rates equal ranks."
    )
    below = serializers.BooleanField(help_text="The reach rate is under alert_percent.")
    figures = FiguresSerializer()
    comparison_reach_rate = rate_field(
        "The reach rate of the comparison (see summary's comparison).",
        source="compare.reach_rate",
    )


class UnitsSerializer(serializers.Serializer[Any]):
    node = NodeSerializer()
    year = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True)
    alert_percent = serializers.IntegerField(
        help_text="A unit whose reach rate is below this is flagged below."
    )
    sort = serializers.ChoiceField(
        choices=SORT_VALUES, help_text="The order applied, as the sort parameter gives it."
    )
    results = UnitRowSerializer(many=True)


class PersonRowSerializer(serializers.Serializer[people_reads.PersonRow]):
    id = serializers.IntegerField(source="figures.person_id")
    name = serializers.CharField(source="figures.person.real_name")
    employee_number = serializers.CharField(source="figures.employee_number")
    unit = serializers.IntegerField(source="figures.org_unit_id")
    unit_label = serializers.CharField(help_text="The unit's name with the path above it.")
    rank = serializers.CharField(source="figures.rank", help_text="The rank's code (职级).")
    rank_label = serializers.CharField()
    hours = serializers.DecimalField(source="figures.hours", max_digits=7, decimal_places=1)
    target = serializers.DecimalField(source="figures.target", max_digits=5, decimal_places=1)
    status = serializers.ChoiceField(
        choices=STATUSES,
        help_text="none: no study yet (未参训); behind: below target (未达标); "
        "met: target reached (已达标).",
    )
    status_label = serializers.CharField()
    mandatory_done = serializers.IntegerField(source="figures.mandatory_done")
    mandatory_assigned = serializers.IntegerField(source="figures.mandatory_assigned")
    overdue = serializers.IntegerField(source="figures.overdue")


class PeoplePageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="People matching, on all pages.")
    page = serializers.IntegerField(
        help_text="The page shown (1 when the one asked is past the end)."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    year = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True)
    results = PersonRowSerializer(many=True)


# --- parameters ----------------------------------------------------------------------------

YEAR = OpenApiParameter(
    "year",
    OpenApiTypes.INT,
    description="The credit year (default: this year, Asia/Shanghai). A year without "
    "figures is a 400 that names the years there are.",
)
UNIT = OpenApiParameter(
    "unit",
    OpenApiTypes.INT,
    description="A unit of the signed-in officer's scope (default: the scope's root, or all "
    "its roots). A unit outside the scope, or not an id, is a 404.",
)
SORT = OpenApiParameter(
    "sort",
    OpenApiTypes.STR,
    enum=SORT_VALUES,
    description=f"The rows' order, '-' for descending; unknown keys: -{selectors.DEFAULT_SORT}. "
    "Rows without the value (a rate of nobody) come last.",
)
RANK = OpenApiParameter(
    "rank", OpenApiTypes.STR, enum=list(Rank.values), description="Only this rank; unknown: all."
)
STATUS = OpenApiParameter(
    "status",
    OpenApiTypes.STR,
    enum=list(selectors.STATUSES),
    description="Only people in this state (overdue: with an overdue mandatory course); "
    "unknown: all.",
)
QUERY = OpenApiParameter(
    "q",
    OpenApiTypes.STR,
    description="Part of a name, or the start of an employee number (at most 60 characters).",
)
PAGE = OpenApiParameter(
    "page",
    OpenApiTypes.INT,
    description=f"{selectors.PEOPLE_PAGE_SIZE} people a page. A page past the last one, or "
    "not a number, is the first page (the answer's page says which).",
)
ERRORS = error_responses(
    400,
    404,
    e400="The year is not a number or has no figures.",
    e404="Not an HR officer or administrator, or the unit is not an id or not in the scope.",
)


# --- views ---------------------------------------------------------------------------------


def node_and_year(request: PersonApiRequest) -> tuple[Node, int]:
    """The request's node and year, as the pages read them; the node first, so that a
    learner is a 404 whatever the year."""
    params = request.query_params
    node = selectors.dashboard_node(request.scope, selectors.parse_id(params.get("unit")))
    try:
        year = selectors.parse_year(params.get("year"))
    except BadRequest as error:
        raise ValidationError({"year": [str(error)]}) from error
    return node, year


class DashboardSummary(APIView):
    """The node's figures for the year, with what they compare with (the 培训统计 page)."""

    permission_classes = [HasPerson]

    @extend_schema(
        parameters=[YEAR, UNIT],
        responses={200: SummarySerializer, **ERRORS},
        description="The figures of the 培训统计 page: the node's year so far (or the whole "
        "of a past year), the bands and the months, and last year on the same day (or the "
        "whole of last year, for a past year).",
    )
    def get(self, request: PersonApiRequest) -> Response:
        node, year = node_and_year(request)
        shot = selectors.snapshot(node, year)
        now = timezone.now()
        compare = None
        if shot.compare is not None:
            moment = refresh.as_of_for(shot.compare_year, shot.compare_basis, now)
            compare = FiguresAsOf(shot.compare, moment)
        body = {
            "node": node,
            "year": year,
            **refresh.describe(shot.refreshed),
            "figures": FiguresAsOf(shot.figures, refresh.as_of_for(year, Basis.YEAR, now)),
            "comparison": {
                "year": shot.compare_year,
                "basis": shot.compare_basis,
                "figures": compare,
            },
        }
        return Response(SummarySerializer(body).data)


class DashboardUnits(APIView):
    """The units one step below the node, ranked by 学时达标率 (the page's drill-down)."""

    permission_classes = [HasPerson]

    @extend_schema(
        parameters=[YEAR, UNIT, SORT],
        responses={200: UnitsSerializer, **ERRORS},
        description="The node's child units (or the scope's roots) with their subtrees' "
        "figures, and a row (own) for the people sitting directly in the node's unit.",
    )
    def get(self, request: PersonApiRequest) -> Response:
        node, year = node_and_year(request)
        record = refresh.ensure_fresh(year)
        sort = request.query_params.get("sort")
        key, descending = selectors.parse_sort(sort)
        body = {
            "node": node,
            "year": year,
            **refresh.describe(record),
            "alert_percent": settings.DASHBOARD_ALERT_PERCENT,
            "sort": f"-{key}" if descending else key,
            "results": selectors.child_rows(node, year, sort=sort),
        }
        return Response(UnitsSerializer(body).data)


class DashboardPeople(APIView):
    """The node's people with their year's figures, a page at a time (the 人员 page)."""

    permission_classes = [HasPerson]

    @extend_schema(
        parameters=[YEAR, UNIT, RANK, STATUS, QUERY, PAGE],
        responses={200: PeoplePageSerializer, **ERRORS},
        description="The people under the node in the order HR reads them (unit, then "
        "employee number), filtered by rank, status and name or number. A page past the "
        "last one is the first page, as on the page.",
    )
    def get(self, request: PersonApiRequest) -> Response:
        node, year = node_and_year(request)
        record = refresh.ensure_fresh(year)
        params = request.query_params
        filters = people_reads.people_filters(params)
        page, rows = people_reads.people_page(node, year, filters, params.get("page"))
        url = request.build_absolute_uri()
        previous = None
        if page.has_previous():
            number = page.previous_page_number()
            previous = (
                remove_query_param(url, "page")
                if number == 1
                else replace_query_param(url, "page", number)
            )
        body = {
            "count": page.paginator.count,
            "page": page.number,
            "next": replace_query_param(url, "page", page.next_page_number())
            if page.has_next()
            else None,
            "previous": previous,
            "year": year,
            **refresh.describe(record),
            "results": rows,
        }
        return Response(PeoplePageSerializer(body).data)
