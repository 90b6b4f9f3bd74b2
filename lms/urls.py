from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from certificates import urls as certificates_urls
from courses import urls as courses_urls
from dashboards import urls as dashboards_urls
from exams import urls as exams_urls
from lms import password_views, views
from org import urls as org_urls

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    # The page comes back in the language chosen (Django's own view kept /en/ pages English).
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include(org_urls.api_urlpatterns)),
    path("api/v1/", include(courses_urls.api_urlpatterns)),
    path("api/v1/", include(exams_urls.api_urlpatterns)),
    path("api/v1/", include(certificates_urls.api_urlpatterns)),
    path("api/v1/", include(dashboards_urls.api_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a script file of its own, so the
    # page runs under the Content-Security-Policy without inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="lms/swagger_ui.html"
        ),
        name="api-docs",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Chinese at the root, English under /en/.
urlpatterns += i18n_patterns(
    path(
        "accounts/login/",
        views.LoginView.as_view(
            extra_context={"session_minutes": settings.SESSION_COOKIE_AGE // 60},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        password_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        password_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include(courses_urls)),
    path("", include(exams_urls)),
    path("", include(certificates_urls)),
    path("", include(dashboards_urls)),
    path("", include(org_urls)),
    # Wagtail serves every page not matched above; it must stay last.
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
