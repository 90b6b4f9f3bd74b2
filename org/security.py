"""Request facts that security decisions rest on."""

from __future__ import annotations

from django.http import HttpRequest

from audit import http


def client_ip(request: HttpRequest) -> str:
    """The client's address, by the one rule in audit.http (the lockout and the audit trail
    must agree on who is asking): REMOTE_ADDR, or what our own proxies put in
    X-Forwarded-For."""
    return http.client_ip(request)
