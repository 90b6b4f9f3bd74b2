"""Django admin for platform administrators: the organisation tree, people and roles."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from audit.admin import AuditedAdminMixin
from org import services
from org.models import OrgUnit, Person, RoleAssignment


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdminMixin, TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ["name", "kind", "division_code", "code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "division_code"]

    def audit_subject(self, obj: OrgUnit) -> tuple[int | None, str]:
        return None, obj.path

    def try_to_move_node(
        self, as_child: bool, node: OrgUnit, pos: str, request: HttpRequest, target: OrgUnit
    ) -> HttpResponse:
        # treebeard's drag and drop moves the unit without save_model: recorded here.
        old_path = node.path
        response: HttpResponse = super().try_to_move_node(as_child, node, pos, request, target)
        if response.status_code == 200:
            moved = OrgUnit.objects.get(pk=node.pk)
            self.audit_write(moved, "admin.change", {"path": old_path}, {"path": moved.path})
        return response


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["org_unit"]


@admin.register(Person)
class PersonAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["employee_number", "real_name", "org_unit", "rank", "position", "is_active"]
    list_filter = ["is_active", "rank", "org_unit__kind"]
    search_fields = ["employee_number", "real_name", "user__username"]
    list_select_related = ["org_unit"]
    autocomplete_fields = ["org_unit", "user"]
    inlines = [RoleAssignmentInline]

    def audit_subject(self, obj: Person | RoleAssignment) -> tuple[int | None, str]:
        person = obj.person if isinstance(obj, RoleAssignment) else obj
        return person.pk, person.org_unit.path

    def audit_change(
        self, obj: Any, before: dict[str, Any], after: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        if not isinstance(obj, Person) or "org_unit" not in after:
            return super().audit_change(obj, before, after)
        # A move: name the units, as ids alone mean nothing once the tree changes.
        old_unit = OrgUnit.objects.filter(pk=before["org_unit"]).first()
        before = {**before, "org_unit_name": old_unit.name if old_unit else ""}
        before["org_unit_path"] = old_unit.path if old_unit else ""
        after = {**after, "org_unit_name": obj.org_unit.name, "org_unit_path": obj.org_unit.path}
        return "person.move", before, after

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # Roles edited inline must move the login's groups and admin flags along.
        services.person_account_sync(person=form.instance)
