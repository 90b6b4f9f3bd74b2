"""Reads of the exams app."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Exam,
    GradingMethod,
    ReviewPolicy,
)
from org.models import Person
from org.selectors import Scope


def exam_result(*, exam: Exam, person: Person) -> Attempt | None:
    """The attempt that counts: the highest or the last graded one, per the exam's method."""
    graded = Attempt.objects.filter(exam=exam, person=person, state=AttemptState.GRADED)
    if exam.grading_method == GradingMethod.LAST:
        return graded.order_by("-number").first()
    return graded.order_by("-score", "number").first()


def exams_open_to(person: Person) -> QuerySet[Exam]:
    """Published exams a person may take: course exams only for people enrolled in the course."""
    return (
        Exam.objects.filter(is_published=True)
        .filter(Q(course__isnull=True) | Q(course__enrolments__person=person))
        .distinct()
    )


def attempt_of(person: Person, public_id: Any) -> Attempt | None:
    """One of the person's own attempts by its opaque id; anybody else's is None (a 404)."""
    return Attempt.objects.select_related("exam").filter(person=person, public_id=public_id).first()


def attempt_paper(
    attempt: Attempt, *, drawn: list[AttemptQuestion] | None = None
) -> list[dict[str, Any]]:
    """The paper as the learner sees it: options in the attempt's order, never the key.

    ``drawn``: the rows ``attempt_start`` has just created (``attempt.drawn``), with no
    answers yet; given, the paper is not read back (a start storm at 09:00).
    """
    rows: list[tuple[AttemptQuestion, Any]]
    if drawn is not None:
        rows = [(question, None) for question in drawn]
    else:
        questions = attempt.paper.select_related("version", "answer").order_by("position")
        rows = [(question, getattr(question, "answer", None)) for question in questions]
    paper = []
    for question, answer in rows:
        version = question.version
        texts = {str(option["id"]): option["text"] for option in version.options}
        paper.append(
            {
                "position": question.position,
                "kind": version.kind,
                "stem": version.stem,
                "options": [{"id": key, "text": texts[key]} for key in question.option_order],
                "blanks": len(version.answer or []) if version.kind == "fill" else 0,
                "points": question.points,
                "response": answer.response if answer else None,
                "saved_at": answer.saved_at if answer else None,
                "blank_values": _blank_values(version, answer),
            }
        )
    return paper


def _blank_values(version: Any, answer: Any) -> list[tuple[int, str]]:
    if version.kind != "fill":
        return []
    given = answer.response if answer and isinstance(answer.response, list) else []
    return [
        (index, given[index] if index < len(given) else "")
        for index in range(len(version.answer or []))
    ]


def review_allowed(attempt: Attempt, *, now: Any = None) -> bool:
    """Whether answers and explanations may be shown, per the exam's review policy."""
    now = now or timezone.now()
    if attempt.state in (AttemptState.IN_PROGRESS,):
        return False
    policy = attempt.exam.review_policy
    if policy == ReviewPolicy.NEVER:
        return False
    if policy == ReviewPolicy.AFTER_CLOSE:
        return attempt.exam.closes_at is not None and now >= attempt.exam.closes_at
    return True


def attempt_review(attempt: Attempt) -> list[dict[str, Any]]:
    """Per question: the learner's answer, the key, points earned and the explanation."""
    review = []
    for item, question in zip(
        attempt_paper(attempt),
        attempt.paper.select_related("version", "answer").order_by("position"),
        strict=True,
    ):
        answer = getattr(question, "answer", None)
        review.append(
            {
                **item,
                "correct_answer": question.version.answer,
                "response_text": describe_response(item, item["response"]),
                "correct_text": describe_response(item, question.version.answer),
                "explanation": question.version.explanation,
                "score": answer.score if answer else Decimal("0"),
                "feedback": answer.feedback if answer else "",
            }
        )
    return review


def describe_response(item: dict[str, Any], value: Any) -> str | None:
    """An answer or key as people read it: option letters as shown on this paper, with text.

    Option ids are stable internals ("a", "b"); the letters follow the attempt's shuffled
    order, so "B" here is the B the candidate saw. Fill-ins join their blanks with " | ".
    """
    if value is None:
        return None
    kind = item["kind"]
    if kind in ("single", "true_false", "multiple"):
        labels = {
            option["id"]: f"{chr(ord('A') + index)}. {option['text']}"
            for index, option in enumerate(item["options"])
        }
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(str(option), str(option)) for option in chosen)
    if kind == "fill":
        return " | ".join(
            "/".join(blank) if isinstance(blank, list) else str(blank) for blank in value
        )
    return str(value)


def attempts_by_exam(person: Person, exams: list[Exam]) -> dict[int, list[Attempt]]:
    """The person's attempts at each of ``exams``, oldest first, in one query."""
    grouped: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(person=person, exam__in=exams).order_by("number"):
        grouped.setdefault(attempt.exam_id, []).append(attempt)
    return grouped


@dataclass(frozen=True)
class ItemStatistic:
    question_id: int
    stem: str
    kind: str
    answered: int
    facility: float  # mean share of the points earned: 1.0 everyone right, 0.0 nobody
    discrimination: float | None  # upper 27% minus lower 27% facility; None with few attempts


MIN_ATTEMPTS_FOR_DISCRIMINATION = 10


def item_statistics(attempts: QuerySet[Attempt]) -> list[ItemStatistic]:
    """Facility and discrimination index of each question on the graded ``attempts``
    (one exam's, cut to what the viewer may see: an HR officer's figures come from their
    own people's answers only).

    Discrimination compares the best and the worst 27% of attempts by total score: a good
    question is answered better by those who did well overall (close to 1), a suspect one
    the other way round (negative).
    """
    graded = list(
        attempts.filter(state=AttemptState.GRADED)
        .order_by()
        .values_list("pk", "score", "max_score")
    )
    if not graded:
        return []
    ranked = sorted(graded, key=lambda row: (row[1] or 0) / row[2] if row[2] else 0)
    tail = max(1, round(len(ranked) * 0.27))
    lower = {row[0] for row in ranked[:tail]}
    upper = {row[0] for row in ranked[-tail:]}
    shares: dict[int, list[tuple[int, float]]] = {}
    stems: dict[int, tuple[str, str]] = {}
    rows = AttemptQuestion.objects.filter(attempt__in=[row[0] for row in graded]).values_list(
        "attempt_id",
        "points",
        "answer__score",
        "version__question_id",
        "version__question__current_version__stem",
        "version__kind",
    )
    for attempt_id, points, score, question_id, stem, kind in rows:
        share = float((score or 0) / points) if points else 0.0
        shares.setdefault(question_id, []).append((attempt_id, share))
        stems[question_id] = (stem or "", kind)
    statistics = []
    for question_id, values in shares.items():
        facility = sum(share for _id, share in values) / len(values)
        discrimination = None
        if len(graded) >= MIN_ATTEMPTS_FOR_DISCRIMINATION:
            top = [share for attempt_id, share in values if attempt_id in upper]
            bottom = [share for attempt_id, share in values if attempt_id in lower]
            if top and bottom:
                discrimination = sum(top) / len(top) - sum(bottom) / len(bottom)
        stem, kind = stems[question_id]
        statistics.append(
            ItemStatistic(
                question_id=question_id,
                stem=stem,
                kind=kind,
                answered=len(values),
                facility=round(facility, 3),
                discrimination=None if discrimination is None else round(discrimination, 3),
            )
        )
    return sorted(statistics, key=lambda item: item.facility)


# --- trainers and HR: results, attempt detail, the manual-grading queue ---------------------


def can_grade(user: Any) -> bool:
    """Trainers (who edit exams) and administrators grade short answers; HR officers only read."""
    return bool(user.has_perm("exams.change_exam"))


def staff_attempts(user: Any, scope: Scope) -> QuerySet[Attempt]:
    """Attempts a staff user may see: graders (trainers) and administrators every one,
    HR officers those of the people in their scope, anybody else none."""
    attempts = Attempt.objects.all()
    if can_grade(user):
        return attempts
    return scope.narrow(attempts, via="person__org_unit")


def staff_exams(user: Any, scope: Scope) -> QuerySet[Exam]:
    """Exams a staff user may open results of: graders all; others the published ones and
    those with attempts they may see (an unpublished exam outside scope is a 404)."""
    exams = Exam.objects.select_related("course")
    if can_grade(user) or scope.everything:
        return exams
    seen = staff_attempts(user, scope).values("exam_id")
    return exams.filter(Q(is_published=True) | Q(pk__in=seen))


def exam_attempts_visible_to(user: Any, scope: Scope, exam: Exam) -> QuerySet[Attempt]:
    """Attempts at one exam a staff user may see, by unit and employee number."""
    return (
        staff_attempts(user, scope)
        .filter(exam=exam)
        .select_related("person", "person__org_unit")
        .order_by("person__org_unit__path", "person__employee_number", "number")
    )


def exams_with_results_for(user: Any, scope: Scope) -> list[dict[str, Any]]:
    """Every exam with attempts the user may see, with counts for the results index."""
    attempts = staff_attempts(user, scope)
    graded = Q(state=AttemptState.GRADED)
    counts: dict[int, dict[str, int]] = {
        row["exam_id"]: {
            "attempts": row["attempts"],
            "graded": row["graded"],
            "passed": row["passed"],
            "waiting": row["waiting"],
        }
        for row in attempts.values("exam_id").annotate(
            attempts=Count("pk"),
            graded=Count("pk", filter=graded),
            passed=Count("pk", filter=graded & Q(passed=True)),
            waiting=Count("pk", filter=Q(state__in=[AttemptState.SUBMITTED, AttemptState.EXPIRED])),
        )
    }
    exams = Exam.objects.filter(Q(is_published=True) | Q(pk__in=counts)).select_related("course")
    return [
        {
            "exam": exam,
            **counts.get(exam.pk, {"attempts": 0, "graded": 0, "passed": 0, "waiting": 0}),
        }
        for exam in exams.order_by("title")
    ]


def attempt_visible_to(user: Any, scope: Scope, public_id: Any) -> Attempt | None:
    """An attempt for the staff detail page: graders see all, HR officers their subtree."""
    return (
        staff_attempts(user, scope)
        .select_related("exam", "person", "person__org_unit")
        .filter(public_id=public_id)
        .first()
    )


def attempt_detail(attempt: Attempt) -> list[dict[str, Any]]:
    """The review of an attempt with what staff need besides: rubric, grader, answer id."""
    staff = {
        question.position: question
        for question in attempt.paper.select_related("version", "answer", "answer__graded_by")
    }
    detail = []
    for item in attempt_review(attempt):
        question = staff[item["position"]]
        answer = getattr(question, "answer", None)
        detail.append(
            {
                **item,
                "rubric": question.version.rubric,
                "answer_id": answer.pk if answer else None,
                "graded_by": answer.graded_by if answer else None,
                "awaiting_grading": bool(
                    answer
                    and question.version.kind == "short"
                    and answer.graded_by_id is None
                    and attempt.state in (AttemptState.SUBMITTED, AttemptState.EXPIRED)
                ),
            }
        )
    return detail


def grading_queue(exam: Exam | None = None) -> QuerySet[Answer]:
    """Short answers of finished attempts that wait for a trainer, longest-waiting first."""
    answers = Answer.objects.filter(
        graded_by__isnull=True,
        attempt_question__version__kind="short",
        attempt_question__attempt__state__in=[AttemptState.SUBMITTED, AttemptState.EXPIRED],
    )
    if exam is not None:
        answers = answers.filter(attempt_question__attempt__exam=exam)
    return answers.select_related(
        "attempt_question__version",
        "attempt_question__attempt__exam",
        "attempt_question__attempt__person__org_unit",
    ).order_by("attempt_question__attempt__finished_at", "attempt_question__position")
