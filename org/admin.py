"""Django admin for platform administrators: the organisation tree, people and roles."""

from __future__ import annotations

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from org import services
from org.models import OrgUnit, Person, RoleAssignment


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ["name", "kind", "division_code", "code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "division_code"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["org_unit"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["employee_number", "real_name", "org_unit", "rank", "position", "is_active"]
    list_filter = ["is_active", "rank", "org_unit__kind"]
    search_fields = ["employee_number", "real_name", "user__username"]
    list_select_related = ["org_unit"]
    autocomplete_fields = ["org_unit", "user"]
    inlines = [RoleAssignmentInline]

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # Roles edited inline must move the login's groups and admin flags along.
        services.person_account_sync(person=form.instance)
