"""Wagtail admin: course categories for trainers, annual credit targets for administrators."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from courses.models import CourseCategory, CreditTarget


class CourseCategoryViewSet(SnippetViewSet):
    model = CourseCategory
    icon = "folder-open-inverse"
    menu_label = _("Course categories")
    list_display = ["name", "slug", "sort_order"]
    add_to_admin_menu = True
    menu_order = 210


class CreditTargetViewSet(SnippetViewSet):
    model = CreditTarget
    icon = "time"
    menu_label = _("Annual credit targets")
    list_display = ["org_unit", "rank", "credit_year", "hours"]
    list_filter = ["credit_year"]
    add_to_admin_menu = True
    menu_order = 220


register_snippet(CourseCategoryViewSet)
register_snippet(CreditTargetViewSet)
