"""Exam views: importing questions (trainers, Wagtail admin) and taking exams (learners)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.models import CoursePage
from exams import importing, selectors, services
from exams.forms import ManualGradeForm
from exams.models import Answer, Attempt, AttemptState, Exam
from org.access import PersonRequest, StaffRequest, permission_required_or_404, person_required

SESSION_KEY = "exams.question_import"


@permission_required_or_404("exams.add_question")
def question_import(request: StaffRequest) -> HttpResponse:
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
            # Kept privately until the trainer confirms (unconfirmed ones expire hourly).
            suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
            token = importing.upload_stash(content=content, suffix=suffix)
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
    try:
        content = importing.upload_take(token=stored["token"], suffix=stored["suffix"])
        parsed = importing.parse(stored["name"], content)
        created = importing.question_import(parsed)
    except (OSError, ValueError, ValidationError):
        messages.error(request, _("The file could not be imported; nothing was changed."))
        return redirect("exams_question_import")
    messages.success(request, _("Imported %s questions.") % created)
    return redirect("questions:index")


@permission_required_or_404("exams.add_question")
@require_GET
def question_import_template(request: StaffRequest, fmt: str) -> HttpResponse:
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


# --- learners -------------------------------------------------------------------------


@person_required
@require_GET
def my_exams(request: PersonRequest) -> HttpResponse:
    """Exams open to the learner, with their attempts and the result that counts; ``course``
    narrows the list to one course's exams (where the course page's link may land)."""
    course = None
    raw = request.GET.get("course", "")
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise Http404
        course = get_object_or_404(CoursePage, pk=int(raw))
    rows = selectors.my_exams(request.person, course_id=course.pk if course else None)
    return render(request, "exams/my_exams.html", {"rows": rows, "course": course})


@person_required
@require_GET
def exams_for_course(request: PersonRequest, course_id: int) -> HttpResponse:
    """From a course page to its exam: the start page of its one open exam, otherwise the
    learner's exams of that course, with a sentence saying why."""
    course = get_object_or_404(CoursePage, pk=course_id)
    exam = selectors.course_exam_destination(request.person, course.pk)
    if exam is not None:
        return redirect("exams:start", exam_id=exam.pk)
    return redirect(f"{reverse('exams:my_exams')}?course={course.pk}")


@person_required
def exam_start(request: PersonRequest, exam_id: int) -> HttpResponse:
    """What starting means (time limit, attempts left, the clock starts at once); starting
    or continuing is a POST of the confirmation form, and a second POST resumes."""
    person = request.person
    exam = get_object_or_404(selectors.exams_open_to(person).select_related("course"), pk=exam_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "start":
            messages.error(request, _("Confirm with the button to start the exam."))
            return redirect("exams:start", exam_id=exam.pk)
        try:
            attempt = services.attempt_start(exam=exam, person=person)
        except services.AttemptRefused as error:
            messages.error(request, " ".join(error.messages))
        else:
            return redirect("exams:attempt", public_id=attempt.public_id)
        return redirect("exams:start", exam_id=exam.pk)
    attempts = selectors.attempts_by_exam(person, [exam])
    allowance = selectors.allowances_for(person, [exam], attempts=attempts)[exam.pk]
    used = attempts.get(exam.pk, [])
    return render(
        request,
        "exams/exam_start.html",
        {
            "exam": exam,
            "attempts": used,
            "allowance": allowance,
            "has_questions": selectors.exam_has_questions(exam),
            "result": selectors.result_among(exam, used),
        },
    )


@person_required
def attempt_page(request: PersonRequest, public_id: str) -> HttpResponse:
    """Taking the exam. Without JavaScript the form posts every answer and submits."""
    attempt = selectors.attempt_of(request.person, public_id)
    if attempt is None:
        raise Http404
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect("exams:result", public_id=attempt.public_id)
    if request.method == "POST":
        errors = _save_form_answers(attempt, request.POST)
        for error in errors:
            messages.error(request, error)
        if request.POST.get("action") == "submit" and not errors:
            services.attempt_submit(attempt=attempt)
            return redirect("exams:result", public_id=attempt.public_id)
        return redirect("exams:attempt", public_id=attempt.public_id)
    paper = selectors.attempt_paper(attempt)
    return render(
        request,
        "exams/attempt.html",
        {
            "attempt": attempt,
            "paper": paper,
            "answered": sum(1 for item in paper if item["response"] is not None),
            "server_now": timezone.now(),
        },
    )


def _save_form_answers(attempt: Attempt, data: Any) -> list[str]:
    errors = []
    for item in selectors.attempt_paper(attempt):
        key = f"q{item['position']}"
        if item["kind"] == "multiple":
            response: Any = data.getlist(key)
            if not response:
                continue
        elif item["kind"] == "fill":
            response = [data.get(f"{key}_{blank}", "") for blank in range(item["blanks"])]
            if not any(response):
                continue
        else:
            response = data.get(key)
            if response in (None, ""):
                continue
        try:
            services.answer_save(attempt=attempt, position=item["position"], response=response)
        except ValidationError as error:
            errors.append(
                _("Question %(n)s: %(error)s")
                % {"n": item["position"], "error": " ".join(error.messages)}
            )
    return errors


@person_required
@require_GET
def attempt_result(request: PersonRequest, public_id: str) -> HttpResponse:
    """Score and pass; the answers and explanations when the review policy allows."""
    attempt = selectors.attempt_of(request.person, public_id)
    if attempt is None:
        raise Http404
    release = selectors.review_release(attempt)
    review = None
    if release.shows_answers:
        review = selectors.attempt_review(attempt, with_key=release.shows_key)
    return render(
        request,
        "exams/result.html",
        {"attempt": attempt, "release": release, "review": review},
    )


# --- trainers and HR: results -------------------------------------------------------------


@permission_required_or_404("wagtailadmin.access_admin")
@require_GET
def exam_results(request: StaffRequest, exam_id: int) -> HttpResponse:
    """Attempts at one exam and item statistics, both from what the user may see (an HR
    officer: the people of their subtrees only)."""
    exam = get_object_or_404(selectors.staff_exams(request.user, request.scope), pk=exam_id)
    attempts = selectors.exam_attempts_visible_to(request.user, request.scope, exam)
    return render(
        request,
        "exams/exam_results.html",
        {
            "exam": exam,
            "attempts": attempts,
            "statistics": selectors.item_statistics(attempts),
            "minimum": selectors.MIN_ATTEMPTS_FOR_DISCRIMINATION,
            "can_grade": selectors.can_grade(request.user),
            "waiting": selectors.grading_queue(exam).count(),
        },
    )


@permission_required_or_404("wagtailadmin.access_admin")
@require_GET
def results_index(request: StaffRequest) -> HttpResponse:
    """Every exam with the attempts the user may see, and what waits for grading."""
    return render(
        request,
        "exams/results_index.html",
        {
            "rows": selectors.exams_with_results_for(request.user, request.scope),
            "can_grade": selectors.can_grade(request.user),
        },
    )


@permission_required_or_404("wagtailadmin.access_admin")
@require_GET
def attempt_detail(request: StaffRequest, public_id: str) -> HttpResponse:
    """One attempt question by question: answer, key, points, rubric; graders grade here."""
    attempt = selectors.attempt_visible_to(request.user, request.scope, public_id)
    if attempt is None:
        raise Http404
    can_grade = selectors.can_grade(request.user)
    return render(
        request,
        "exams/attempt_detail.html",
        {
            "attempt": attempt,
            "items": selectors.attempt_detail(attempt),
            "can_grade": can_grade,
            "form": ManualGradeForm() if can_grade else None,
        },
    )


@permission_required_or_404("exams.change_exam")
@require_GET
def grading_queue(request: StaffRequest) -> HttpResponse:
    """Short answers waiting for a trainer, oldest first; graded in place, one by one."""
    exam = None
    if request.GET.get("exam"):
        raw = request.GET["exam"]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise Http404
        exam = get_object_or_404(Exam, pk=request.GET["exam"])
    return render(
        request,
        "exams/grading_queue.html",
        {
            "exam": exam,
            "items": selectors.grading_queue_page(exam, limit=QUEUE_PAGE),
            "waiting": selectors.grading_queue(exam).count(),
            "form": ManualGradeForm(),
        },
    )


QUEUE_PAGE = 20


@permission_required_or_404("exams.change_exam")
@require_POST
def answer_grade(request: StaffRequest, answer_id: int) -> HttpResponse:
    """Grade one short answer, then go back to where the trainer came from."""
    answer = get_object_or_404(
        Answer.objects.select_related("attempt_question__attempt"), pk=answer_id
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("exams_attempt_detail", args=[answer.attempt_question.attempt.public_id])
    grader = request.person
    form = ManualGradeForm(request.POST)
    if grader is None:
        messages.error(request, _("Grading needs a personnel record for your account."))
    elif not form.is_valid():
        messages.error(
            request,
            _("Points: %s") % " ".join(str(error) for error in form.errors.get("score", [])),
        )
    else:
        try:
            attempt = services.answer_grade_manually(
                answer=answer,
                score=form.cleaned_data["score"],
                feedback=form.cleaned_data["feedback"],
                grader=grader,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if attempt.state == AttemptState.GRADED:
                messages.success(
                    request,
                    _("Graded. The attempt is complete: %(score)s of %(max)s points.")
                    % {"score": attempt.score, "max": attempt.max_score},
                )
            else:
                messages.success(request, _("Graded. Other answers of this attempt still wait."))
    return redirect(back)
