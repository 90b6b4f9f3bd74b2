"""Exams that showed the answers after every attempt now show them after the last one.

"after_submit" was the default, and with several attempts allowed it gave the correct
answers away after the first: an exam with one attempt reviews exactly as before, one
with more keeps the answers back until the learner's attempts are used or the exam
closes. A trainer who wants answers after each attempt (a practice quiz) chooses it again.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    Exam.objects.filter(review_policy="after_submit").update(review_policy="after_last_attempt")


def backwards(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    Exam.objects.filter(review_policy="after_last_attempt").update(review_policy="after_submit")


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0004_review_policies"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
