"""Reads of the exams app."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from exams.models import Attempt, AttemptState, Exam, GradingMethod, ReviewPolicy
from org.models import Person


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


def attempt_paper(attempt: Attempt) -> list[dict[str, Any]]:
    """The paper as the learner sees it: options in the attempt's order, never the key."""
    questions = attempt.paper.select_related("version", "answer").order_by("position")
    paper = []
    for question in questions:
        version = question.version
        texts = {str(option["id"]): option["text"] for option in version.options}
        answer = getattr(question, "answer", None)
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
                "explanation": question.version.explanation,
                "score": answer.score if answer else Decimal("0"),
                "feedback": answer.feedback if answer else "",
            }
        )
    return review


def attempts_by_exam(person: Person, exams: list[Exam]) -> dict[int, list[Attempt]]:
    """The person's attempts at each of ``exams``, oldest first, in one query."""
    grouped: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(person=person, exam__in=exams).order_by("number"):
        grouped.setdefault(attempt.exam_id, []).append(attempt)
    return grouped
