"""django.contrib.admin with the platform administrators' site (org/admin_site.py).

Apart from admin_site.py because INSTALLED_APPS imports this module before any model
exists.
"""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "org.admin_site.PlatformAdminSite"
