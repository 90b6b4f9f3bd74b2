"""Wagtail's default moderation workflow and its task in Chinese.

wagtailcore's migration 0048 creates them as data, named after the group: "Moderators
approval", which the admin then shows inside Chinese sentences ("提交给Moderators approval").
Only rows still carrying Wagtail's English name are renamed, so an editor's own name stays.
"""

from django.db import migrations

NAMES = {"Moderators approval": "审核员审批"}


def rename(apps, schema_editor, names):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    for old, new in names.items():
        Workflow.objects.filter(name=old).update(name=new)
        Task.objects.filter(name=old).update(name=new)


def to_chinese(apps, schema_editor):
    rename(apps, schema_editor, NAMES)


def to_english(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in NAMES.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0002_create_homepage"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]

    operations = [migrations.RunPython(to_chinese, to_english)]
