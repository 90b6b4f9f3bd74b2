"""Reads of the exams app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exams import review
from exams.models import (
    GRACE_SECONDS,
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Exam,
    ExamOverride,
    GradingMethod,
    ReviewContent,
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


def result_among(exam: Exam, attempts: Sequence[Attempt]) -> Attempt | None:
    """``exam_result`` over attempts already read (the exam list reads them all at once)."""
    graded = [attempt for attempt in attempts if attempt.state == AttemptState.GRADED]
    if not graded:
        return None
    if exam.grading_method == GradingMethod.LAST:
        return max(graded, key=lambda attempt: attempt.number)
    return min(graded, key=lambda attempt: (-(attempt.score or 0), attempt.number))


def exams_open_to(person: Person) -> QuerySet[Exam]:
    """Published exams a person may take: course exams only for people enrolled in the course."""
    return (
        Exam.objects.filter(is_published=True)
        .filter(Q(course__isnull=True) | Q(course__enrolments__person=person))
        .distinct()
    )


def exam_is_open(exam: Exam, *, now: datetime | None = None) -> bool:
    """Published and inside its window: an attempt could start now."""
    now = now or timezone.now()
    return bool(
        exam.is_published
        and (exam.opens_at is None or exam.opens_at <= now)
        and (exam.closes_at is None or now < exam.closes_at)
    )


def exam_has_questions(exam: Exam) -> bool:
    """Whether the exam has fixed questions or draw rules at all (a start draws the rest)."""
    return exam.fixed_questions.exists() or exam.draw_rules.exists()


def attempt_of(person: Person, public_id: Any) -> Attempt | None:
    """One of the person's own attempts by its opaque id; anybody else's is None (a 404)."""
    return Attempt.objects.select_related("exam").filter(person=person, public_id=public_id).first()


# --- attempts allowed: the one rule ----------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """What a person may do at an exam now. The service that starts attempts, the API and
    every page take the number of attempts and the reason for a refusal from here."""

    allowed: int  # the exam's attempts plus the person's extra attempts
    extra_attempts: int
    used: int  # every attempt started counts, open and timed-out ones too
    minutes: int  # the time limit of a new attempt, extra minutes included
    deadline: datetime  # when a new attempt started now would end (the exam's close at latest)
    ends_at_close: bool  # the exam closes before the time limit would run out
    resumable: bool  # an attempt is open with time left: starting continues it
    refusal: str  # why no new attempt can start; "" when one can

    @property
    def remaining(self) -> int:
        return max(0, self.allowed - self.used)

    @property
    def can_start(self) -> bool:
        return self.resumable or not self.refusal

    @property
    def remaining_after_start(self) -> int:
        """Attempts left once the one about to start is used."""
        return self.remaining if self.resumable else max(0, self.remaining - 1)


def allowance_of(
    *,
    exam: Exam,
    attempts: Sequence[tuple[str, datetime]],
    override: ExamOverride | None,
    now: datetime,
) -> Allowance:
    """The allowance from what is already read: the person's (state, deadline) per attempt
    and their override. ``attempt_start`` calls it on the rows it has locked."""
    extra_attempts = override.extra_attempts if override else 0
    minutes = exam.duration_minutes + (override.extra_minutes if override else 0)
    allowed = exam.attempts_allowed + extra_attempts
    grace = timedelta(seconds=GRACE_SECONDS)
    resumable = any(
        state == AttemptState.IN_PROGRESS and now <= deadline + grace
        for state, deadline in attempts
    )
    used = len(attempts)
    refusal = ""
    if not exam.is_published:
        refusal = _("This exam is not open.")
    elif exam.opens_at and now < exam.opens_at:
        refusal = _("This exam opens at %s.") % timezone.localtime(exam.opens_at).strftime(
            "%Y-%m-%d %H:%M"
        )
    elif exam.closes_at and now >= exam.closes_at:
        refusal = _("This exam has closed.")
    elif used >= allowed:
        refusal = _("You have used all your attempts at this exam.")
    full_time = now + timedelta(minutes=minutes)
    deadline = min(full_time, exam.closes_at) if exam.closes_at else full_time
    return Allowance(
        allowed=allowed,
        extra_attempts=extra_attempts,
        used=used,
        minutes=minutes,
        deadline=deadline,
        ends_at_close=deadline < full_time,
        resumable=resumable,
        refusal=refusal,
    )


def allowances_for(
    person: Person,
    exams: Sequence[Exam],
    *,
    attempts: dict[int, list[Attempt]] | None = None,
    now: datetime | None = None,
) -> dict[int, Allowance]:
    """Each exam's allowance for one person: two queries whatever the number of exams
    (one when their attempts are given)."""
    now = now or timezone.now()
    if attempts is None:
        attempts = attempts_by_exam(person, exams)
    overrides = {
        override.exam_id: override
        for override in ExamOverride.objects.filter(person=person, exam__in=list(exams))
    }
    return {
        exam.pk: allowance_of(
            exam=exam,
            attempts=[(a.state, a.deadline) for a in attempts.get(exam.pk, [])],
            override=overrides.get(exam.pk),
            now=now,
        )
        for exam in exams
    }


def attempt_allowance(exam: Exam, person: Person, *, now: datetime | None = None) -> Allowance:
    """One exam's allowance for one person."""
    return allowances_for(person, [exam], now=now)[exam.pk]


def my_exams(person: Person, *, course_id: int | None = None) -> list[dict[str, Any]]:
    """The learner's exam list: each open exam with its attempts, allowance and the result
    that counts, in a fixed number of queries."""
    exams_qs = exams_open_to(person).select_related("course").order_by("title")
    if course_id is not None:
        exams_qs = exams_qs.filter(course_id=course_id)
    exams = list(exams_qs)
    attempts = attempts_by_exam(person, exams)
    allowances = allowances_for(person, exams, attempts=attempts)
    return [
        {
            "exam": exam,
            "attempts": attempts.get(exam.pk, []),
            "allowance": allowances[exam.pk],
            "result": result_among(exam, attempts.get(exam.pk, [])),
        }
        for exam in exams
    ]


def course_exam_destination(person: Person, course_id: int) -> Exam | None:
    """The one exam of a course the learner can go to now, or None (several, or none)."""
    now = timezone.now()
    candidates = [
        exam
        for exam in exams_open_to(person).filter(course_id=course_id).order_by("title")
        if exam_is_open(exam, now=now)
    ]
    return candidates[0] if len(candidates) == 1 else None


# --- the paper, and the review --------------------------------------------------------------


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
        paper.append(
            {
                "position": question.position,
                "kind": version.kind,
                "kind_label": review.kind_label(version.kind),
                "stem": version.stem,
                "options": [
                    {"id": key, "letter": letter, "text": text}
                    for key, letter, text in review.shown_options(version, question.option_order)
                ],
                "blanks": review.blank_count(version),
                "points": question.points,
                "response": answer.response if answer else None,
                "saved_at": answer.saved_at if answer else None,
                "blank_values": _blank_values(version, answer),
            }
        )
    return paper


def _blank_values(version: Any, answer: Any) -> list[tuple[int, str]]:
    given = answer.response if answer and isinstance(answer.response, list) else []
    return [
        (index, str(given[index]) if index < len(given) else "")
        for index in range(review.blank_count(version))
    ]


@dataclass(frozen=True)
class ReviewRelease:
    """What the learner may see of a finished attempt besides score and pass, and when."""

    shows_answers: bool  # their answers and the points of each question
    shows_key: bool  # the correct answers and explanations
    sentence: str  # when (or whether) the answers will be shown, in plain words


def review_release(
    attempt: Attempt, *, allowance: Allowance | None = None, now: datetime | None = None
) -> ReviewRelease:
    """The exam's review policy applied to one attempt (docs/exams.md, "Review")."""
    now = now or timezone.now()
    exam = attempt.exam
    if attempt.state == AttemptState.IN_PROGRESS:
        return ReviewRelease(False, False, "")
    closed = exam.closes_at is not None and now >= exam.closes_at
    closes = timezone.localtime(exam.closes_at).strftime("%Y-%m-%d %H:%M") if exam.closes_at else ""
    policy = exam.review_policy
    if policy == ReviewPolicy.NEVER:
        return ReviewRelease(
            False, False, _("This exam shows the score only; answers are not published.")
        )
    released = policy == ReviewPolicy.AFTER_SUBMIT or closed
    if policy == ReviewPolicy.AFTER_LAST_ATTEMPT and not released:
        allowance = allowance or attempt_allowance(exam, attempt.person, now=now)
        released = allowance.remaining == 0 and not allowance.resumable
        if not released:
            if closes:
                sentence = _(
                    "The answers and explanations are shown once you have used all your "
                    "attempts, or when the exam closes on %(closes)s."
                ) % {"closes": closes}
            else:
                sentence = _(
                    "The answers and explanations are shown once you have used all your "
                    "attempts, or when the exam closes."
                )
            return ReviewRelease(False, False, sentence)
    if not released:
        if closes:
            sentence = _(
                "The answers and explanations are shown when the exam closes on %(closes)s."
            ) % {"closes": closes}
        else:
            sentence = _("The answers and explanations are shown when the exam closes.")
        return ReviewRelease(False, False, sentence)
    if exam.review_content == ReviewContent.RESPONSES:
        return ReviewRelease(
            True, False, _("This exam shows your answers and points; not the correct answers.")
        )
    return ReviewRelease(True, True, "")


def review_allowed(attempt: Attempt, *, now: Any = None) -> bool:
    """Whether the learner may see the review of their answers now."""
    return review_release(attempt, now=now).shows_answers


def attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's paper with versions, answers and graders, in one query."""
    return list(
        attempt.paper.select_related("version", "answer", "answer__graded_by").order_by("position")
    )


def attempt_review(attempt: Attempt, *, with_key: bool = True) -> list[review.ReviewItem]:
    """Per question, in words: the answer given, the key (``with_key``), points, explanation."""
    return review.review_items(
        attempt_questions(attempt), with_key=with_key, attempt_state=attempt.state
    )


def attempts_by_exam(person: Person, exams: Sequence[Exam]) -> dict[int, list[Attempt]]:
    """The person's attempts at each of ``exams``, oldest first, in one query."""
    grouped: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(person=person, exam__in=list(exams)).order_by("number"):
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

    @property
    def kind_label(self) -> str:
        return review.kind_label(self.kind)


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
        "version__stem",
        "version__kind",
    )
    for attempt_id, points, score, question_id, stem, asked, kind in rows:
        share = float((score or 0) / points) if points else 0.0
        shares.setdefault(question_id, []).append((attempt_id, share))
        # The question as it reads now; the text the attempt had when it has no current one.
        stems[question_id] = (stem or asked or "", kind)
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


def attempt_detail(attempt: Attempt) -> list[review.ReviewItem]:
    """The review of an attempt for staff: always with the key, rubric and grader."""
    return attempt_review(attempt, with_key=True)


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


def grading_queue_page(exam: Exam | None, *, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` answers of the queue, each with its question and answer in words."""
    return [
        {
            "answer": answer,
            "question": answer.attempt_question,
            "attempt": answer.attempt_question.attempt,
            "kind_label": review.kind_label(answer.attempt_question.version.kind),
            "response_text": review.plain_text(answer.response),
        }
        for answer in grading_queue(exam)[:limit]
    ]
