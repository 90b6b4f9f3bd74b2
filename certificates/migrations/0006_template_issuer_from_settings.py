"""A template's issuer and serial prefix may be left empty for the portal's own
(CERTIFICATE_ISSUER, CERTIFICATE_SERIAL_PREFIX); the default template, created with the
Zhejiang values hard-coded, now follows the settings, and its body (if nobody changed it)
states the completion date and what the course's rule asked for instead of always
"经考核合格" on the date of issue."""

import django.core.validators
from django.db import migrations, models

OLD_ISSUER = "浙江省公务员网络学院"
OLD_PREFIX = "ZJ"
OLD_BODY = (
    "{name}同志：\n"
    "于{date}完成《{course}》课程的学习，经考核合格，计{hours}。\n"
    "特发此证，以资证明。"
)
NEW_BODY = (
    "{name}同志：\n"
    "参加《{course}》课程培训，于{completed}{achievement}，计{hours}。\n"
    "特发此证，以资证明。"
)


def forwards(apps, schema_editor):
    CertificateTemplate = apps.get_model("certificates", "CertificateTemplate")
    default = CertificateTemplate.objects.filter(course__isnull=True)
    default.filter(issuer=OLD_ISSUER).update(issuer="")
    default.filter(serial_prefix=OLD_PREFIX).update(serial_prefix="")
    default.filter(body=OLD_BODY).update(body=NEW_BODY)


def backwards(apps, schema_editor):
    CertificateTemplate = apps.get_model("certificates", "CertificateTemplate")
    default = CertificateTemplate.objects.filter(course__isnull=True)
    default.filter(issuer="").update(issuer=OLD_ISSUER)
    default.filter(serial_prefix="").update(serial_prefix=OLD_PREFIX)
    default.filter(body=NEW_BODY).update(body=OLD_BODY)


class Migration(migrations.Migration):
    dependencies = [("certificates", "0005_certificate_completion_facts")]

    operations = [
        migrations.AlterField(
            model_name="certificatetemplate",
            name="issuer",
            field=models.CharField(
                blank=True,
                help_text="Leave empty for the portal's issuing body (the CERTIFICATE_ISSUER "
                "setting).",
                max_length=120,
                verbose_name="issuing body",
            ),
        ),
        migrations.AlterField(
            model_name="certificatetemplate",
            name="serial_prefix",
            field=models.CharField(
                blank=True,
                help_text="Serial numbers read PREFIX-YEAR-NUMBER, e.g. ZJ-2026-000123. Leave "
                "empty for the portal's prefix (the CERTIFICATE_SERIAL_PREFIX setting).",
                max_length=8,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z]{1,8}$", "One to eight capital letters."
                    )
                ],
                verbose_name="serial prefix",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
