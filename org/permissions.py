"""Granting model permissions to role groups (Trainers), for data migrations of every app."""

from __future__ import annotations

from typing import Any


def grant_model_permissions(
    apps: Any, *, group: str, app_label: str, models: list[str], actions: tuple[str, ...]
) -> None:
    """Give a group permissions on an app's models, creating the permissions first.

    Django creates permissions after all migrations have run; a migration that grants them
    must create them itself.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    target, _ = Group.objects.get_or_create(name=group)
    codenames = [f"{action}_{model}" for model in models for action in actions]
    target.permissions.add(
        *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
