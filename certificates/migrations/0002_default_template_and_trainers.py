"""A default certificate template, and trainers may edit templates in the Wagtail admin."""

from django.db import migrations

from org.permissions import grant_model_permissions

DEFAULT_BODY = (
    "{name}同志：\n"
    "于{date}完成《{course}》课程的学习，经考核合格，计{hours}。\n"
    "特发此证，以资证明。"
)


def forwards(apps, schema_editor):
    grant_model_permissions(
        apps,
        group="Trainers",
        app_label="certificates",
        models=["certificatetemplate"],
        actions=("add", "change", "delete", "view"),
    )
    CertificateTemplate = apps.get_model("certificates", "CertificateTemplate")
    if not CertificateTemplate.objects.filter(course__isnull=True).exists():
        CertificateTemplate.objects.create(
            name="默认结业证书",
            title="结业证书",
            body=DEFAULT_BODY,
            issuer="浙江省公务员网络学院",
            orientation="landscape",
            serial_prefix="ZJ",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_certificates_and_templates"),
        ("courses", "0002_create_catalogue_and_trainers"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
