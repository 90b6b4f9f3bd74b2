"""Exports of the dashboards' tables (导出): ask for one, watch it being written, take it.

The request's year and unit are validated as every dashboard page validates them
(``selectors.parse_year``, ``dashboard_node`` in ``request.scope``: a unit outside it is a
404); a job is found only among the officer's own (``exports.jobs_of``), so anybody else's,
another officer of the same unit included, is a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dashboards import exports, selectors
from dashboards.models import ExportStatus
from dashboards.views import bad_request
from org.access import PersonRequest, hr_required
from org.files import private_file_response


@require_POST
@hr_required
def export_start(request: PersonRequest, table: str) -> HttpResponse:
    """Start (or find) the export of one table as the page showed it; go to its job page."""
    definition = exports.TABLES.get(table)
    if definition is None:
        raise Http404
    file_format = request.POST.get("format", "")
    try:
        year = selectors.parse_year(request.POST.get("year"))
        if file_format not in exports.FORMATS:
            raise BadRequest(_("Choose XLSX or CSV."))
    except BadRequest as error:
        return bad_request(request, str(error))
    node = selectors.dashboard_node(request.scope, selectors.parse_id(request.POST.get("unit")))
    params = exports.export_params(
        year=year,
        node=node,
        filters=definition.filters(request.POST),
        language=request.LANGUAGE_CODE,
    )
    job, _created = exports.export_request(
        person=request.person, table=table, file_format=file_format, params=params
    )
    return redirect("dashboards:export_job", job_id=job.pk)


@require_GET
@hr_required
def export_job(request: PersonRequest, job_id: int) -> HttpResponse:
    """One's own export: its progress, then the link; ``?format=json`` feeds the bar."""
    job = get_object_or_404(exports.jobs_of(request.person), pk=job_id)
    state = exports.job_state(job)
    if request.GET.get("format") == "json":
        return JsonResponse(state)
    table = exports.TABLES.get(job.table)
    node = None
    try:
        node = selectors.dashboard_node(request.scope, job.params.get("unit"))
    except Http404:
        pass  # the unit left the scope since: the job failed, its page says so
    filters = table.filters(job.params.get("filters") or {}) if table else {}
    return render(
        request,
        "dashboards/export_job.html",
        {
            "job": job,
            "state": state,
            "table_title": table.title if table else job.table,
            "scope_label": exports.scope_label(node) if node else "",
            "filters_label": exports.filters_label(table, filters) if table else "",
            "year": job.params.get("year"),
            "back": exports.page_url(job),
            "expires": job.created_at + timedelta(days=settings.DASHBOARD_EXPORT_DAYS),
            "days": settings.DASHBOARD_EXPORT_DAYS,
            "unfinished": job.status in exports.UNFINISHED,
            "failed": job.status == ExportStatus.FAILED,
        },
    )


@require_GET
@hr_required
def export_download(request: PersonRequest, job_id: int) -> HttpResponseBase:
    """One's own finished export (recorded in the audit trail: personal data of many)."""
    job = get_object_or_404(
        exports.jobs_of(request.person).filter(status=ExportStatus.DONE).exclude(result=""),
        pk=job_id,
    )
    exports.export_downloaded(job=job)
    return private_file_response(
        str(job.result.name),
        filename=job.filename or f"export-{job.pk}.{job.file_format}",
        content_type=exports.FORMATS[job.file_format],
    )
