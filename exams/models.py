"""Question bank (versioned questions in a category tree), exams, attempts and answers."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from treebeard.mp_tree import MP_Node
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from courses.models import CoursePage
from org.models import Person


class QuestionCategory(MP_Node):
    """A node of the question bank's category tree (e.g. 信息安全 > 等级保护)."""

    name = models.CharField(pgettext_lazy("question category", "name"), max_length=80)

    node_order_by: ClassVar[list[str]] = ["name"]

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")
    FILL = "fill", _("Fill in the blank")
    SHORT = "short", _("Short answer")


class Difficulty(models.IntegerChoices):
    EASY = 1, _("Easy")
    MEDIUM = 2, _("Medium")
    HARD = 3, _("Hard")


class Question(models.Model):
    """A question's identity; what it says lives in its versions, the newest being current."""

    category = models.ForeignKey(
        QuestionCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="questions",
    )
    current_version = models.ForeignKey(
        "QuestionVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        version = self.current_version
        return version.stem[:60] if version else f"#{self.pk}"


class QuestionVersion(models.Model):
    """An immutable text of a question. Attempts point at versions, so editing a question
    (which adds a version) never changes the grade of an attempt already taken."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(
        pgettext_lazy("question", "type"), max_length=12, choices=QuestionKind.choices
    )
    stem = models.TextField(_("question"))
    # [{"id": "a", "text": "..."}, ...]; empty for fill-in and short answers.
    options = models.JSONField(_("options"), default=list, blank=True)
    # single/true_false: an option id; multiple: a list of ids; fill: one list of accepted
    # answers per blank; short: null (graded by hand against the rubric).
    answer = models.JSONField(_("answer"), null=True, blank=True)
    rubric = models.TextField(_("grading rubric"), blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="question_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stem[:60]} (v{self.number})"


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Highest attempt")
    LAST = "last", _("Last attempt")


class ReviewPolicy(models.TextChoices):
    """When a learner may see more than their score and pass (Moodle's review times).

    Whatever the policy, the score and pass of a graded attempt are always shown.
    """

    # The default: nothing to copy from while attempts remain.
    AFTER_LAST_ATTEMPT = (
        "after_last_attempt",
        _("After the learner's last attempt, or when the exam closes"),
    )
    AFTER_SUBMIT = "after_submit", _("Right after each attempt (for practice)")
    AFTER_CLOSE = "after_close", _("After the exam closes")
    NEVER = "never", _("Never: score only")


class ReviewContent(models.TextChoices):
    """What the review shows once the policy allows it."""

    FULL = "full", _("The learner's answers, the correct answers and explanations")
    RESPONSES = "responses", _("The learner's answers and points only, no correct answers")


class Exam(ClusterableModel):
    title = models.CharField(_("title"), max_length=120)
    course = models.ForeignKey(
        CoursePage,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exams",
        help_text=_("Passing this exam fulfils the course's exam requirement."),
    )
    instructions = models.TextField(_("instructions"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, validators=[MinValueValidator(1)]
    )
    grading_method = models.CharField(
        _("grading method"),
        max_length=10,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
    )
    pass_percent = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    review_policy = models.CharField(
        pgettext_lazy("exam", "review"),
        max_length=20,
        choices=ReviewPolicy.choices,
        default=ReviewPolicy.AFTER_LAST_ATTEMPT,
        help_text=_(
            "The score and pass are always shown. Answers and explanations shown while "
            "attempts remain can be copied into the next attempt."
        ),
    )
    review_content = models.CharField(
        _("what the review shows"),
        max_length=10,
        choices=ReviewContent.choices,
        default=ReviewContent.FULL,
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    is_published = models.BooleanField(_("published"), default=False)

    panels: ClassVar[list[object]] = [
        FieldPanel("title"),
        FieldPanel("course"),
        FieldPanel("instructions"),
        MultiFieldPanel(
            [
                FieldPanel("duration_minutes"),
                FieldPanel("opens_at"),
                FieldPanel("closes_at"),
                FieldPanel("attempts_allowed"),
            ],
            heading=_("Time and attempts"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("pass_percent"),
                FieldPanel("grading_method"),
                FieldPanel("review_policy"),
                FieldPanel("review_content"),
                FieldPanel("shuffle_questions"),
                FieldPanel("shuffle_options"),
            ],
            heading=_("Grading and review"),
        ),
        InlinePanel("fixed_questions", heading=_("Fixed questions"), label=_("Question")),
        InlinePanel("draw_rules", heading=_("Random draw rules"), label=_("Rule")),
        FieldPanel("is_published"),
    ]

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="exam_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ExamQuestion(Orderable):
    """A question always on the paper (a fixed list)."""

    exam = ParentalKey(Exam, on_delete=models.CASCADE, related_name="fixed_questions")
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+"
    )
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, default=Decimal("1"))

    panels: ClassVar[list[object]] = [FieldPanel("question"), FieldPanel("points")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["exam", "question"], name="exam_question_once"),
            models.CheckConstraint(condition=Q(points__gt=0), name="exam_question_points"),
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}: {self.question_id}"


class ExamDrawRule(models.Model):
    """Draw ``count`` random questions from a category (and below) at a difficulty."""

    exam = ParentalKey(Exam, on_delete=models.CASCADE, related_name="draw_rules")
    category = models.ForeignKey(
        QuestionCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, null=True, blank=True
    )
    kind = models.CharField(
        pgettext_lazy("question", "type"), max_length=12, choices=QuestionKind.choices, blank=True
    )
    count = models.PositiveSmallIntegerField(
        _("number of questions"), validators=[MinValueValidator(1)]
    )
    points = models.DecimalField(
        _("points each"), max_digits=5, decimal_places=2, default=Decimal("1")
    )

    panels: ClassVar[list[object]] = [
        FieldPanel("category"),
        FieldPanel("difficulty"),
        FieldPanel("kind"),
        FieldPanel("count"),
        FieldPanel("points"),
    ]

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(count__gt=0), name="draw_rule_count"),
            models.CheckConstraint(condition=Q(points__gt=0), name="draw_rule_points"),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.category}"


class ExamOverride(models.Model):
    """Extra time or attempts for one person (e.g. accessibility needs, a failed network)."""

    exam = models.ForeignKey(
        Exam, verbose_name=_("exam"), on_delete=models.CASCADE, related_name="overrides"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    extra_minutes = models.PositiveSmallIntegerField(_("extra minutes"), default=0)
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts"), default=0)

    class Meta:
        verbose_name = _("extra time or attempts")
        verbose_name_plural = _("extra time and attempts")
        constraints = [
            models.UniqueConstraint(fields=["exam", "person"], name="exam_override_once"),
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}/{self.person_id}: +{self.extra_minutes}m +{self.extra_attempts}"


GRACE_SECONDS = 30  # answers sent in the last moments still arrive after the deadline


class AttemptState(models.TextChoices):
    # Contexts: courses translate "In progress" as 学习中, Wagtail "Submitted" as 已提交.
    IN_PROGRESS = "in_progress", pgettext_lazy("attempt state", "In progress")
    SUBMITTED = "submitted", pgettext_lazy("attempt state", "Submitted")
    EXPIRED = "expired", _("Time ran out")
    GRADED = "graded", pgettext_lazy("attempt state", "Graded")


class Attempt(models.Model):
    """One sitting of an exam: in progress > submitted|expired > graded."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt number"))
    state = models.CharField(
        _("state"), max_length=12, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("started"))
    deadline = models.DateTimeField(_("deadline"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=7, decimal_places=2)
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    # Not a field: the paper ``attempt_start`` has just drawn (no answers yet), so that the
    # start's response need not read it back. None on attempts loaded from the database.
    drawn: list[AttemptQuestion] | None = None

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            # At most one open attempt per person and exam, even under concurrent starts.
            models.UniqueConstraint(
                fields=["exam", "person"],
                condition=Q(state="in_progress"),
                name="attempt_one_open_per_person",
            ),
            models.UniqueConstraint(
                fields=["exam", "person", "number"], name="attempt_number_once"
            ),
            models.CheckConstraint(
                condition=Q(state="in_progress") | Q(finished_at__isnull=False),
                name="attempt_finished_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="graded") | Q(score__isnull=False, graded_at__isnull=False),
                name="attempt_graded_has_score",
            ),
        ]
        indexes = [
            models.Index(
                fields=["deadline"],
                condition=Q(state="in_progress"),
                name="attempt_open_by_deadline",
            )
        ]

    def __str__(self) -> str:
        return f"{self.exam} #{self.number} ({self.person_id})"


class AttemptQuestion(models.Model):
    """A question on one attempt's paper: the version drawn and the option order shown."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="paper")
    position = models.PositiveSmallIntegerField()
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    option_order = models.JSONField(default=list, blank=True)
    points = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"


class Answer(models.Model):
    """The learner's latest answer to one question of an attempt, saved as it is given."""

    attempt_question = models.OneToOneField(
        AttemptQuestion, on_delete=models.CASCADE, related_name="answer"
    )
    response = models.JSONField(null=True, blank=True)
    saved_at = models.DateTimeField()
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    feedback = models.TextField(blank=True)
    graded_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"answer to {self.attempt_question_id}"
