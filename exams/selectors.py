"""Reads of the exams app."""

from __future__ import annotations

from exams.models import Attempt, AttemptState, Exam, GradingMethod
from org.models import Person


def exam_result(*, exam: Exam, person: Person) -> Attempt | None:
    """The attempt that counts: the highest or the last graded one, per the exam's method."""
    graded = Attempt.objects.filter(exam=exam, person=person, state=AttemptState.GRADED)
    if exam.grading_method == GradingMethod.LAST:
        return graded.order_by("-number").first()
    return graded.order_by("-score", "number").first()
