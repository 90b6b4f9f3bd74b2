"""Wagtail editing forms of course and lesson pages: the rules for publishing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from anyascii import anyascii
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.models import Page

from org.models import OrgUnit, Person, Rank

SLUG_MAX = 60


def ascii_slug(text: str) -> str:
    """A readable ASCII slug for a title: pinyin for Chinese, a hyphen between syllables
    ("电子政务概论" -> "dian-zi-zheng-wu-gai-lun"). A Chinese slug would reach the learner
    as a percent-encoded address. anyascii comes with Wagtail."""
    words = []
    for char in text:
        if ord(char) < 128:
            words.append(char)
        else:
            words.append(f" {anyascii(char)} ")
    slug = slugify("".join(words))[:SLUG_MAX].strip("-")
    return slug.rsplit("-", 1)[0] if len(slug) == SLUG_MAX and "-" in slug else slug


class AsciiSlugPageForm(WagtailAdminPageForm):
    """Page forms whose slug is ASCII: a typed ASCII slug is kept as it is; an empty one,
    or one in Chinese (the editor copies the title), becomes pinyin, unique among the
    page's siblings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # Left empty, it is spelled from the title (clean_slug).
            self.fields["slug"].required = False

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data.get("slug") or ""
        if slug and slug.isascii():
            return slug
        base = ascii_slug(slug or self.cleaned_data.get("title") or "")
        if not base:
            return slug  # nothing to spell: Wagtail's own rules apply
        parent = getattr(self, "parent_page", None)
        candidate, suffix = base, 1
        while parent is not None and not Page._slug_is_available(candidate, parent, self.instance):
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate


def _publishing(form: WagtailAdminPageForm) -> bool:
    # Wagtail's editor names the submit button; drafts may be incomplete, publishing not.
    return "action-publish" in form.data


class CoursePageForm(AsciiSlugPageForm):
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


class LessonPageForm(AsciiSlugPageForm):
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


# Text an HR officer types ends up in exports that spreadsheets open: a leading = + - @
# would be read as a formula. U+FFFD and control characters mean text that was mangled
# on its way (a GBK file pasted as UTF-8, say).
FORMULA_STARTS = ("=", "+", "-", "@")


def _plain_text(value: str) -> str:
    value = value.strip()
    if value.startswith(FORMULA_STARTS):
        raise forms.ValidationError(
            _("Do not start with =, +, - or @: spreadsheets would read it as a formula.")
        )
    if "\ufffd" in value or any(ord(char) < 32 or 127 <= ord(char) < 160 for char in value):
        raise forms.ValidationError(
            _("This text contains characters that cannot be read. Type it again.")
        )
    return value


class DescribedForm(forms.Form):
    """A form whose inputs name their help text and errors (``aria-describedby``) and
    say when they are invalid, for courses/includes/form_fields.html."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe()

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()

    def _describe(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_help")
            if self.is_bound and hasattr(self, "_errors") and self._errors and name in self._errors:
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)


class UnitChoiceField(forms.ModelChoiceField):
    """Units labelled with their path, since many units share a short name (办公室)."""

    labels: dict[int, str]

    def label_from_instance(self, obj: Any) -> str:
        return getattr(self, "labels", {}).get(obj.pk) or str(obj)


class TrainingPlanForm(DescribedForm):
    name = forms.CharField(label=_lazy("Name"), max_length=120)
    org_unit = UnitChoiceField(
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
        label=_lazy("Courses"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    credit_year = forms.IntegerField(label=_lazy("Credit year"), min_value=2000, max_value=2100)
    due_date = forms.DateField(
        label=_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    mandatory = forms.BooleanField(label=_lazy("Mandatory"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[OrgUnit],
        roots: tuple[OrgUnit, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field: Any = self.fields["org_unit"]
        unit_field.queryset = units
        # Imported here: courses.models imports this module for its page forms.
        from courses.models import CoursePage
        from org.selectors import org_unit_labels

        unit_field.labels = org_unit_labels(units, roots=roots)
        self.fields["courses"].queryset = (  # type: ignore[attr-defined]
            CoursePage.objects.live().order_by("path")
        )

    def clean_name(self) -> str:
        return _plain_text(self.cleaned_data["name"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        due, year = cleaned.get("due_date"), cleaned.get("credit_year")
        if due is not None and year is not None and due.year != year:
            self.add_error("due_date", _("The due date must fall in the credit year."))
        return cleaned


class OfflineCreditForm(DescribedForm):
    employee_number = forms.CharField(label=_lazy("Employee number"), max_length=32)
    hours = forms.DecimalField(
        label=_lazy("Hours"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal("200"),
        help_text=_lazy("Between 0.1 and 200, one decimal place."),
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
        self.fields["employee_number"].widget = forms.HiddenInput()

    def clean_employee_number(self) -> Person:
        person = person_by_number(self.people, self.cleaned_data["employee_number"])
        if person is None:
            raise forms.ValidationError(NOBODY_IN_SCOPE)
        return person

    def clean_awarded_on(self) -> date:
        day: date = self.cleaned_data["awarded_on"]
        if day < date(2000, 1, 1):
            raise forms.ValidationError(_("The training date must be in 2000 or later."))
        if day > timezone.localdate():
            raise forms.ValidationError(_("The training date is in the future."))
        return day

    def clean_reason(self) -> str:
        return _plain_text(self.cleaned_data["reason"])

    def clean_reference(self) -> str:
        return _plain_text(self.cleaned_data["reference"])


NOBODY_IN_SCOPE = _lazy("Nobody with this employee number in your scope.")


def person_by_number(people: QuerySet[Person], raw: str) -> Person | None:
    """The person of an employee number among ``people`` (the officer's scope), or None:
    someone outside the scope and no one at all look the same."""
    number = raw.strip()
    if not number or len(number) > 32:
        return None
    return people.filter(employee_number=number).first()


class PersonLookupForm(DescribedForm):
    """Step one of recording offline hours: whose hours? (a GET form, works without JS)."""

    employee_number = forms.CharField(
        label=_lazy("Employee number"),
        max_length=32,
        help_text=_lazy("The person's name is shown before anything is recorded."),
    )
