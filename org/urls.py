from django.urls import path

from org import api, views

app_name = "org"

# Pages of org; lms/urls.py mounts them in the language-prefixed patterns.
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
]

# Mounted under /api/v1/ by lms/urls.py.
api_urlpatterns = [
    path("auth/tokens/", api.ApiTokens.as_view(), name="api-tokens"),
    path("auth/tokens/current/", api.CurrentApiTokenRevoke.as_view(), name="api-token-current"),
    path("auth/tokens/<id:token_id>/", api.ApiTokenRevoke.as_view(), name="api-token"),
]
