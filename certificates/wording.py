"""What a certificate says the holder achieved: one rule, used by every renderer.

The PDF (``{achievement}`` in a template), the public verification page and its JSON twin,
我的证书 and its API all print :func:`achievement`; nothing else words it
(docs/certificates.md, "What a certificate says").

The wording follows the course's completion rule as it was when the certificate was issued,
and never claims an exam nobody passed:

    basis              printed (zh-hans)          when
    lessons            完成全部课程学习             the rule asks for the lessons only
    lessons_and_exam   完成课程学习并经考核合格      the rule asks for the exam too, and the
                                                  holder's enrolment records the exam passed

A lessons-only course whose holder also passed an optional exam says ``lessons``: the
certificate states what the course required, not everything the holder did.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy, pgettext_lazy


class CompletionBasis(models.TextChoices):
    """On what grounds a certificate was issued, copied onto it at issue."""

    LESSONS = "lessons", pgettext_lazy("certificate basis", "Lessons")
    LESSONS_AND_EXAM = "lessons_and_exam", pgettext_lazy("certificate basis", "Lessons and exam")


_ACHIEVEMENTS: dict[str, StrPromise] = {
    CompletionBasis.LESSONS: gettext_lazy("completed all the lessons of the course"),
    CompletionBasis.LESSONS_AND_EXAM: gettext_lazy(
        "completed the lessons of the course and passed the exam"
    ),
}


def basis_for(*, completion_rule: str, exam_passed: bool) -> CompletionBasis:
    """The basis of a certificate for a course rule and whether the exam pass is recorded."""
    if completion_rule == "lessons_and_exam" and exam_passed:
        return CompletionBasis.LESSONS_AND_EXAM
    return CompletionBasis.LESSONS


def achievement(basis: str) -> str:
    """What the holder achieved, in the active language: 完成全部课程学习 or
    完成课程学习并经考核合格. An unknown basis says the least (lessons)."""
    return str(_ACHIEVEMENTS.get(basis, _ACHIEVEMENTS[CompletionBasis.LESSONS]))
