"""Certificates keep the day the course was completed and what its rule asked for (lessons,
or lessons and the exam), so every page and PDF states them truly (certificates/wording.py).

Certificates issued before are filled in from the ledger (the course's credit record of the
cycle) or the enrolment; the basis is the exam only where the course asked for one and the
enrolment records it passed. A certificate with neither keeps no completion date.
"""

from zoneinfo import ZoneInfo

from django.db import migrations, models

SHANGHAI = ZoneInfo("Asia/Shanghai")


def backfill(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    Enrolment = apps.get_model("courses", "Enrolment")
    CreditRecord = apps.get_model("courses", "CreditRecord")
    CoursePage = apps.get_model("courses", "CoursePage")
    rules = dict(CoursePage.objects.values_list("pk", "completion_rule"))
    for certificate in Certificate.objects.filter(completed_on__isnull=True).iterator():
        enrolment = Enrolment.objects.filter(
            person_id=certificate.person_id,
            course_id=certificate.course_id,
            completed_at__isnull=False,
        ).first()
        credited = (
            CreditRecord.objects.filter(
                person_id=certificate.person_id,
                course_id=certificate.course_id,
                credit_year=certificate.cycle,
                source="course",
            )
            .order_by("awarded_at")
            .values_list("awarded_at", flat=True)
            .first()
        )
        completed_at = credited
        if completed_at is None and enrolment is not None:
            if enrolment.completed_at.astimezone(SHANGHAI).year == certificate.cycle:
                completed_at = enrolment.completed_at
        exam = (
            rules.get(certificate.course_id) == "lessons_and_exam"
            and enrolment is not None
            and enrolment.exam_passed_at is not None
        )
        Certificate.objects.filter(pk=certificate.pk).update(
            completed_on=completed_at.astimezone(SHANGHAI).date() if completed_at else None,
            basis="lessons_and_exam" if exam else "lessons",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_private_files"),
        ("courses", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="basis",
            field=models.CharField(
                choices=[("lessons", "Lessons"), ("lessons_and_exam", "Lessons and exam")],
                default="lessons",
                max_length=20,
                verbose_name="issued for",
            ),
        ),
        migrations.AddField(
            model_name="certificate",
            name="completed_on",
            field=models.DateField(blank=True, null=True, verbose_name="completed on"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
