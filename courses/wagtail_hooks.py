"""Wagtail admin: course categories for trainers, annual credit targets for administrators,
and the page editor's guard against a second save racing an autosave."""

from __future__ import annotations

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
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


@hooks.register("insert_editor_js")
def save_after_autosave() -> SafeString:
    """A save clicked during an autosave waits for it (courses/js/admin_save_guard.js)."""
    return format_html('<script src="{}" defer></script>', static("courses/js/admin_save_guard.js"))
