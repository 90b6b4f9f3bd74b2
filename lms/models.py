"""The portal's own pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from lms import home
from org import selectors as org_selectors
from org.access import access


class HomePage(Page):
    """The portal's front page: a welcome for visitors, the learner's own overview once in."""

    intro = RichTextField(
        _("introduction"),
        blank=True,
        help_text=_("Shown to everyone above the sign-in button or the learner's overview."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        person, _scope = access(request)
        context["person"] = person
        if person is not None:
            roles = org_selectors.person_roles(person)
            context["roles"] = roles.roles
            context["hr_scopes"] = roles.hr_scopes
            context["ancestry"] = org_selectors.org_unit_ancestry(person.org_unit)
            context["home"] = home.learner_home(person)
        context["work_links"] = home.work_links(request)
        return context
