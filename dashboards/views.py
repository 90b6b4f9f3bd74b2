"""The training dashboards (培训统计) under /hr/: for HR officers and administrators only.

Each view takes the person and scope from the access surface (org.access.hr_required) and
the year and unit from ``selectors.dashboard_node``/``parse_year``; nothing here scopes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboards import refresh, selectors
from org.access import PersonRequest, hr_required
from org.models import Rank


def bad_request(request: PersonRequest, message: str) -> HttpResponse:
    """The dashboards' own 400: what was wrong, and the way back."""
    return render(request, "dashboards/bad_request.html", {"message": message}, status=400)


def page_context(request: PersonRequest) -> dict[str, Any]:
    """Year, node and the year choices every dashboard page starts from (BadRequest/404)."""
    years = refresh.years_shown()
    year = selectors.parse_year(request.GET.get("year"), years=years)
    node = selectors.dashboard_node(request.scope, selectors.parse_id(request.GET.get("unit")))
    return {
        "year": year,
        "years": years,
        "node": node,
        "unit_param": node.unit.pk if node.unit is not None and not node.top else "",
    }


@require_GET
@hr_required
def home(request: PersonRequest) -> HttpResponse:
    """培训统计: the node's figures against last year, its child units, the charts."""
    try:
        context = page_context(request)
    except BadRequest as error:
        return bad_request(request, str(error))
    node, year = context["node"], context["year"]
    shot = selectors.snapshot(node, year)
    sort = request.GET.get("sort")
    sort_key, descending = selectors.parse_sort(sort)
    context.update(
        snapshot=shot,
        figures=shot.figures,
        compare=shot.compare,
        rows=selectors.child_rows(node, year, sort=sort),
        sort_key=sort_key,
        descending=descending,
        months=selectors.month_rows(node, year, shot.figures),
        bands=list(zip(selectors.band_labels(), shot.figures.bands, strict=True)),
        alert_percent=settings.DASHBOARD_ALERT_PERCENT,
        refresh_minutes=settings.DASHBOARD_REFRESH_MINUTES,
        tab="home",
        ranks=Rank.choices,
    )
    return render(request, "dashboards/home.html", context)
