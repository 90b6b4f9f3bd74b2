"""Certificate pages: public verification, a learner's 我的证书, and HR officers' bulk work."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from certificates import selectors, services
from certificates.forms import BulkJobForm, RevokeForm
from certificates.models import BulkJobKind, CertificateStatus
from certificates.tasks import bulk_job_start_task
from courses.selectors import visible_training_plans
from org.access import PersonRequest, hr_required, person_required
from org.files import private_file_response
from org.security import client_ip

VERIFY_LIMIT = 30  # look-ups a minute from one address: plenty for people, little for scrapers


def rate_limited(request: HttpRequest, scope: str, limit: int) -> bool:
    """A fixed one-minute window per client address, counted in the shared cache (Redis)."""
    key = f"ratelimit:{scope}:{client_ip(request)}:{int(time.time() // 60)}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # the key expired between add and incr
        return False


# --- the public ---------------------------------------------------------------------------


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Type the verification code or the serial number from the paper instead of scanning
    the QR code. A code leads to its page; a serial is shown here (it is guessable, so the
    look-up counts against the same limit, and the page never shows the code)."""
    raw = request.GET.get("code", "")
    if not raw.strip():
        return render(request, "certificates/verify_form.html")
    if len(raw) > selectors.LOOKUP_MAX_LENGTH:
        return _verify_refused(
            request,
            _(
                "That is longer than any verification code or serial number. Type the 16 "
                "letters and digits under the QR code, or the number after 证书编号."
            ),
        )
    lookup = selectors.lookup_parse(raw)
    if lookup is None:
        return _verify_refused(
            request,
            _(
                "This is neither a verification code (16 letters and digits, printed under the "
                "QR code) nor a serial number (like ZJ-2026-000123, printed after 证书编号)."
            ),
            typed=raw,
        )
    if lookup.code:
        return redirect("certificates:verify", code=lookup.code)
    return _verify_result(request, selectors.verification(serial=lookup.serial))


def _verify_refused(request: HttpRequest, error: str, typed: str = "") -> HttpResponse:
    return render(
        request,
        "certificates/verify_form.html",
        {"error": error, "code": typed[: selectors.LOOKUP_MAX_LENGTH]},
        status=400,
    )


def _verify_result(request: HttpRequest, facts: selectors.Verification | None) -> HttpResponse:
    if rate_limited(request, "verify", VERIFY_LIMIT):
        return render(request, "certificates/rate_limited.html", status=429)
    if facts is None:
        # The same page for an unknown, a malformed, a pending and a failed certificate.
        return render(request, "certificates/verify_not_found.html", status=404)
    return render(request, "certificates/verify.html", {"facts": facts})


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """The public facts of a certificate (the QR code's address); a code or serial nobody
    holds is a 404 page saying so, revealing nothing else."""
    lookup = selectors.lookup_parse(code[: selectors.LOOKUP_MAX_LENGTH + 1])
    if lookup is None or len(code) > selectors.LOOKUP_MAX_LENGTH:
        return _verify_result(request, None)
    if lookup.code:
        return _verify_result(request, selectors.verification(lookup.code))
    return _verify_result(request, selectors.verification(serial=lookup.serial))


# --- learners -------------------------------------------------------------------------------


@person_required
@require_GET
def my_certificates(request: PersonRequest) -> HttpResponse:
    return render(
        request,
        "certificates/my_certificates.html",
        {"certificates": selectors.my_certificates(request.person)},
    )


@person_required
@require_GET
def certificate_download(request: PersonRequest, code: str) -> HttpResponseBase:
    """The PDF of one of the learner's own valid certificates; anybody else's, and a revoked
    or replaced one, is a 404."""
    certificate = selectors.certificate_of(request.person, code)
    if certificate is None or certificate.status != CertificateStatus.ISSUED or not certificate.pdf:
        raise Http404
    return private_file_response(
        str(certificate.pdf.name),
        filename=f"{certificate.serial}.pdf",
        content_type="application/pdf",
    )


# --- HR officers -----------------------------------------------------------------------------


HR_PAGE = 50


@hr_required
def hr_certificates(request: PersonRequest) -> HttpResponse:
    """Certificates of the officer's people, newest first, and the bulk actions."""
    person = request.person
    form = BulkJobForm(
        request.POST or None,
        units=request.scope.units(),
        plans=visible_training_plans(request.scope),
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = services.bulk_job_create(
                requested_by=person, visible=request.scope.people(), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            transaction.on_commit(lambda: bulk_job_start_task.delay(job.pk))
            return redirect("certificates:hr_job", job_id=job.pk)
    certificates = selectors.certificates_in_scope(request.scope)
    query = request.GET.get("q", "").strip()
    if query:
        certificates = certificates.filter(
            Q(holder_name__contains=query)
            | Q(serial=query.upper())
            | Q(person__employee_number=query)
        )
    return render(
        request,
        "certificates/hr_certificates.html",
        {
            "certificates": certificates[:HR_PAGE],
            "query": query,
            "form": form,
            "jobs": [
                (job, selectors.bulk_job_description(job))
                for job in selectors.bulk_jobs_of(person)[:10]
            ],
        },
    )


@hr_required
@require_POST
def hr_certificate_action(request: PersonRequest, certificate_id: int, action: str) -> HttpResponse:
    """Revoke (with a reason) or re-issue one certificate of the officer's people."""
    person = request.person
    certificate = get_object_or_404(
        selectors.certificates_in_scope(request.scope), pk=certificate_id
    )
    try:
        if action == "revoke":
            form = RevokeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(list(form.errors["reason"]))
            services.certificate_revoke(
                certificate=certificate, by=person, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Certificate %s revoked.") % certificate.serial)
        elif action == "reissue":
            new = services.certificate_reissue(
                certificate=certificate, by=person, reason=request.POST.get("reason", "")
            )
            if new.status == CertificateStatus.FAILED:
                messages.error(request, new.failure)
            else:
                messages.success(
                    request,
                    _("Re-issued as %(serial)s; %(old)s is kept as history.")
                    % {"serial": new.serial, "old": certificate.serial},
                )
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("certificates:hr_certificates")


@hr_required
@require_GET
def hr_job(request: PersonRequest, job_id: int) -> HttpResponse:
    """A bulk job's progress; ``?format=json`` feeds the progress bar without a reload."""
    job = get_object_or_404(selectors.bulk_jobs_of(request.person), pk=job_id)
    if request.GET.get("format") == "json":
        return JsonResponse(_job_state(job))
    return render(
        request,
        "certificates/hr_job.html",
        {
            "job": job,
            "state": _job_state(job),
            "description": selectors.bulk_job_description(job),
        },
    )


@hr_required
@require_POST
def hr_job_cancel(request: PersonRequest, job_id: int) -> HttpResponse:
    """Stop one's own bulk job; what it already issued stays."""
    job = get_object_or_404(selectors.bulk_jobs_of(request.person), pk=job_id)
    try:
        services.bulk_job_cancel(job=job)
        messages.success(request, _("The job is cancelled; certificates it already issued stay."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("certificates:hr_job", job_id=job.pk)


def _job_state(job: Any) -> dict[str, Any]:
    return {
        "status": job.status,
        "status_display": job.get_status_display(),
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "percent": job.percent,
        "finished": job.status not in services.ACTIVE,
        "download": bool(job.result),
        "summary": (
            _("%(status)s · %(done)s of %(total)s certificates packed")
            if job.kind == BulkJobKind.ZIP
            else _("%(status)s · %(done)s of %(total)s done, %(failed)s could not be issued")
        )
        % {
            "status": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "failed": job.failed,
        },
    }


@hr_required
@require_GET
def hr_job_download(request: PersonRequest, job_id: int) -> HttpResponseBase:
    """One's own bulk ZIP (recorded in the audit trail: personal data of many people)."""
    job = get_object_or_404(
        selectors.bulk_jobs_of(request.person).select_related(
            "org_unit", "training_plan__org_unit"
        ),
        pk=job_id,
    )
    if not job.result:
        raise Http404
    services.bulk_zip_downloaded(job=job)
    return private_file_response(
        str(job.result.name), filename=f"certificates-{job.pk}.zip", content_type="application/zip"
    )
