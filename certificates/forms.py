"""Forms of the certificates app: templates (trainers), bulk jobs and revocation (HR)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from certificates import rendering
from certificates.models import BulkJobKind
from courses.models import CoursePage, TrainingPlan
from org.models import OrgUnit


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=300,
        strip=True,
        error_messages={"required": _("Give the reason for revoking.")},
    )


class BulkJobForm(forms.Form):
    kind = forms.ChoiceField(label=_("Action"), choices=BulkJobKind.choices)
    org_unit = forms.ModelChoiceField(
        label=_("Organisation unit (with everything below it)"),
        queryset=OrgUnit.objects.none(),
        required=False,
    )
    training_plan = forms.ModelChoiceField(
        label=_("or a training plan"), queryset=TrainingPlan.objects.none(), required=False
    )
    course = forms.ModelChoiceField(
        label=_("Only this course (optional)"),
        queryset=CoursePage.objects.live().order_by("title"),
        required=False,
    )

    def __init__(
        self, *args: Any, units: QuerySet[OrgUnit], plans: QuerySet[TrainingPlan], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Only what the officer may see can be chosen: anything else is "not a valid choice".
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["training_plan"].queryset = plans  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("org_unit")) == bool(data.get("training_plan")):
            raise ValidationError(_("Choose either an organisation unit or a training plan."))
        return data


class CertificateTemplateForm(WagtailAdminModelForm):
    """The template editor: the body's placeholders are checked before anything is saved."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("title", "body"):
            if data.get(field):
                try:
                    rendering.placeholders_check(data[field])
                except rendering.LayoutInvalid as error:
                    self.add_error(field, str(error))
        return data
