"""Trainers manage the question bank and exams in the Wagtail admin."""

from django.db import migrations

MODELS = ["questioncategory", "question", "exam", "examquestion", "examdrawrule", "examoverride"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    trainers, _ = Group.objects.get_or_create(name="Trainers")
    codenames = [f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")]
    trainers.permissions.add(
        *Permission.objects.filter(content_type__app_label="exams", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("courses", "0002_create_catalogue_and_trainers"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
