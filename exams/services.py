"""Writes of the exams app: the question bank, attempts that never lose an answer, grading.

The attempt's clock is the server's: ``deadline`` is fixed when the attempt starts. Every
write to an attempt first locks its row, so a save racing a submit is either in before the
submit or refused after it; the partial unique index ``attempt_one_open_per_person`` keeps
concurrent starts from opening two attempts.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import services as courses_services
from exams import grading, selectors
from exams.models import (
    GRACE_SECONDS,
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Exam,
    ExamOverride,
    Question,
    QuestionCategory,
    QuestionKind,
    QuestionVersion,
)
from org.models import Person

TRUE_FALSE_OPTIONS = [{"id": "true", "text": "正确"}, {"id": "false", "text": "错误"}]


class AttemptRefused(ValidationError):
    """The attempt cannot start: exam closed, not published, no attempts left, bank too small."""


class AttemptClosed(ValidationError):
    """The attempt no longer takes answers: submitted, or past its deadline and grace."""


# --- question bank ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionText:
    kind: str
    stem: str
    options: list[str]
    answer: Any
    difficulty: int = 2
    explanation: str = ""
    rubric: str = ""
    tags: tuple[str, ...] = ()


def question_validate(text: QuestionText) -> tuple[list[dict[str, str]], Any]:
    """Options with ids and the answer in stored form, or a ValidationError per field."""
    kind = text.kind
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Unknown question type: %s.") % kind})
    if not text.stem.strip():
        raise ValidationError({"stem": _("The question has no text.")})
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        options = [option.strip() for option in text.options if option and option.strip()]
        if len(options) < 2:
            raise ValidationError({"options": _("A choice question needs at least two options.")})
        if len(set(options)) != len(options):
            raise ValidationError({"options": _("Two options are the same.")})
        ids = [chr(ord("a") + index) for index in range(len(options))]
        answer = text.answer if isinstance(text.answer, list) else [text.answer]
        answer = sorted({str(item).strip().lower() for item in answer if str(item).strip()})
        if not answer or not set(answer) <= set(ids):
            raise ValidationError({"answer": _("The answer must name options of the question.")})
        if kind == QuestionKind.SINGLE and len(answer) != 1:
            raise ValidationError({"answer": _("A single-choice question has one answer.")})
        stored = answer[0] if kind == QuestionKind.SINGLE else answer
        return [{"id": i, "text": o} for i, o in zip(ids, options, strict=True)], stored
    if kind == QuestionKind.TRUE_FALSE:
        value = str(text.answer).strip().lower()
        truth = {"true": "true", "false": "false", "对": "true", "错": "false", "正确": "true"}
        truth |= {"错误": "false", "t": "true", "f": "false", "1": "true", "0": "false"}
        if value not in truth:
            raise ValidationError({"answer": _("A true-or-false answer is true or false.")})
        return list(TRUE_FALSE_OPTIONS), truth[value]
    if kind == QuestionKind.FILL:
        blanks = text.answer if isinstance(text.answer, list) else [text.answer]
        stored_blanks = []
        for blank in blanks:
            accepted = blank if isinstance(blank, list) else [blank]
            accepted = [str(item).strip() for item in accepted if str(item).strip()]
            if not accepted:
                raise ValidationError({"answer": _("Every blank needs an accepted answer.")})
            stored_blanks.append(accepted)
        if not stored_blanks:
            raise ValidationError({"answer": _("Every blank needs an accepted answer.")})
        return [], stored_blanks
    if not text.rubric.strip():
        raise ValidationError({"rubric": _("A short-answer question needs a grading rubric.")})
    return [], None


@transaction.atomic
def question_create(*, category: QuestionCategory, text: QuestionText) -> Question:
    """A new question with its first version."""
    question = Question.objects.create(category=category)
    question_revise(question=question, text=text)
    question.refresh_from_db()
    return question


@transaction.atomic
def question_revise(*, question: Question, text: QuestionText) -> QuestionVersion:
    """Add a version and make it current; attempts keep the version they were given."""
    options, answer = question_validate(text)
    question = Question.objects.select_for_update().get(pk=question.pk)
    last = question.versions.aggregate(last=Max("number"))["last"] or 0
    version = QuestionVersion.objects.create(
        question=question,
        number=last + 1,
        kind=text.kind,
        stem=text.stem.strip(),
        options=options,
        answer=answer,
        rubric=text.rubric.strip(),
        explanation=text.explanation.strip(),
        difficulty=text.difficulty,
        tags=sorted({tag.strip() for tag in text.tags if tag.strip()}),
    )
    question.current_version = version
    question.save(update_fields=["current_version"])
    return version


# --- attempts ---------------------------------------------------------------------------


@transaction.atomic
def attempt_start(*, exam: Exam, person: Person, now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the one already open (resume on reload or another device)."""
    now = now or timezone.now()
    # Starts of one person are serialised on their row; the partial unique index is the
    # guarantee should anything slip past.
    Person.objects.select_for_update().values_list("pk", flat=True).get(pk=person.pk)
    # One read of the person's attempts at this exam gives both the open one (resumed, or
    # finalised when its time ran out) and the number used: a start storm at 09:00 is
    # 1,000 of these at once (bench/exam_load.py).
    attempts = list(
        Attempt.objects.filter(exam=exam, person=person).values_list("pk", "state", "deadline")
    )
    for pk, state, deadline in attempts:
        if state != AttemptState.IN_PROGRESS:
            continue
        if now <= deadline + timedelta(seconds=GRACE_SECONDS):
            return Attempt.objects.get(pk=pk)
        attempt_finalise_expired(attempt_id=pk, now=now)

    # The same rule the pages and the API show (selectors.allowance_of), on the rows locked.
    allowance = selectors.allowance_of(
        exam=exam,
        attempts=[(state, deadline) for _pk, state, deadline in attempts],
        override=ExamOverride.objects.filter(exam=exam, person=person).first(),
        now=now,
    )
    if allowance.refusal:
        raise AttemptRefused(allowance.refusal)
    used = allowance.used  # finalising an attempt closes it; it still counts as used
    deadline = allowance.deadline
    paper = _draw_paper(exam)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                exam=exam,
                person=person,
                number=used + 1,
                started_at=now,
                deadline=deadline,
                max_score=sum((points for _version, _order, points in paper), Decimal("0")),
            )
    except IntegrityError:
        return Attempt.objects.get(exam=exam, person=person, state=AttemptState.IN_PROGRESS)
    attempt.drawn = AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt, position=position, version=version, option_order=order, points=points
        )
        for position, (version, order, points) in enumerate(paper, start=1)
    )
    return attempt


@transaction.atomic
def exam_override_set(
    *, exam: Exam, person: Person, extra_minutes: int, extra_attempts: int
) -> ExamOverride:
    """Give one person extra time or attempts at an exam (accessibility, a failed network).

    An attempt they have open takes the new time at once: its deadline is recomputed from
    its start, never past the exam's closing time (the exam page checks the deadline again
    before it submits at zero).
    """
    override, _created = ExamOverride.objects.update_or_create(
        exam=exam,
        person=person,
        defaults={"extra_minutes": extra_minutes, "extra_attempts": extra_attempts},
    )
    open_attempts = Attempt.objects.select_for_update().filter(
        exam=exam, person=person, state=AttemptState.IN_PROGRESS
    )
    for attempt in open_attempts:
        deadline = attempt.started_at + timedelta(minutes=exam.duration_minutes + extra_minutes)
        if exam.closes_at:
            deadline = min(deadline, exam.closes_at)
        attempt.deadline = deadline
        attempt.save(update_fields=["deadline"])
    return override


# --- drawing a paper ---------------------------------------------------------------------
#
# At 09:00 a whole room starts the same exam at once (bench/exam_load.py), and every start
# used to read the exam's fixed questions, its rules and each rule's pool again: half of a
# start's cost. A process now keeps each exam's draw plan (pools of current question
# versions) until the bank or the exam changes: receivers bump a generation in the shared
# cache, so every web process sees an edit on its next start. Versions never change once
# written, so sharing them between requests is safe; a plan also expires after
# DRAW_PLAN_SECONDS, should a change bypass the receivers (e.g. a category tree move).

DRAW_PLAN_SECONDS = 300
BANK_GENERATION_KEY = "exams:bank-generation"


@dataclass(frozen=True)
class DrawPlan:
    fixed: list[tuple[QuestionVersion, Decimal]]
    # per rule: the pool as (question id, current version), the count and the points each
    rules: list[tuple[list[tuple[int, QuestionVersion]], int, Decimal]]
    generation: str
    built: float


_draw_plans: dict[int, DrawPlan] = {}


def bank_changed() -> None:
    """Make every process draw from the bank as it is now (a question or an exam changed)."""
    cache.set(BANK_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    _draw_plans.clear()


def _bank_generation() -> str:
    generation = cache.get(BANK_GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(BANK_GENERATION_KEY, generation, timeout=None)
        generation = cache.get(BANK_GENERATION_KEY, generation)
    return str(generation)


def _draw_plan(exam: Exam) -> DrawPlan:
    generation = _bank_generation()
    plan = _draw_plans.get(exam.pk)
    if (
        plan is not None
        and plan.generation == generation
        and time.monotonic() - plan.built < DRAW_PLAN_SECONDS
    ):
        return plan
    fixed: list[tuple[QuestionVersion, Decimal]] = []
    taken: set[int] = set()
    for item in exam.fixed_questions.select_related("question__current_version"):
        version = item.question.current_version
        if version is None or not item.question.is_active:
            continue
        fixed.append((version, item.points))
        taken.add(item.question_id)
    rules = []
    for rule in exam.draw_rules.select_related("category").order_by("pk"):
        candidates = Question.objects.filter(
            is_active=True,
            current_version__isnull=False,
            category__path__startswith=rule.category.path,
        ).exclude(pk__in=taken)
        if rule.difficulty:
            candidates = candidates.filter(current_version__difficulty=rule.difficulty)
        if rule.kind:
            candidates = candidates.filter(current_version__kind=rule.kind)
        pool = [
            (question.pk, question.current_version)
            for question in candidates.select_related("current_version").order_by("pk")
        ]
        rules.append((pool, rule.count, rule.points))
    plan = DrawPlan(fixed, rules, generation, time.monotonic())  # type: ignore[arg-type]
    _draw_plans[exam.pk] = plan
    return plan


def _draw_paper(exam: Exam) -> list[tuple[QuestionVersion, list[str], Decimal]]:
    """The paper of one attempt: fixed questions and random draws, shuffled as configured."""
    rng = random.SystemRandom()
    plan = _draw_plan(exam)
    chosen = list(plan.fixed)
    taken: set[int] = set()
    for pool, count, points in plan.rules:
        # A question two rules could both draw appears at most once on a paper.
        available = [entry for entry in pool if entry[0] not in taken] if taken else pool
        if len(available) < count:
            raise AttemptRefused(
                _("The question bank has too few questions for this exam; tell the trainer.")
            )
        picked = rng.sample(available, count)
        taken.update(question_id for question_id, _version in picked)
        chosen.extend((version, points) for _question_id, version in picked)
    if not chosen:
        raise AttemptRefused(_("This exam has no questions yet."))
    if exam.shuffle_questions:
        rng.shuffle(chosen)
    paper = []
    for version, points in chosen:
        order = [str(option["id"]) for option in version.options]
        if exam.shuffle_options and version.kind != QuestionKind.TRUE_FALSE:
            rng.shuffle(order)
        paper.append((version, order, points))
    return paper


# --- saving answers ---------------------------------------------------------------------


def _answer_target_sql(*, by_owner: bool) -> str:
    """One statement that finds the attempt, locks its row and reads what a save needs.

    Written out rather than built by the ORM: compiling the queryset cost more CPU than
    PostgreSQL spent running it, on the hottest request of an exam sitting
    (bench/exam_load.py). Only the attempt row is locked (versions never change); the
    question is a LEFT JOIN so that an attempt without that question is still found, locked
    and reported as closed or as having no such question. The deadline is compared in SQL,
    so no datetime has to be read back in a vendor's format.
    """
    attempt = Attempt._meta.db_table
    question = AttemptQuestion._meta.db_table
    version = QuestionVersion._meta.db_table
    owner = ""
    where = "a.id = %s"
    if by_owner:
        owner = f"JOIN {Person._meta.db_table} p ON p.id = a.person_id"
        where = "a.public_id = %s AND p.user_id = %s"
    lock = " FOR UPDATE OF a" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT a.id, a.state, a.deadline < %s, q.id, v.kind, v.options, v.answer"
        f" FROM {attempt} a {owner}"
        f" LEFT JOIN {question} q ON q.attempt_id = a.id AND q.position = %s"
        f" LEFT JOIN {version} v ON v.id = q.version_id"
        f" WHERE {where}{lock}"
    )


def _answer_upsert_sql() -> str:
    # One upsert (INSERT ... ON CONFLICT DO UPDATE, PostgreSQL and SQLite alike) instead of
    # update_or_create's savepoint, SELECT ... FOR UPDATE and UPDATE or INSERT: nothing else
    # writes the answers of an open attempt without its row lock. Only the response and its
    # time change; a new row starts ungraded with no feedback.
    return (
        f"INSERT INTO {Answer._meta.db_table}"
        " (attempt_question_id, response, saved_at, feedback) VALUES (%s, %s, %s, '')"
        " ON CONFLICT (attempt_question_id)"
        " DO UPDATE SET response = EXCLUDED.response, saved_at = EXCLUDED.saved_at"
    )


@transaction.atomic
def answer_save(
    *, attempt: Attempt, position: int, response: Any, now: datetime | None = None
) -> Answer:
    """Save one answer as it is given; refused once the attempt is closed."""
    answer = _answer_save(
        by_owner=False, key=[attempt.pk], position=position, response=response, now=now
    )
    assert answer is not None  # the attempt was given, so it exists
    return answer


@transaction.atomic
def answer_save_as_owner(
    *, user_id: int, public_id: Any, position: int, response: Any, now: datetime | None = None
) -> Answer | None:
    """Save one answer to the user's own attempt, found and locked in the same statement.

    None when the user has no attempt with that id (someone else's, or none at all).
    """
    try:
        public_uuid = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(public_id)
    except (TypeError, ValueError, AttributeError):
        return None
    key = Attempt._meta.get_field("public_id").get_db_prep_value(public_uuid, connection)
    return _answer_save(
        by_owner=True, key=[key, user_id], position=position, response=response, now=now
    )


def _answer_save(
    *, by_owner: bool, key: list[Any], position: int, response: Any, now: datetime | None
) -> Answer | None:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=GRACE_SECONDS)
    datetime_field = Answer._meta.get_field("saved_at")
    with connection.cursor() as cursor:
        cursor.execute(
            _answer_target_sql(by_owner=by_owner),
            [datetime_field.get_db_prep_value(cutoff, connection), position, *key],
        )
        found = cursor.fetchone()
        if found is None:
            return None
        _attempt_id, state, late, question_id, kind, options, answer_key = found
        if state != AttemptState.IN_PROGRESS:
            raise AttemptClosed(_("This attempt has been submitted; answers can no longer change."))
        if late:
            raise AttemptClosed(_("Time is up for this attempt; answers can no longer change."))
        if question_id is None:
            raise ValidationError(_("This attempt has no question %s.") % position)
        version = QuestionVersion(kind=kind, options=_json(options), answer=_json(answer_key))
        try:
            canonical = grading.check_response(version, response)
        except grading.ResponseInvalid as error:
            raise ValidationError(str(error)) from None
        cursor.execute(
            _answer_upsert_sql(),
            [
                question_id,
                Answer._meta.get_field("response").get_db_prep_value(canonical, connection),
                datetime_field.get_db_prep_value(now, connection),
            ],
        )
    return Answer(attempt_question_id=question_id, response=canonical, saved_at=now)


def _json(value: Any) -> Any:
    # JSON columns read by hand come back as text (Django asks psycopg not to decode jsonb).
    return json.loads(value) if isinstance(value, str) else value


@transaction.atomic
def attempt_submit(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Finish the attempt and grade it. Submitting twice grades once and uses one attempt."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.state != AttemptState.IN_PROGRESS:
        return attempt
    if now > attempt.deadline + timedelta(seconds=GRACE_SECONDS):
        attempt.state = AttemptState.EXPIRED
        attempt.finished_at = attempt.deadline
    else:
        attempt.state = AttemptState.SUBMITTED
        attempt.finished_at = min(now, attempt.deadline)
    attempt.save(update_fields=["state", "finished_at"])
    return attempt_grade(attempt=attempt, now=now)


@transaction.atomic
def attempt_finalise_expired(*, attempt_id: int, now: datetime | None = None) -> Attempt | None:
    """Close an attempt whose time ran out, finished at its deadline, and grade what it saved."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
    if attempt is None or attempt.state != AttemptState.IN_PROGRESS:
        return attempt
    if now <= attempt.deadline + timedelta(seconds=GRACE_SECONDS):
        return attempt
    attempt.state = AttemptState.EXPIRED
    attempt.finished_at = attempt.deadline
    attempt.save(update_fields=["state", "finished_at"])
    return attempt_grade(attempt=attempt, now=now)


def attempts_overdue(now: datetime | None = None) -> list[int]:
    """Ids of open attempts past their deadline and grace."""
    now = now or timezone.now()
    return list(
        Attempt.objects.filter(
            state=AttemptState.IN_PROGRESS,
            deadline__lt=now - timedelta(seconds=GRACE_SECONDS),
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def attempt_grade(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Grade what can be graded; the attempt is graded once no answer waits for a person."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if attempt.state == AttemptState.IN_PROGRESS:
        raise ValidationError(_("An attempt in progress cannot be graded."))
    waiting = False
    total = Decimal("0")
    for question in attempt.paper.select_related("version", "answer"):
        answer = getattr(question, "answer", None)
        if answer is None:
            continue  # unanswered: no points
        if answer.graded_by_id is None:
            score = grading.grade(question.version, answer.response, question.points)
            if score is None:
                waiting = True
                continue
            if answer.score != score:
                answer.score = score
                answer.save(update_fields=["score"])
        total += answer.score or Decimal("0")
    if waiting:
        return attempt
    attempt.score = total
    attempt.passed = _percent(total, attempt.max_score) >= attempt.exam.pass_percent
    attempt.state = AttemptState.GRADED
    attempt.graded_at = now
    attempt.save(update_fields=["score", "passed", "state", "graded_at"])
    if attempt.passed and attempt.exam.course_id:
        course = attempt.exam.course
        assert course is not None
        courses_services.enrolment_record_exam_pass(
            person=attempt.person, course=course, passed_at=attempt.finished_at
        )
    return attempt


@transaction.atomic
def answer_grade_manually(
    *, answer: Answer, score: Decimal, grader: Person, feedback: str = ""
) -> Attempt:
    """A trainer grades a short answer against the rubric; the attempt completes when all are.

    An answer is graded once: a second trainer grading it at the same moment is refused
    rather than silently overwriting the first (the row lock orders them).
    """
    answer = (
        Answer.objects.select_for_update(of=("self",))
        .select_related("attempt_question__attempt", "attempt_question__version")
        .get(pk=answer.pk)
    )
    question = answer.attempt_question
    if question.version.kind != QuestionKind.SHORT:
        raise ValidationError(_("Only short answers are graded by hand."))
    if question.attempt.state not in (AttemptState.SUBMITTED, AttemptState.EXPIRED):
        raise ValidationError(
            _("Only answers of finished attempts waiting for grading are graded by hand.")
        )
    if answer.graded_by_id is not None:
        raise ValidationError(_("This answer has already been graded."))
    if not Decimal("0") <= score <= question.points:
        raise ValidationError(
            {"score": _("Give between 0 and %(points)s points.") % {"points": question.points}}
        )
    answer.score = score
    answer.feedback = feedback.strip()
    answer.graded_by = grader
    answer.graded_at = timezone.now()
    answer.save(update_fields=["score", "feedback", "graded_by", "graded_at"])
    return attempt_grade(attempt=question.attempt)


def _percent(score: Decimal, maximum: Decimal) -> Decimal:
    if maximum <= 0:
        return Decimal("0")
    return score * 100 / maximum
