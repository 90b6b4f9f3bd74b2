"""What happens at every sign-in, whichever view signed the user in (portal, admin, tests)."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone

from lms.middleware import SIGNED_IN_AT
from org.security import client_ip


def record_sign_in_time(
    sender: type, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    """Start the session's absolute lifetime (lms.middleware.AbsoluteSessionLifetimeMiddleware)."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(timezone.now().timestamp())


def forget_failures_of_this_account_from_this_address(
    sender: type, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    """A successful sign-in clears the failures of that account from that address, only.

    django-axes' own reset (AXES_RESET_ON_SUCCESS, off in settings) would delete every
    failure of the address as well, so anyone holding one valid account could wipe the
    counter of a password-spraying run by signing in between guesses.
    """
    if request is None:
        return
    AccessAttempt.objects.filter(
        username=user.get_username(), ip_address=client_ip(request)
    ).delete()
