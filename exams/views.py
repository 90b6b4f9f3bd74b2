"""Trainer views in the Wagtail admin: importing questions from XLSX or CSV with a dry run."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from exams import importing

SESSION_KEY = "exams.question_import"


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "question-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@permission_required("exams.add_question", raise_exception=True)
def question_import(request: HttpRequest) -> HttpResponse:
    """Upload a file: every row is checked and shown; importing is offered only when all pass."""
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request)
    parsed = None
    filename = ""
    token = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to check."))
            return redirect("exams_question_import")
        filename = upload.name or ""
        content = upload.read(importing.MAX_BYTES + 1)
        parsed = importing.parse(filename, content)
        if parsed.ok:
            token = secrets.token_hex(16)
            suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
            (_upload_dir() / f"{token}{suffix}").write_bytes(content)
            request.session[SESSION_KEY] = {"token": token, "suffix": suffix, "name": filename}
    return render(
        request,
        "exams/question_import.html",
        {
            "parsed": parsed,
            "filename": filename,
            "headers": importing.TEMPLATE_HEADERS,
            "confirm_token": token,
        },
    )


def _confirm(request: HttpRequest) -> HttpResponse:
    stored = request.session.pop(SESSION_KEY, None)
    if not stored or stored.get("token") != request.POST.get("confirm"):
        messages.error(request, _("The checked file has expired; upload it again."))
        return redirect("exams_question_import")
    path = _upload_dir() / f"{stored['token']}{stored['suffix']}"
    try:
        parsed = importing.parse(stored["name"], path.read_bytes())
        created = importing.question_import(parsed)
    except (OSError, ValidationError):
        messages.error(request, _("The file could not be imported; nothing was changed."))
        return redirect("exams_question_import")
    finally:
        path.unlink(missing_ok=True)
    messages.success(request, _("Imported %s questions.") % created)
    return redirect("questions:index")


@permission_required("exams.add_question", raise_exception=True)
@require_GET
def question_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The one-row-per-question template, with an example of every question type."""
    if fmt == "xlsx":
        response = HttpResponse(
            importing.template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "csv":
        response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="question-template.{fmt}"'
    return response
