"""What the home page shows a signed-in person: one read per block, each through the
selector of the app that owns the rule (credit target, progress, due dates, exam allowance).

A fixed number of queries whatever the number of enrolments, exams and certificates
(tests/lms/test_home_page.py pins it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from certificates import selectors as certificate_selectors
from certificates.models import Certificate
from courses import selectors as course_selectors
from courses.models import EnrolmentStatus
from courses.selectors import CreditSummary, EnrolmentLine, StudyResume
from exams import selectors as exam_selectors
from exams.models import Exam
from exams.selectors import Allowance
from org.access import request_scope
from org.models import Person

RESUME_COUNT = 3
DUE_COUNT = 5
EXAM_COUNT = 5
CERTIFICATE_COUNT = 3
# An attempt can be resumed a little past its deadline, which never passes the exam's close.
CLOSED_LONG_AGO = timedelta(days=1)


@dataclass(frozen=True)
class ResumeLine:
    resume: StudyResume
    line: EnrolmentLine | None  # the enrolment's progress as My learning counts it


@dataclass(frozen=True)
class ExamLine:
    exam: Exam
    allowance: Allowance  # the exams app's rule: attempts left, whether one may start


@dataclass
class LearnerHome:
    credits: CreditSummary
    resume: list[ResumeLine]
    due: list[EnrolmentLine]
    due_more: int
    exams: list[ExamLine]
    exams_more: int
    certificates: list[Certificate]


@dataclass(frozen=True)
class WorkLink:
    label: str | Promise  # lazy: the template renders it in the request's language
    url_name: str


@dataclass
class WorkLinks:
    """Links for staff to their own pages; empty for a learner."""

    hr: list[WorkLink] = field(default_factory=list)
    teaching: list[WorkLink] = field(default_factory=list)
    administration: list[WorkLink] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.hr or self.teaching or self.administration)


def learner_home(person: Person, *, now: datetime | None = None) -> LearnerHome:
    """The learner's blocks: this credit year (Asia/Shanghai), where to go on, what is due,
    exams to sit now, latest certificates."""
    now = now or timezone.now()
    today = timezone.localdate(now)  # TIME_ZONE is Asia/Shanghai: the credit year's zone
    learning = course_selectors.my_learning(person, today=today)
    lines: dict[int, EnrolmentLine] = {
        line.enrolment.pk: line for line in learning["assigned"] + learning["electives"]
    }
    resume = [
        ResumeLine(resume=item, line=lines.get(item.enrolment.pk))
        for item in course_selectors.recently_studied(person, limit=RESUME_COUNT)
    ]
    due = sorted(
        (
            line
            for line in learning["assigned"]
            if line.enrolment.mandatory and line.enrolment.status == EnrolmentStatus.ACTIVE
        ),
        key=lambda line: (
            line.enrolment.due_date is None,
            line.enrolment.due_date or today,
            line.enrolment.course.title,
        ),
    )
    exams = exams_to_sit_now(person, now=now)
    return LearnerHome(
        credits=learning["credits"],
        resume=resume,
        due=due[:DUE_COUNT],
        due_more=max(0, len(due) - DUE_COUNT),
        exams=exams[:EXAM_COUNT],
        exams_more=max(0, len(exams) - EXAM_COUNT),
        certificates=certificate_selectors.recent_certificates(person, limit=CERTIFICATE_COUNT),
    )


def exams_to_sit_now(person: Person, *, now: datetime) -> list[ExamLine]:
    """Exams open to the person that they may start or resume now, closing soonest first,
    leaving out those already passed (the result that counts, by the exam's grading method)
    unless an attempt is open: done is not a thing to do; My exams still offers a retake.

    Whether one may is the exams app's allowance (window, attempts, extra attempts, an open
    attempt to resume); the query only leaves out exams long closed, so that years of past
    exams are not read for nothing.
    """
    exams = list(
        exam_selectors.exams_open_to(person)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now - CLOSED_LONG_AGO))
        .select_related("course")
        .order_by(F("closes_at").asc(nulls_last=True), "title", "pk")
    )
    attempts = exam_selectors.attempts_by_exam(person, exams)
    allowances = exam_selectors.allowances_for(person, exams, attempts=attempts, now=now)

    def passed(exam: Exam) -> bool:
        result = exam_selectors.result_among(exam, attempts.get(exam.pk, []))
        return result is not None and bool(result.passed)

    return [
        ExamLine(exam=exam, allowance=allowances[exam.pk])
        for exam in exams
        if allowances[exam.pk].can_start and (allowances[exam.pk].resumable or not passed(exam))
    ]


def work_links(request: HttpRequest) -> WorkLinks:
    """What HR officers, trainers and administrators open from the home page.

    The same tests as the pages behind them: HR pages for whoever manages people (the
    header's rule), question import and grading by permission, the Django admin for the
    whole scope. A learner is never staff (``person_account_sync``): no query for them.
    """
    links = WorkLinks()
    user: Any = request.user
    if not user.is_authenticated or not user.is_staff:
        return links
    scope = request_scope(request)
    if scope.manages_people:
        links.hr = [
            WorkLink(label=_("Training statistics"), url_name="dashboards:home"),
            WorkLink(label=_("Training plans"), url_name="courses:hr_plans"),
            WorkLink(
                label=_("Record offline training hours"), url_name="courses:hr_offline_credit"
            ),
            WorkLink(label=_("Certificate management"), url_name="certificates:hr_certificates"),
            WorkLink(label=_("Exam results"), url_name="exams_results_index"),
            WorkLink(label=_("Audit trail"), url_name="org:audit_log"),
        ]
    if user.has_perm("exams.add_question"):
        links.teaching.append(
            WorkLink(label=_("Import questions"), url_name="exams_question_import")
        )
    if exam_selectors.can_grade(user):
        links.teaching.append(WorkLink(label=_("Grading queue"), url_name="exams_grading_queue"))
        if not links.hr:
            links.teaching.append(WorkLink(label=_("Exam results"), url_name="exams_results_index"))
    links.administration = [WorkLink(label=_("Administration"), url_name="wagtailadmin_home")]
    if scope.everything:  # the Django admin's own rule (org/admin_site.py)
        links.administration.append(
            WorkLink(label=_("System administration"), url_name="admin:index")
        )
    return links
