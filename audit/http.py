"""The request facts that security decisions and the audit trail rest on."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address our own proxies put in X-Forwarded-For.

    Only the last TRUSTED_PROXY_COUNT hops are believed; anything further left in the header
    was written by the client and could be forged to dodge the login lockout or to put a
    false address in the audit trail.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
