from django.urls import path

from org import api

# Pages of org (none yet); lms/urls.py mounts them in the language-prefixed patterns.
urlpatterns: list = []

# Mounted under /api/v1/ by lms/urls.py.
api_urlpatterns = [
    path("auth/tokens/", api.ApiTokens.as_view(), name="api-tokens"),
    path("auth/tokens/current/", api.CurrentApiTokenRevoke.as_view(), name="api-token-current"),
    path("auth/tokens/<id:token_id>/", api.ApiTokenRevoke.as_view(), name="api-token"),
]
