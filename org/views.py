"""Pages of org: the audit trail, for platform administrators and HR officers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import ACTIONS, AuditRecord
from audit.selectors import audit_records
from org.access import PersonRequest, hr_required

AUDIT_PAGE = 50
BIGGEST_ID = 2**63 - 1
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("By (username)"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("To"), required=False, widget=DateInput)
    q = forms.CharField(label=_("Search text"), required=False, max_length=100)
    # Set by the links of the page ("this person's records"); checked against the scope.
    person = forms.IntegerField(
        required=False, min_value=1, max_value=BIGGEST_ID, widget=forms.HiddenInput
    )
    unit = forms.IntegerField(
        required=False, min_value=1, max_value=BIGGEST_ID, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", _("All actions")), *ACTIONS.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        # Year 1 or 9999 would overflow when the day's start is turned into UTC.
        for name, day in (("since", since), ("until", until)):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, _("Choose a date between 2000 and 2100."))
                return data
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _changes(record: AuditRecord) -> list[tuple[str, Any, Any]]:
    before, after = record.before or {}, record.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key, ""), after.get(key, "")) for key in keys]


@hr_required
def audit_log(request: PersonRequest) -> HttpResponse:
    """The audit trail, newest first: everything for administrators, the records about
    people in their subtrees for HR officers; a filter naming anybody else is a 404."""
    form = AuditFilterForm(request.GET or None)
    scope = request.scope
    filters: dict[str, Any] = {}
    if form.is_bound and not form.is_valid():
        context: dict[str, Any] = {
            "form": form,
            "page": None,
            "entries": [],
            "everything": scope.everything,
        }
        return render(request, "org/audit_log.html", context, status=400)
    if form.is_bound:
        data = form.cleaned_data
        if data["person"] is not None:
            if not scope.people().filter(pk=data["person"]).exists():
                raise Http404
            filters["subject_person_id"] = data["person"]
        if data["unit"] is not None:
            unit = scope.units().filter(pk=data["unit"]).first()
            if unit is None:
                raise Http404
            filters["subject_path"] = unit.path
        filters.update(
            action=data["action"],
            actor=data["actor"].strip(),
            text=data["q"].strip(),
            since=_start_of(data["since"]) if data["since"] else None,
            until=_start_of(data["until"] + timedelta(days=1)) if data["until"] else None,
        )
    records = audit_records(within=scope.path_q("subject_path"), **filters)
    page = Paginator(records, AUDIT_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Names for the people and units the page's records are about, two queries in all.
    people = {
        person.pk: person
        for person in scope.people().filter(
            pk__in={row.subject_person_id for row in rows if row.subject_person_id}
        )
    }
    units = {
        unit.path: unit
        for unit in scope.units().filter(
            path__in={row.subject_path for row in rows if row.subject_path}
        )
    }
    entries = [
        {
            "record": row,
            "person": people.get(row.subject_person_id or 0),
            "unit": units.get(row.subject_path),
            "changes": _changes(row),
        }
        for row in rows
    ]
    return render(
        request,
        "org/audit_log.html",
        {"form": form, "page": page, "entries": entries, "everything": scope.everything},
    )
