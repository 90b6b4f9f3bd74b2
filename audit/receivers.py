"""Events recorded from other libraries' signals: sign-in and sign-out (django.contrib.auth),
lockouts (django-axes), and the Wagtail admin's own log (copied into the chain)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from wagtail.models import ModelLogEntry, PageLogEntry

from audit.http import client_ip
from audit.services import audit_record, audit_record_fields


def _ip(request: HttpRequest | None) -> str | None:
    return None if request is None else client_ip(request)


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(
        action="auth.login",
        obj=user,
        actor_user_id=user.pk,
        actor_label=user.get_username(),
        ip=_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django masks the password in ``credentials``; only the username tried is kept anyway.
    tried = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed",
        after={"username": tried},
        actor_label="",
        ip=_ip(request),
        note=tried,
    )


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def record_lockout(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    tried = (username or "")[:150]
    audit_record(
        action="auth.lockout",
        after={"username": tried, "ip_address": ip_address or ""},
        ip=ip_address or _ip(request),
        note=tried,
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(
    sender: Any, request: HttpRequest | None, user: Any = None, **kwargs: Any
) -> None:
    if user is None:  # the session had already ended: nobody signed out
        return
    audit_record(
        action="auth.logout",
        obj=user,
        actor_user_id=user.pk,
        actor_label=user.get_username(),
        ip=_ip(request),
    )


@receiver(post_save, sender=ModelLogEntry, dispatch_uid="audit_wagtail_model_log")
@receiver(post_save, sender=PageLogEntry, dispatch_uid="audit_wagtail_page_log")
def record_wagtail_log_entry(
    sender: Any, instance: ModelLogEntry | PageLogEntry, created: bool, **kwargs: Any
) -> None:
    """Copy an entry of Wagtail's own log (pages, snippets, images, users) into the trail."""
    if not created:
        return
    user = instance.user if instance.user_id else None
    content_type = instance.content_type if instance.content_type_id else None
    object_id = instance.page_id if isinstance(instance, PageLogEntry) else instance.object_id
    audit_record_fields(
        action="admin.wagtail",
        object_type="" if content_type is None else content_type_label(content_type),
        object_id=str(object_id),
        object_label=instance.label,
        actor_user_id=instance.user_id,
        actor_label=user.get_username() if user is not None else "",
        after={"wagtail_action": instance.action, "data": instance.data or {}},
        note=instance.action,
    )


def content_type_label(content_type: Any) -> str:
    return f"{content_type.app_label}.{content_type.model}"
