"""Learner pages of the courses app: enrol, lesson access and checkpoints, My learning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from courses import selectors, services
from courses.forms import (
    NOBODY_IN_SCOPE,
    OfflineCreditForm,
    PersonLookupForm,
    TrainingPlanForm,
    person_by_number,
)
from courses.models import CoursePage, LessonPage
from org.access import PersonRequest, access, hr_required, person_required
from org.selectors import org_unit_labels


def course_enrol(request: HttpRequest, course: CoursePage) -> HttpResponse:
    """POST on a course page: the learner enrols as an elective."""
    if not request.user.is_authenticated:
        return redirect_to_login(course.url)
    person, _scope = access(request)
    if person is None:
        raise Http404
    try:
        services.enrolment_elect(person=person, course=course)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You are enrolled. Start with the first lesson."))
    return HttpResponseRedirect(course.url)


def lesson_serve(
    request: HttpRequest, lesson: LessonPage, serve: Callable[..., HttpResponse]
) -> HttpResponse:
    """Lessons are for enrolled learners; a POST answers a checkpoint question."""
    if not request.user.is_authenticated:
        return redirect_to_login(lesson.url)
    course = lesson.get_parent().specific
    enrolment = selectors.enrolment_for(request.user, course)
    if enrolment is None:
        messages.info(request, _("Enrol in the course to open its lessons."))
        return HttpResponseRedirect(course.url)
    if request.method == "POST":
        return _checkpoint_post(request, lesson, enrolment)
    # Handed to LessonPage.get_context, which would otherwise look it up a second time.
    request.course_enrolment = enrolment  # type: ignore[attr-defined]
    request.checkpoint_result = checkpoint_result(request, lesson)  # type: ignore[attr-defined]
    return serve(request)


CHECKPOINT_RESULT = "courses_checkpoint_result"  # session key: the answer just checked


def _checkpoint_post(request: HttpRequest, lesson: LessonPage, enrolment: Any) -> HttpResponse:
    """Check an answer; the result is shown inside the checkpoint, the choice kept.

    With JavaScript the page asks for JSON and shows it in place; without, the answer is
    kept in the session for the next page and the browser goes back to the question.
    """
    block_id = request.POST.get("checkpoint", "")[:64]
    raw_option = request.POST.get("option", "")
    option = int(raw_option) if raw_option.isascii() and raw_option.isdigit() else 0
    result = _checkpoint_check(enrolment=enrolment, lesson=lesson, block_id=block_id, option=option)
    if _wants_json(request):
        return JsonResponse(result, status=200 if result["outcome"] != "refused" else 400)
    request.session[CHECKPOINT_RESULT] = {**result, "lesson": lesson.pk}
    return HttpResponseRedirect(f"{lesson.url}#checkpoint-{block_id}")


def _checkpoint_check(
    *, enrolment: Any, lesson: LessonPage, block_id: str, option: int
) -> dict[str, Any]:
    """The outcome of one answer, in the words the learner reads next to the question."""
    checkpoint = lesson.checkpoints().get(block_id)
    if checkpoint is None or not 1 <= option <= len(checkpoint["options"]):
        message = (
            _("Choose one of the options.")
            if checkpoint is not None
            else _("This lesson has no such question.")
        )
        return {"block": block_id, "option": option, "outcome": "refused", "message": message}
    try:
        correct = services.checkpoint_answer(
            enrolment=enrolment, lesson=lesson, block_id=block_id, option=option
        )
    except ValidationError as error:
        return {
            "block": block_id,
            "option": option,
            "outcome": "refused",
            "message": " ".join(error.messages),
        }
    if not correct:
        return {
            "block": block_id,
            "option": option,
            "outcome": "wrong",
            "message": _("Not quite. Read the section again and try once more."),
        }
    state = selectors.lesson_state(enrolment=enrolment, lesson=lesson)
    return {
        "block": block_id,
        "option": option,
        "outcome": "correct",
        "message": _("Correct."),
        "explanation": checkpoint.get("explanation") or "",
        "lesson_completed": state.completed_at is not None,
    }


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def checkpoint_result(request: HttpRequest, lesson: LessonPage) -> dict[str, Any] | None:
    """The answer checked just before this page (no-JavaScript path), read once."""
    session = getattr(request, "session", None)
    if session is None or CHECKPOINT_RESULT not in session:
        return None
    result: dict[str, Any] = session.pop(CHECKPOINT_RESULT)
    return result if result.get("lesson") == lesson.pk else None


@person_required
@require_GET
def my_learning(request: PersonRequest) -> HttpResponse:
    """我的学习: assigned and elective courses, due dates, and this year's credit hours."""
    return render(request, "courses/my_learning.html", selectors.my_learning(request.person))


@person_required
@require_GET
def my_credits(request: PersonRequest) -> HttpResponse:
    """Every credit record of a year, and why it was granted."""
    person = request.person
    years = selectors.credits_by_year(person)
    raw = request.GET.get("year", "")
    # A year the ledger can hold, or this year: never a number the database overflows on.
    year = int(raw) if len(raw) == 4 and raw.isascii() and raw.isdigit() else None
    if year is None or not 2000 <= year <= 2100:
        year = timezone.localdate().year
    return render(
        request,
        "courses/my_credits.html",
        {"summary": selectors.credit_summary(person, year=year), "years": years},
    )


# --- HR officers: training plans and offline credit ---------------------------------------


@hr_required
def hr_plans(request: PersonRequest) -> HttpResponse:
    """Training plans in the officer's scope, and a form to assign a new one."""
    form = TrainingPlanForm(
        request.POST or None,
        units=request.scope.units(),
        roots=request.scope.roots,
        initial={"credit_year": timezone.localdate().year, "mandatory": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.training_plan_create(created_by=request.person, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Training plan created; enrolment is under way."))
            return redirect("courses:hr_plan", plan_id=plan.pk)
    plans = selectors.visible_training_plans(request.scope)
    return render(request, "courses/hr_plans.html", {"form": form, "plans": plans})


@hr_required
@require_GET
def hr_plan(request: PersonRequest, plan_id: int) -> HttpResponse:
    """One plan for the people in scope: per course, per child unit, and who is overdue.

    ``unit`` narrows to a unit of the scope (anything else is a 404, like the plan itself);
    ``page`` pages the overdue list (nonsense or past the end: the first page).
    """
    plan = get_object_or_404(selectors.visible_training_plans(request.scope), pk=plan_id)
    unit = None
    raw_unit = request.GET.get("unit", "").strip()
    if raw_unit:
        if not (raw_unit.isascii() and raw_unit.isdigit() and len(raw_unit) <= 12):
            raise Http404
        unit = get_object_or_404(request.scope.units(), pk=int(raw_unit))
    raw_page = request.GET.get("page", "")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) < 7 else 1
    status = selectors.training_plan_status(plan, scope=request.scope, unit=unit, page=page)
    return render(
        request,
        "courses/hr_plan.html",
        {"plan": plan, "unit_param": unit.pk if unit is not None else "", **status},
    )


OFFLINE_PAGE = 20


@hr_required
def hr_offline_credit(request: PersonRequest) -> HttpResponse:
    """Record hours earned in offline training for someone in the officer's scope.

    Two steps that work without JavaScript: the employee number is looked up first (GET,
    in scope only) and the person's name shown; the hours are then recorded for them.
    """
    people = request.scope.people()
    person = None
    status = 200
    lookup = PersonLookupForm(request.GET or None)
    form = None
    if request.method == "POST":
        form = OfflineCreditForm(request.POST, people=people)
        person = person_by_number(people, request.POST.get("employee_number", ""))
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = services.credit_record_offline(
                    person=data["employee_number"],
                    hours=data["hours"],
                    reason=data["reason"],
                    awarded_on=data["awarded_on"],
                    reference=data["reference"],
                    entered_by=request.person,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Recorded %(hours)s hours for %(name)s.")
                    % {"hours": record.hours, "name": record.person.real_name},
                )
                return redirect("courses:hr_offline_credit")
    elif lookup.is_valid():
        person = person_by_number(people, lookup.cleaned_data["employee_number"])
        if person is None:
            # Outside the scope and nobody at all look the same: a 404 with a plain sentence.
            lookup.add_error("employee_number", NOBODY_IN_SCOPE)
            status = 404
        else:
            form = OfflineCreditForm(
                people=people, initial={"employee_number": person.employee_number}
            )
    records = Paginator(selectors.offline_credits(request.scope), OFFLINE_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "courses/hr_offline_credit.html",
        {
            "lookup": lookup,
            "form": form,
            "person": person,
            "person_unit": org_unit_labels([person.org_unit], roots=request.scope.roots)[
                person.org_unit_id
            ]
            if person
            else "",
            "records": records,
        },
        status=status,
    )
