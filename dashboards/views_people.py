"""The dashboards' People pages: the list of a subtree's people (人员) with their year's
figures, and one person's credit-hour record (学时档案), printable.

Scope, year and unit come from ``views.page_context`` (org.access underneath); the person is
looked up in ``request.scope.people()``, so anybody outside the scope is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from dashboards import people as reads
from dashboards import refresh, selectors
from dashboards.views import bad_request, page_context
from org.access import PersonRequest, hr_required
from org.models import Rank


@require_GET
@hr_required
def people(request: PersonRequest) -> HttpResponse:
    """人员: the node's people, filtered by rank, status and name or number, a page at a
    time, from the stored figures (which say when they were computed)."""
    try:
        context = page_context(request)
    except BadRequest as error:
        return bad_request(request, str(error))
    node, year = context["node"], context["year"]
    # First: where tasks run eagerly this recomputes stale figures before they are read.
    refreshed = refresh.ensure_fresh(year)
    filters = reads.people_filters(request.GET)
    unit_query = (request.GET.get("unit_q") or "").strip()[: reads.QUERY_LENGTH]
    found, more_found = reads.unit_search(request.scope, node, unit_query)
    statuses = selectors.status_choices()
    page, rows = reads.people_page(node, year, filters, request.GET.get("page"))
    context.update(
        tab="people",
        refreshed=refreshed,
        refresh_minutes=settings.DASHBOARD_REFRESH_MINUTES,
        filters=filters,
        filtered=any(filters.values()),
        keep=[(name, value) for name, value in filters.items() if value],
        ranks=Rank.choices,
        statuses=statuses,
        status_words=dict(statuses),
        children=reads.child_units(node, year),
        unit_query=unit_query,
        found=found,
        more_found=more_found,
        unit_search_limit=reads.UNIT_SEARCH_LIMIT,
        page=page,
        rows=rows,
        alert_percent=settings.DASHBOARD_ALERT_PERCENT,
    )
    return render(request, "dashboards/people.html", context)


@require_GET
@hr_required
def person(request: PersonRequest, person_id: int) -> HttpResponse:
    """学时档案: one person's year from the rows themselves (ledger, enrolments, exams,
    certificates), to read or print."""
    someone = get_object_or_404(request.scope.people(), pk=person_id)
    try:
        context = page_context(request)
    except BadRequest as error:
        return bad_request(request, str(error))
    record = reads.person_record(someone, context["year"], roots=context["node"].roots)
    context.update(
        tab="people",
        record=record,
        person=someone,
        alert_percent=settings.DASHBOARD_ALERT_PERCENT,
    )
    return render(request, "dashboards/person.html", context)
