"""The courses tab of the training dashboards (/hr/courses/): the year's figures per course
taken under the node (dashboards.courses), in a sortable table."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboards import courses as course_figures
from dashboards.views import bad_request, page_context
from org.access import PersonRequest, hr_required


@require_GET
@hr_required
def courses(request: PersonRequest) -> HttpResponse:
    """Per course: enrolled, completed, median days, exam results and certificates."""
    try:
        context = page_context(request)
    except BadRequest as error:
        return bad_request(request, str(error))
    sort = request.GET.get("sort")
    sort_key, descending = course_figures.parse_sort(sort)
    context.update(
        rows=course_figures.course_rows(context["node"], context["year"], sort=sort),
        sort_key=sort_key,
        descending=descending,
        keep=[("sort", f"{'-' if descending else ''}{sort_key}")] if sort else [],
        tab="courses",
    )
    return render(request, "dashboards/courses.html", context)
