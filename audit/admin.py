"""Recording what administrators change in the Django admin.

``AuditedAdminMixin`` goes in front of ``admin.ModelAdmin`` (or any subclass): every add,
change and delete, the bulk "delete selected" action and the inline rows included, becomes
an audit record with the field values before and after. Audit records themselves are not
registered here: the trail is browsed on the portal's /audit/ page, never edited.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from audit.services import audit_record

# Never copied into the trail, whatever model they sit on.
SECRET_FIELDS = frozenset({"password", "key", "key_hash", "secret", "token"})


def field_values(obj: models.Model) -> dict[str, Any]:
    """The object's own column values by field name (foreign keys as their ids)."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            continue
        values[field.name] = getattr(obj, field.attname)
    return values


def changed(obj: models.Model, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields whose values differ, leaving out timestamps every save moves (auto_now)."""
    stamps = {
        field.name for field in obj._meta.concrete_fields if getattr(field, "auto_now", False)
    }
    return [
        name for name, value in after.items() if name not in stamps and before.get(name) != value
    ]


class AuditedAdminMixin:
    """Record the admin's writes; override ``audit_subject`` to file them under a person or
    unit, and ``audit_change`` to name a change better than admin.change or add to it."""

    def audit_subject(self, obj: Any) -> tuple[int | None, str]:
        """(person id, org-tree path) the record is about; nobody in particular by default."""
        return None, ""

    def audit_change(
        self, obj: Any, before: dict[str, Any], after: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The action and the before/after values recorded for a change of ``obj``."""
        return "admin.change", before, after

    def audit_write(
        self,
        obj: Any,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        person_id, path = self.audit_subject(obj)
        audit_record(
            action=action,
            obj=obj,
            subject_person_id=person_id,
            subject_path=path,
            before=before,
            after=after,
        )

    def audit_saved(self, obj: Any, before: dict[str, Any] | None) -> None:
        after = field_values(obj)
        if before is None:
            self.audit_write(obj, "admin.add", None, after)
            return
        names = changed(obj, before, after)
        if not names:
            return
        old = {name: before.get(name) for name in names}
        new = {name: after[name] for name in names}
        self.audit_write(obj, *self.audit_change(obj, old, new))

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = None if stored is None else field_values(stored)
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        self.audit_saved(obj, before)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        # The rows as stored before this submission, to say what each changed form changed.
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        model: Any = formset.model
        initial = {
            stored.pk: field_values(stored) for stored in model._default_manager.filter(pk__in=pks)
        }
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in formset.new_objects:
            self.audit_write(obj, "admin.add", None, field_values(obj))
        for obj, _names in formset.changed_objects:
            before = initial.get(obj.pk, {})
            after = field_values(obj)
            names = [name for name in changed(obj, before, after) if name in before]
            if names:
                self.audit_write(
                    obj,
                    "admin.change",
                    {name: before[name] for name in names},
                    {name: after[name] for name in names},
                )
        for obj in formset.deleted_objects:
            self.audit_write(obj, "admin.delete", field_values(obj), None)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = field_values(obj)
        self.audit_write(obj, "admin.delete", before, None)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.audit_write(obj, "admin.delete", field_values(obj), None)
        super().delete_queryset(request, queryset)  # type: ignore[misc]
