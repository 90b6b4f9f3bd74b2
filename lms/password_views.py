"""Self-service password change: Django's views, plus what a changed password must end."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpResponse
from django.urls import reverse_lazy

from org import services as org_services


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password; the other sessions and every API token stop working.

    Django's view saves the new password and keeps only the current session (the session
    hash of every other one no longer matches); tokens do not carry that hash, so they are
    revoked here.
    """

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["password_rules"] = password_validators_help_texts()
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        org_services.user_tokens_revoke(user=form.user, reason="password_change")
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
