"""Response headers and session rules that hold for every view.

- ``ContentSecurityPolicyMiddleware``: django-csp's policy (``CONTENT_SECURITY_POLICY`` in
  settings) with ``frame-ancestors`` following the X-Frame-Options the view chose, and the
  few exceptions the Wagtail admin needs, each with its reason.
- ``PrivateCacheControlMiddleware``: ``Cache-Control: private, no-store`` on every response
  to a signed-in request and on every file download.
- ``AbsoluteSessionLifetimeMiddleware``: a session ends ``SESSION_ABSOLUTE_HOURS`` after
  sign-in, however active it has been (the idle timeout is Django's session expiry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.constants import NONE, SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

# The session key holding the sign-in time (seconds since the epoch), set by
# lms.receivers.record_sign_in_time.
SIGNED_IN_AT = "lms_signed_in_at"

# Where the Wagtail admin needs more than the portal's policy, and why. Measured with
# tests/lms/test_browser_csp.py against Wagtail 8.0 (without these, the page explorer and the
# page editor report violations); nothing outside /admin/ is loosened.
WAGTAIL_ADMIN_PREFIX = "/admin/"
WAGTAIL_ADMIN_ADDITIONS: dict[str, list[str]] = {
    # Wagtail writes inline <script> elements into its pages, with neither a nonce nor a
    # fixed hash: each InlinePanel and multiple-chooser panel (the course editor has them),
    # the date and time widgets, and the page explorer's listing.
    "script-src": [SELF, "'unsafe-inline'"],
    # The page editor's JavaScript inserts <style> elements.
    "style-src": [SELF, "'unsafe-inline'"],
}

# Headers by which a view hands a private file to the web server or the browser.
FILE_HEADERS = ("Content-Disposition", "X-Accel-Redirect", "X-Sendfile")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp with frame-ancestors from X-Frame-Options and the admin's exceptions.

    Listed above XFrameOptionsMiddleware, so the response it sees already carries the
    X-Frame-Options header: DENY everywhere except the views that chose SAMEORIGIN, which
    get ``frame-ancestors 'self'``, as do Wagtail's previews (framed by the editor).
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update: dict[str, Any] = dict(parts.update or {})
        if request.path_info.startswith(WAGTAIL_ADMIN_PREFIX):
            for directive, sources in WAGTAIL_ADMIN_ADDITIONS.items():
                update[directive] = [*update.get(directive, []), *sources]
        framing = response.get("X-Frame-Options", "").upper()
        # Wagtail renders a preview by running a made-up request (is_dummy) through the whole
        # middleware chain inside its preview view, which says SAMEORIGIN only afterwards; the
        # policy written on that inner pass is the one the browser gets.
        framed_preview = getattr(request, "is_dummy", False)
        parts.replace = {
            **(parts.replace or {}),
            "frame-ancestors": [SELF] if framing == "SAMEORIGIN" or framed_preview else [NONE],
        }
        parts.update = update or None
        return parts


def _is_file_download(response: HttpResponseBase) -> bool:
    return isinstance(response, FileResponse) or any(
        response.has_header(header) for header in FILE_HEADERS
    )


def _is_signed_in(request: HttpRequest) -> bool:
    # A token request carries the Authorization header whether or not the token turned
    # out valid; DRF puts a token's user on the request as well.
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivateCacheControlMiddleware:
    """No browser or proxy keeps a copy of a page with personal data or of a download.

    The rule is deliberately wide: any response to a signed-in request (session or API
    token) and any file download, unless the view chose its own Cache-Control. Anonymous
    pages (catalogue, verification form) stay cacheable; static files never reach here
    (whitenoise answers them first).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if _is_signed_in(request) or _is_file_download(response):
            response["Cache-Control"] = "private, no-store"
        return response


class AbsoluteSessionLifetimeMiddleware:
    """Sign out a session SESSION_ABSOLUTE_HOURS after its sign-in, however busy it is.

    The idle timeout alone would let a session that sends a request every few minutes
    (an open lesson's heartbeat does) live for ever (ASVS 3.3.2). Below MessageMiddleware,
    so the sign-in page can say why.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if not isinstance(signed_in_at, int | float):
                # A session from before this rule existed: its clock starts now.
                request.session[SIGNED_IN_AT] = int(now)
            elif now - signed_in_at >= settings.SESSION_ABSOLUTE_HOURS * 3600:
                return self._sign_out(request)
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest) -> HttpResponseBase:
        logout(request)
        if request.path_info.startswith("/api/"):
            # An API client gets the API's own 403 for a signed-out request, not a page.
            return self.get_response(request)
        messages.info(
            request,
            _(
                "You have been signed out because you signed in more than %(hours)d hours "
                "ago. Please sign in again."
            )
            % {"hours": settings.SESSION_ABSOLUTE_HOURS},
        )
        return redirect_to_login(request.get_full_path())
