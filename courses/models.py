"""Courses and lessons (Wagtail pages), enrolment, trusted progress, plans and the 学时 ledger."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses.blocks import LessonBodyBlock
from courses.forms import CoursePageForm, LessonPageForm
from org.models import OrgUnit, Person, Rank


def _route_to_specific_child(
    parent: Page, child_model: type[Page], request: HttpRequest, path_components: list[str]
) -> Any:
    """Page.route, with the child fetched as its specific type in one query.

    Wagtail's generic route fetches a child and then its specific row, and the specific
    instance forgets its parent; a course page would spend three queries more than needed.
    """
    if not path_components:
        return Page.route(parent, request, path_components)
    child = child_model.objects.child_of(parent).filter(slug=path_components[0]).first()
    if child is None:
        raise Http404
    child._cached_parent_obj = parent
    return child.route(request, path_components[1:])


class CourseCategory(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels: ClassVar[list[Any]] = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("sort_order")]

    class Meta:
        verbose_name = _("course category")
        verbose_name_plural = _("course categories")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class CourseIndexPage(Page):
    """The catalogue: every published course below it, filterable and searchable."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types: ClassVar[list[str]] = ["lms.HomePage"]
    subpage_types: ClassVar[list[str]] = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("course catalogue")

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        return _route_to_specific_child(self, CoursePage, request, path_components)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.catalogue(self, request=request))
        return context


class CompletionRule(models.TextChoices):
    LESSONS = "lessons", _("All lessons completed")
    LESSONS_AND_EXAM = "lessons_and_exam", _("All lessons completed and the exam passed")


class CoursePage(Page):
    """A course: lessons below it, credit hours (学时) granted on completion."""

    category = models.ForeignKey(
        CourseCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
    )
    credit_hours = models.DecimalField(
        _("credit hours (学时)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        default=Decimal("1.0"),
    )
    summary = models.TextField(_("summary"), max_length=500)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    objectives = RichTextField(_("learning objectives"), blank=True, features=["ul", "ol", "bold"])
    trainer = models.ForeignKey(
        Person,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses_taught",
        limit_choices_to={"role_assignments__role": "trainer"},
    )
    prerequisites = ParentalManyToManyField(
        "self",
        verbose_name=_("prerequisites"),
        blank=True,
        symmetrical=False,
        related_name="required_by",
    )
    completion_rule = models.CharField(
        _("completion rule"),
        max_length=20,
        choices=CompletionRule.choices,
        default=CompletionRule.LESSONS,
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                # Five categories: a plain select, not the snippet chooser's modal.
                FieldPanel("category", widget=forms.Select),
                FieldPanel("credit_hours"),
                FieldPanel("completion_rule"),
                FieldPanel("trainer"),
                FieldPanel("prerequisites"),
            ],
            heading=_("Course"),
        ),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("objectives"),
    ]
    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("objectives"),
        index.FilterField("category"),
    ]

    parent_page_types: ClassVar[list[str]] = ["courses.CourseIndexPage"]
    subpage_types: ClassVar[list[str]] = ["courses.LessonPage"]
    base_form_class = CoursePageForm

    class Meta:
        verbose_name = _("course")

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        return _route_to_specific_child(self, LessonPage, request, path_components)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.course_detail(self, user=request.user))
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            from courses.views import course_enrol

            return course_enrol(request, self)
        return super().serve(request, *args, **kwargs)


class LessonPage(Page):
    """One lesson: text, media and checkpoint questions; completed by engaged time."""

    body = StreamField(LessonBodyBlock(), verbose_name=_("content"), blank=True)
    required_minutes = models.PositiveSmallIntegerField(
        _("required study time (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Engaged time on this page, measured by the server, needed to complete it."),
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("required_minutes"),
        FieldPanel("body"),
    ]
    search_fields: ClassVar[list[Any]] = [*Page.search_fields, index.SearchField("body")]

    parent_page_types: ClassVar[list[str]] = ["courses.CoursePage"]
    subpage_types: ClassVar[list[str]] = []
    base_form_class = LessonPageForm

    class Meta:
        verbose_name = _("lesson")

    @property
    def required_seconds(self) -> int:
        return int(self.required_minutes) * 60

    def videos(self) -> list[tuple[str, int]]:
        """(block id, duration in seconds) of the videos whose playback the page can follow.

        Uploaded files only: an embedded player does not tell the page where it is, so an
        embedded video counts through the required study time instead (LessonPageForm).
        """
        return [
            (block.id, int(block.value["duration_seconds"]))
            for block in self.body
            if block.block_type == "video" and block.value.get("file")
        ]

    def checkpoints(self) -> dict[str, Any]:
        """Checkpoint blocks by block id."""
        return {block.id: block.value for block in self.body if block.block_type == "checkpoint"}

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from courses import selectors

        context = super().get_context(request, *args, **kwargs)
        enrolment = getattr(request, "course_enrolment", None)
        context.update(selectors.lesson_detail(self, user=request.user, enrolment=enrolment))
        context["checkpoint_result"] = getattr(request, "checkpoint_result", None)
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        from courses.views import lesson_serve

        return lesson_serve(request, self, super().serve)


class EnrolmentSource(models.TextChoices):
    ELECTIVE = "elective", _("Chosen by the learner")
    PLAN = "plan", _("Training plan")


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    COMPLETED = "completed", _("Completed")


class TrainingPlan(models.Model):
    """Courses assigned to everyone in an org subtree (optionally some ranks) for a year."""

    name = models.CharField(_("name"), max_length=120)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        on_delete=models.PROTECT,
        related_name="training_plans",
        help_text=_("Everyone in this unit and below is enrolled."),
    )
    ranks = models.JSONField(
        _("ranks"),
        default=list,
        blank=True,
        help_text=_("Only people of these ranks; empty means every rank."),
    )
    credit_year = models.PositiveSmallIntegerField(
        _("credit year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    due_date = models.DateField(_("due date"))
    mandatory = models.BooleanField(_("mandatory"), default=True)
    courses = models.ManyToManyField(
        CoursePage, verbose_name=_("courses"), related_name="training_plans"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        Person,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["-credit_year", "due_date", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credit_year})"

    def clean(self) -> None:
        super().clean()
        unknown = set(self.ranks or []) - set(Rank.values)
        if unknown:
            raise ValidationError({"ranks": _("Unknown ranks: %s") % ", ".join(sorted(unknown))})
        if self.due_date and self.credit_year and self.due_date.year != self.credit_year:
            raise ValidationError({"due_date": _("The due date must fall in the credit year.")})


class Enrolment(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrolments"
    )
    source = models.CharField(_("source"), max_length=12, choices=EnrolmentSource.choices)
    training_plan = models.ForeignKey(
        TrainingPlan,
        verbose_name=_("training plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
    )
    mandatory = models.BooleanField(_("mandatory"), default=False)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ACTIVE,
    )
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    exam_passed_at = models.DateTimeField(_("exam passed"), null=True, blank=True)
    last_lesson = models.ForeignKey(
        LessonPage,
        verbose_name=_("last lesson"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["person", "course"], name="enrolment_once_per_course"),
            models.CheckConstraint(
                condition=Q(status="completed", completed_at__isnull=False)
                | Q(status="active", completed_at__isnull=True),
                name="enrolment_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["person", "status"], name="enrolment_person_status")]

    def __str__(self) -> str:
        return f"{self.person} → {self.course}"

    def is_overdue(self, today: Any) -> bool:
        return (
            self.status == EnrolmentStatus.ACTIVE
            and self.due_date is not None
            and self.due_date < today
        )


class LessonProgress(models.Model):
    """What the server has seen of one learner in one lesson."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="+")
    engaged_seconds = models.PositiveIntegerField(default=0)
    # Per video block id: a string of "0"/"1", one character per VIDEO_BUCKET_SECONDS.
    video_coverage = models.JSONField(default=dict, blank=True)
    checkpoints_passed = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "lesson"], name="lesson_progress_once_per_lesson"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} / {self.lesson_id}: {self.engaged_seconds}s"


class LessonView(models.Model):
    """One opening of a lesson in one tab; heartbeats refer to it by its opaque token."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="views")
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    last_beat_at = models.DateTimeField()
    last_seq = models.PositiveIntegerField(default=0)
    last_video = models.CharField(max_length=64, blank=True)
    last_position = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("lesson view")
        verbose_name_plural = _("lesson views")

    def __str__(self) -> str:
        return str(self.token)


class LearnerPresence(models.Model):
    """Which of a learner's open tabs is the one earning time: one at a time, per person."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    view = models.ForeignKey(LessonView, null=True, on_delete=models.SET_NULL, related_name="+")
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.beat_at}"


class CreditSource(models.TextChoices):
    COURSE = "course", _("Course completed")
    EXAM_BONUS = "exam_bonus", _("Exam passed (bonus)")
    OFFLINE = "offline", _("Offline training")


class CreditRecord(models.Model):
    """One entry of the credit-hour (学时) ledger. Rows are never edited, only added."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="credits"
    )
    credit_year = models.PositiveSmallIntegerField(_("credit year"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    source = models.CharField(_("source"), max_length=12, choices=CreditSource.choices)
    course = models.ForeignKey(
        CoursePage,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credits",
    )
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    awarded_at = models.DateTimeField(_("awarded"))
    entered_by = models.ForeignKey(
        Person,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-awarded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="credit_hours_positive"),
            # The same course credits a person once per credit year, however often completed.
            models.UniqueConstraint(
                fields=["person", "course", "credit_year", "source"],
                condition=Q(source__in=["course", "exam_bonus"]),
                name="credit_once_per_course_and_year",
            ),
            models.CheckConstraint(
                condition=Q(source="offline") | Q(course__isnull=False),
                name="credit_course_sources_name_the_course",
            ),
            models.CheckConstraint(
                condition=~Q(source="offline") | Q(entered_by__isnull=False),
                name="credit_offline_names_who_entered_it",
            ),
        ]
        indexes = [models.Index(fields=["person", "credit_year"], name="credit_person_year")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.credit_year}: {self.hours} ({self.source})"


class CreditTarget(models.Model):
    """The hours a subtree's people (optionally of one rank) must earn in a credit year."""

    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("organisation unit"), on_delete=models.CASCADE, related_name="+"
    )
    rank = models.CharField(
        _("rank"),
        max_length=24,
        choices=Rank.choices,
        blank=True,
        help_text=_("Empty: every rank."),
    )
    credit_year = models.PositiveSmallIntegerField(
        _("credit year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )

    panels: ClassVar[list[Any]] = [
        FieldPanel("org_unit"),
        FieldPanel("rank"),
        FieldPanel("credit_year"),
        FieldPanel("hours"),
    ]

    class Meta:
        verbose_name = _("annual credit target")
        verbose_name_plural = _("annual credit targets")
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "rank", "credit_year"], name="credit_target_unique"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="credit_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.rank or '*'} {self.credit_year}: {self.hours}"


@register_setting(icon="time")
class LearningRules(BaseGenericSetting):
    """Platform-wide rules for progress and credit, edited in Settings › Learning rules."""

    video_coverage_percent = models.PositiveSmallIntegerField(
        _("video coverage required (%)"),
        default=90,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text=_("Share of each video a learner must actually play to complete a lesson."),
    )
    exam_pass_bonus_hours = models.DecimalField(
        _("bonus hours for passing a course exam"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    default_annual_target_hours = models.DecimalField(
        _("default annual target (学时)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("50"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Used where no target is set for a person's unit and rank."),
    )

    class Meta:
        verbose_name = _("learning rules")
