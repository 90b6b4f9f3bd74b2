"""Wagtail editing forms of course and lesson pages: the rules for publishing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from wagtail.admin.forms import WagtailAdminPageForm

from org.models import OrgUnit, Person, Rank


def _publishing(form: WagtailAdminPageForm) -> bool:
    # Wagtail's editor names the submit button; drafts may be incomplete, publishing not.
    return "action-publish" in form.data


class CoursePageForm(WagtailAdminPageForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        hours = cleaned.get("credit_hours")
        if hours is not None and hours < 0:
            self.add_error("credit_hours", _("Credit hours cannot be negative."))
        if _publishing(self):
            page = self.instance
            has_lessons = page.pk is not None and page.get_children().live().exists()
            if not has_lessons:
                self.add_error(
                    None, _("Publish at least one lesson of this course before the course.")
                )
        return cleaned


class LessonPageForm(WagtailAdminPageForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        body = cleaned.get("body")
        if _publishing(self) and (body is None or len(body) == 0):
            self.add_error("body", _("A lesson needs content before it can be published."))
        if body is not None and cleaned.get("required_minutes"):
            embedded = sum(
                block.value["duration_seconds"]
                for block in body
                if block.block_type == "video" and not block.value.get("file")
            )
            if cleaned["required_minutes"] * 60 < embedded:
                # The page cannot follow an embedded player, so study time must cover it.
                self.add_error(
                    "required_minutes",
                    _("Required study time must cover the embedded videos (%(minutes)s min).")
                    % {"minutes": -(-embedded // 60)},
                )
        return cleaned


class TrainingPlanForm(forms.Form):
    name = forms.CharField(label=_lazy("Name"), max_length=120)
    org_unit = forms.ModelChoiceField(
        label=_lazy("Organisation unit"),
        queryset=OrgUnit.objects.none(),
        help_text=_lazy("Everyone in this unit and below is enrolled, including later arrivals."),
    )
    ranks = forms.MultipleChoiceField(
        label=_lazy("Ranks"),
        choices=Rank.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_lazy("Leave empty for every rank."),
    )
    courses: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_lazy("Courses"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    credit_year = forms.IntegerField(label=_lazy("Credit year"), min_value=2000, max_value=2100)
    due_date = forms.DateField(
        label=_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    mandatory = forms.BooleanField(label=_lazy("Mandatory"), required=False, initial=True)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        # Imported here: courses.models imports this module for its page forms.
        from courses.models import CoursePage

        self.fields["courses"].queryset = (  # type: ignore[attr-defined]
            CoursePage.objects.live().order_by("path")
        )


class OfflineCreditForm(forms.Form):
    employee_number = forms.CharField(label=_lazy("Employee number"), max_length=32)
    hours = forms.DecimalField(
        label=_lazy("Hours"), max_digits=5, decimal_places=1, min_value=Decimal("0.1")
    )
    awarded_on = forms.DateField(
        label=_lazy("Training date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_lazy("Training"), max_length=300)
    reference = forms.CharField(
        label=_lazy("Reference (certificate or document number)"), max_length=120, required=False
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people

    def clean_employee_number(self) -> Person:
        number = self.cleaned_data["employee_number"].strip()
        person = self.people.filter(employee_number=number).first()
        if person is None:
            raise forms.ValidationError(_("Nobody with this employee number in your scope."))
        return person
