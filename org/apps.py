from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.urls import register_converter

        from org.converters import IdConverter

        register_converter(IdConverter, "id")

        from org import receivers  # noqa: F401  (connects them)
