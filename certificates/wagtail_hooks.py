"""Wagtail admin for trainers: certificate templates with a live PDF preview."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from certificates.forms import CertificateTemplateForm
from certificates.models import CertificateTemplate


class CertificateTemplateViewSet(SnippetViewSet):
    model = CertificateTemplate
    icon = "doc-full"
    menu_label = _("Certificate templates")
    menu_name = "certificate_templates"
    add_to_admin_menu = True
    menu_order = 240
    url_prefix = "certificates/templates"
    list_display = ["name", "course", "orientation", "valid_months", "updated_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("course"),
            MultiFieldPanel(
                [FieldPanel("title"), FieldPanel("body"), FieldPanel("issuer")],
                heading=_("Wording"),
            ),
            MultiFieldPanel(
                [FieldPanel("orientation"), FieldPanel("background"), FieldPanel("seal")],
                heading=_("Page"),
            ),
            FieldRowPanel([FieldPanel("serial_prefix"), FieldPanel("valid_months")]),
        ],
        base_form_class=CertificateTemplateForm,
    )


register_snippet(CertificateTemplateViewSet)
