"""Writes of the learning flow: enrolment, server-clock progress, completion and the ledger.

Progress the server can trust: the client never says how long it studied. A lesson page
opens a ``LessonView`` (one per tab); the tab then sends numbered heartbeats. The server
credits the time between two heartbeats by its own clock, capped at MAX_CREDIT_SECONDS, and
only when the page was visible and the tab holds the learner's single presence lease: the
newest open tab holds it until it is hidden or closed, so two tabs or devices never earn at
once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from courses import selectors, signals
from courses.models import (
    CompletionRule,
    CoursePage,
    CreditRecord,
    CreditSource,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    LearnerPresence,
    LearningRules,
    LessonPage,
    LessonProgress,
    LessonView,
    TrainingPlan,
)
from org.models import OrgUnit, Person

audit = logging.getLogger("courses.audit")

# At most this much is credited for one gap between heartbeats: two heartbeat periods.
MAX_CREDIT_SECONDS = 2 * settings.LESSON_HEARTBEAT_SECONDS
LEASE_SECONDS = 45  # a tab that has not beaten for this long gives up the presence lease
VIDEO_BUCKET_SECONDS = 5
VIDEO_SPEED_TOLERANCE = 1.25  # playback may run a little fast; skipping ahead earns nothing
VIDEO_SLACK_SECONDS = 2.0


class HeartbeatRejected(ValidationError):
    """A malformed, replayed or out-of-order heartbeat: 400, nothing counted."""


@dataclass(frozen=True)
class HeartbeatResult:
    counted_seconds: int
    engaged_seconds: int
    required_seconds: int
    coverage: dict[str, float]
    coverage_required: float
    lesson_completed: bool
    course_completed: bool
    reason: str  # "counted", "hidden", "other_view", "not_counted_after_completion"


def credit_year_of(moment: datetime) -> int:
    """The credit year of a moment: the calendar year in Asia/Shanghai (TIME_ZONE)."""
    return timezone.localtime(moment).year


# --- enrolment -------------------------------------------------------------------------


@transaction.atomic
def enrolment_create(
    *,
    person: Person,
    course: CoursePage,
    source: str,
    training_plan: TrainingPlan | None = None,
    mandatory: bool = False,
    due_date: date | None = None,
) -> Enrolment:
    """Enrol a person once per course; a plan upgrades an existing elective enrolment."""
    enrolment, created = Enrolment.objects.select_for_update().get_or_create(
        person=person,
        course=course,
        defaults={
            "source": source,
            "training_plan": training_plan,
            "mandatory": mandatory,
            "due_date": due_date,
        },
    )
    if not created and training_plan is not None and enrolment.training_plan_id is None:
        enrolment.source = EnrolmentSource.PLAN
        enrolment.training_plan = training_plan
        enrolment.mandatory = enrolment.mandatory or mandatory
        enrolment.due_date = due_date
        enrolment.save(update_fields=["source", "training_plan", "mandatory", "due_date"])
    return enrolment


@transaction.atomic
def enrolment_elect(*, person: Person, course: CoursePage) -> Enrolment:
    """A learner enrols in a published course of their choice, prerequisites permitting."""
    if not course.live:
        raise ValidationError(_("This course is not published."))
    missing = selectors.missing_prerequisites(person=person, course=course)
    if missing:
        raise ValidationError(
            _("Complete these courses first: %s") % "、".join(str(c.title) for c in missing)
        )
    return enrolment_create(person=person, course=course, source=EnrolmentSource.ELECTIVE)


# --- progress --------------------------------------------------------------------------


@transaction.atomic
def lesson_view_open(
    *, enrolment: Enrolment, lesson: LessonPage, now: datetime | None = None
) -> LessonView:
    """Open a lesson in one tab; heartbeats are only accepted for an opened view."""
    now = now or timezone.now()
    if lesson.get_parent().pk != enrolment.course_id:
        raise ValidationError(_("This lesson does not belong to the course."))
    LessonProgress.objects.get_or_create(enrolment=enrolment, lesson=lesson)
    if enrolment.last_lesson_id != lesson.pk:
        enrolment.last_lesson = lesson
        enrolment.save(update_fields=["last_lesson"])
    view = LessonView.objects.create(
        enrolment=enrolment, lesson=lesson, opened_at=now, last_beat_at=now
    )
    # The newest tab is the one the learner is looking at: it takes the lease, and an older
    # tab earns nothing until this one is hidden or closed.
    LearnerPresence.objects.update_or_create(
        person_id=enrolment.person_id, defaults={"view": view, "beat_at": now}
    )
    return view


@transaction.atomic
def lesson_progress_record(
    *,
    view: LessonView,
    seq: int,
    visible: bool,
    video: str = "",
    position: float | None = None,
    playing: bool = False,
    closing: bool = False,
    now: datetime | None = None,
) -> HeartbeatResult:
    """Credit one heartbeat by the server's clock, then evaluate lesson and course."""
    now = now or timezone.now()
    # Row locks in a fixed order (view, presence, progress) so two tabs never deadlock.
    view = LessonView.objects.select_for_update().select_related("lesson").get(pk=view.pk)
    if seq <= view.last_seq:
        raise HeartbeatRejected(_("Heartbeat %(seq)s was already received.") % {"seq": seq})
    enrolment = Enrolment.objects.select_related("person").get(pk=view.enrolment_id)
    lesson: LessonPage = view.lesson
    videos = dict(lesson.videos())
    if video and video not in videos:
        raise HeartbeatRejected(_("This lesson has no such video."))
    if position is not None and (position < 0 or (video and position > videos[video] + 5)):
        raise HeartbeatRejected(_("The video position is outside the video."))

    elapsed = max((now - view.last_beat_at).total_seconds(), 0.0)
    reason = "counted"
    credited = 0.0
    if not visible:
        reason = "hidden"
        _presence_release(person=enrolment.person, view=view)
    elif not _presence_take(person=enrolment.person, view=view, now=now):
        reason = "other_view"
    else:
        credited = float(int(min(elapsed, MAX_CREDIT_SECONDS)))

    progress = LessonProgress.objects.select_for_update().get(enrolment=enrolment, lesson=lesson)
    rules = LearningRules.load()
    was_complete = progress.completed_at is not None
    if credited:
        progress.engaged_seconds += int(credited)
        if video and playing and position is not None and view.last_video == video:
            _cover(progress, video, videos[video], view.last_position, position, elapsed)
    coverage = _coverage_shares(progress, videos)
    if not was_complete and _lesson_done(progress, lesson, coverage, rules):
        progress.completed_at = now
    progress.save(update_fields=["engaged_seconds", "video_coverage", "completed_at", "updated_at"])

    view.last_seq = seq
    # Whole seconds are credited; the fraction left over stays on the clock for the next
    # heartbeat (never rounded up, so beats timed just past half a second gain nothing).
    # Time beyond the cap, hidden time and another tab's time are dropped.
    if credited and elapsed <= MAX_CREDIT_SECONDS:
        view.last_beat_at = view.last_beat_at + timedelta(seconds=credited)
    else:
        view.last_beat_at = now
    view.last_video = video
    view.last_position = position
    view.save(update_fields=["last_seq", "last_beat_at", "last_video", "last_position"])
    if closing:
        _presence_release(person=enrolment.person, view=view)

    course_completed = False
    if progress.completed_at is not None and not was_complete:
        course_completed = enrolment_evaluate(enrolment=enrolment, now=now)
    return HeartbeatResult(
        counted_seconds=int(credited),
        engaged_seconds=progress.engaged_seconds,
        required_seconds=lesson.required_seconds,
        coverage=coverage,
        coverage_required=rules.video_coverage_percent / 100,
        lesson_completed=progress.completed_at is not None,
        course_completed=course_completed,
        reason=reason,
    )


def _presence_take(*, person: Person, view: LessonView, now: datetime) -> bool:
    """Whether this view may earn time now; takes the learner's lease if it is free."""
    presence, created = LearnerPresence.objects.select_for_update().get_or_create(
        person=person, defaults={"view": view, "beat_at": now}
    )
    if created:
        return True
    held_elsewhere = presence.view_id is not None and presence.view_id != view.pk
    if held_elsewhere and presence.beat_at > now - timedelta(seconds=LEASE_SECONDS):
        return False
    presence.view = view
    presence.beat_at = now
    presence.save(update_fields=["view", "beat_at"])
    return True


def _presence_release(*, person: Person, view: LessonView) -> None:
    """A tab that went hidden hands the lease on at once, so another tab can earn."""
    LearnerPresence.objects.filter(person=person, view=view).update(view=None)


def _cover(
    progress: LessonProgress,
    video: str,
    duration: int,
    start: float | None,
    end: float,
    elapsed: float,
) -> None:
    """Mark the played stretch [start, end) as seen, if it is a plausible stretch of play."""
    if start is None or end <= start:
        return
    if end - start > elapsed * VIDEO_SPEED_TOLERANCE + VIDEO_SLACK_SECONDS:
        return  # a jump ahead, not playback
    buckets = max(1, -(-duration // VIDEO_BUCKET_SECONDS))
    seen = list(progress.video_coverage.get(video, "0" * buckets).ljust(buckets, "0"))
    first = int(start // VIDEO_BUCKET_SECONDS)
    last = min(int((end - 0.001) // VIDEO_BUCKET_SECONDS), buckets - 1)
    for bucket in range(first, last + 1):
        seen[bucket] = "1"
    progress.video_coverage = {**progress.video_coverage, video: "".join(seen)}


def _coverage_shares(progress: LessonProgress, videos: dict[str, int]) -> dict[str, float]:
    shares = {}
    for video, duration in videos.items():
        seen = progress.video_coverage.get(video, "")
        buckets = max(1, -(-duration // VIDEO_BUCKET_SECONDS))
        shares[video] = round(seen.count("1") / buckets, 3)
    return shares


def _lesson_done(
    progress: LessonProgress, lesson: LessonPage, coverage: dict[str, float], rules: LearningRules
) -> bool:
    if progress.engaged_seconds < lesson.required_seconds:
        return False
    needed = rules.video_coverage_percent / 100
    if any(share < needed for share in coverage.values()):
        return False
    return set(lesson.checkpoints()) <= set(progress.checkpoints_passed)


@transaction.atomic
def checkpoint_answer(
    *, enrolment: Enrolment, lesson: LessonPage, block_id: str, option: int
) -> bool:
    """Check a checkpoint answer (1-based option); a correct one is remembered."""
    checkpoints = lesson.checkpoints()
    if block_id not in checkpoints:
        raise ValidationError(_("This lesson has no such question."))
    question = checkpoints[block_id]
    if not 1 <= option <= len(question["options"]):
        raise ValidationError(_("Choose one of the options."))
    if option != question["correct_option"]:
        return False
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        enrolment=enrolment, lesson=lesson
    )
    if block_id not in progress.checkpoints_passed:
        progress.checkpoints_passed = [*progress.checkpoints_passed, block_id]
        was_complete = progress.completed_at is not None
        coverage = _coverage_shares(progress, dict(lesson.videos()))
        if not was_complete and _lesson_done(progress, lesson, coverage, LearningRules.load()):
            progress.completed_at = timezone.now()
        progress.save(update_fields=["checkpoints_passed", "completed_at", "updated_at"])
        if progress.completed_at is not None and not was_complete:
            enrolment_evaluate(enrolment=enrolment, now=progress.completed_at)
    return True


# --- completion and credit -------------------------------------------------------------


@transaction.atomic
def enrolment_evaluate(*, enrolment: Enrolment, now: datetime | None = None) -> bool:
    """Complete the enrolment if its course's rule is met; True when it completed just now."""
    now = now or timezone.now()
    enrolment = Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return False
    course: CoursePage = enrolment.course
    lesson_ids = set(LessonPage.objects.child_of(course).live().values_list("pk", flat=True))
    if not lesson_ids:
        return False
    done = set(
        LessonProgress.objects.filter(
            enrolment=enrolment, lesson_id__in=lesson_ids, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    if done != lesson_ids:
        return False
    if course.completion_rule == CompletionRule.LESSONS_AND_EXAM and not enrolment.exam_passed_at:
        return False
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_at = now
    enrolment.save(update_fields=["status", "completed_at"])
    credit_award_course(enrolment=enrolment, awarded_at=now)
    signals.course_completed.send(
        sender=Enrolment,
        enrolment_id=enrolment.pk,
        person_id=enrolment.person_id,
        course_id=enrolment.course_id,
    )
    return True


@transaction.atomic
def enrolment_record_exam_pass(
    *, person: Person, course: CoursePage, passed_at: datetime | None = None
) -> Enrolment | None:
    """The exams app reports a passed course exam: note it, maybe bonus hours, re-evaluate."""
    passed_at = passed_at or timezone.now()
    enrolment = Enrolment.objects.select_for_update().filter(person=person, course=course).first()
    if enrolment is None:
        return None
    if enrolment.exam_passed_at is None:
        enrolment.exam_passed_at = passed_at
        enrolment.save(update_fields=["exam_passed_at"])
        bonus = LearningRules.load().exam_pass_bonus_hours
        if bonus > 0:
            _credit_once(
                person=person,
                course=course,
                source=CreditSource.EXAM_BONUS,
                hours=bonus,
                awarded_at=passed_at,
                reason=_("Passed the exam of “%s”") % course.title,
                reference=f"enrolment:{enrolment.pk}",
            )
    enrolment_evaluate(enrolment=enrolment, now=passed_at)
    return enrolment


def credit_award_course(*, enrolment: Enrolment, awarded_at: datetime) -> CreditRecord | None:
    """Credit a completed course's hours, once per person, course and credit year."""
    course: CoursePage = enrolment.course
    if course.credit_hours <= 0:
        return None
    return _credit_once(
        person=enrolment.person,
        course=course,
        source=CreditSource.COURSE,
        hours=course.credit_hours,
        awarded_at=awarded_at,
        reason=_("Completed the course “%s”") % course.title,
        reference=f"enrolment:{enrolment.pk}",
    )


def _credit_once(
    *,
    person: Person,
    course: CoursePage,
    source: str,
    hours: Decimal,
    awarded_at: datetime,
    reason: str,
    reference: str,
) -> CreditRecord | None:
    year = credit_year_of(awarded_at)
    existing = CreditRecord.objects.filter(
        person=person, course=course, credit_year=year, source=source
    ).first()
    if existing is not None:
        return None
    try:
        # A savepoint: a concurrent winner's row makes this insert fail, not the caller.
        with transaction.atomic():
            return CreditRecord.objects.create(
                person=person,
                course=course,
                source=source,
                credit_year=year,
                hours=hours,
                awarded_at=awarded_at,
                reason=reason[:300],
                reference=reference,
            )
    except IntegrityError:
        return None


@transaction.atomic
def credit_record_offline(
    *,
    person: Person,
    hours: Decimal,
    reason: str,
    awarded_on: date,
    entered_by: Person,
    reference: str = "",
) -> CreditRecord:
    """HR enters hours earned in offline training; the row names who entered it (audit)."""
    if hours <= 0:
        raise ValidationError({"hours": _("Hours must be more than zero.")})
    if hours > Decimal("200"):
        raise ValidationError({"hours": _("More than 200 hours in one record is not plausible.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say what the training was.")})
    if awarded_on > timezone.localdate():
        raise ValidationError({"awarded_on": _("The training date is in the future.")})
    awarded_at = timezone.make_aware(datetime.combine(awarded_on, datetime.min.time()))
    record = CreditRecord.objects.create(
        person=person,
        source=CreditSource.OFFLINE,
        credit_year=awarded_on.year,
        hours=hours,
        reason=reason.strip()[:300],
        reference=reference.strip()[:120],
        awarded_at=awarded_at,
        entered_by=entered_by,
    )
    audit.info(
        "offline credit %s: %s hours for %s (%s) entered by %s (%s)",
        record.pk,
        hours,
        person.employee_number,
        person.real_name,
        entered_by.employee_number,
        entered_by.real_name,
    )
    audit_record(
        action="credit.offline",
        obj=record,
        subject_person_id=person.pk,
        subject_path=person.org_unit.path,
        after={
            "hours": record.hours,
            "credit_year": record.credit_year,
            "awarded_on": awarded_on,
            "reason": record.reason,
            "reference": record.reference,
            "entered_by": entered_by.employee_number,
        },
    )
    return record


# --- training plans --------------------------------------------------------------------


@transaction.atomic
def training_plan_apply(*, plan: TrainingPlan) -> int:
    """Enrol everyone now in the plan's scope in its courses; returns enrolments created."""
    if not plan.is_active:
        return 0
    people = list(selectors.training_plan_people(plan))
    courses = list(plan.courses.filter(live=True))
    created = 0
    for course in courses:
        existing = dict(
            Enrolment.objects.filter(course=course, person__in=people).values_list(
                "person_id", "training_plan_id"
            )
        )
        new = [
            Enrolment(
                person=person,
                course=course,
                source=EnrolmentSource.PLAN,
                training_plan=plan,
                mandatory=plan.mandatory,
                due_date=plan.due_date,
            )
            for person in people
            if person.pk not in existing
        ]
        Enrolment.objects.bulk_create(new, ignore_conflicts=True)
        created += len(new)
        # Electives taken before the plan existed become part of it.
        Enrolment.objects.filter(
            course=course,
            person_id__in=[pk for pk, plan_id in existing.items() if plan_id is None],
        ).update(
            source=EnrolmentSource.PLAN,
            training_plan=plan,
            mandatory=plan.mandatory,
            due_date=plan.due_date,
        )
    return created


@transaction.atomic
def training_plans_apply_for_person(*, person: Person) -> int:
    """Enrol one person (new, or moved into a subtree) in every plan that covers them."""
    created = 0
    for plan in selectors.training_plans_covering(person):
        for course in plan.courses.filter(live=True):
            before = Enrolment.objects.filter(person=person, course=course).exists()
            enrolment_create(
                person=person,
                course=course,
                source=EnrolmentSource.PLAN,
                training_plan=plan,
                mandatory=plan.mandatory,
                due_date=plan.due_date,
            )
            created += 0 if before else 1
    return created


@transaction.atomic
def training_plan_create(
    *,
    created_by: Person,
    name: str,
    org_unit: OrgUnit,
    credit_year: int,
    due_date: date,
    courses: list[CoursePage],
    ranks: list[str] | None = None,
    mandatory: bool = True,
) -> TrainingPlan:
    """An HR officer or admin assigns courses to a subtree; enrolment follows on commit."""
    if not courses:
        raise ValidationError({"courses": _("Choose at least one course.")})
    plan = TrainingPlan(
        name=name.strip(),
        org_unit=org_unit,
        credit_year=credit_year,
        due_date=due_date,
        ranks=sorted(set(ranks or [])),
        mandatory=mandatory,
        created_by=created_by,
    )
    plan.full_clean()
    plan.save()
    plan.courses.set(courses)
    from courses.tasks import training_plan_apply_task

    transaction.on_commit(lambda: training_plan_apply_task.delay(plan.pk))
    audit.info(
        "training plan %s %r for %s created by %s",
        plan.pk,
        plan.name,
        org_unit.code,
        created_by.employee_number,
    )
    return plan
