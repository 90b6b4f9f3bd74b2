"""What org does when Django's authentication reports an event (connected in OrgConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from org import services


@receiver(user_logged_out, dispatch_uid="org.api_tokens_revoke_on_sign_out")
def api_tokens_revoke_on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing out ends every API token of the user too.

    Done here and now, not in a task on commit like our other receivers: a token that still
    works after the owner signed out is the hole this closes.
    """
    if user is None or not user.is_authenticated:
        return
    services.user_tokens_revoke(user=user, reason="sign-out")
