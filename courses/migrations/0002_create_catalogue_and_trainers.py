"""The course catalogue page under the home page, and what the Trainers group may do.

Trainers author courses and lessons in the catalogue's section only (add, edit, publish,
lock pages there), upload images and documents, manage course categories, and reach the
Wagtail admin.
"""

from django.db import migrations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP = 4


def _encode(number):
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEP, "0")


def create(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    Page = apps.get_model("wagtailcore.Page")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    HomePage = apps.get_model("lms.HomePage")
    CourseIndexPage = apps.get_model("courses.CourseIndexPage")

    home = HomePage.objects.order_by("path").first()
    if home is None:
        return
    catalogue = CourseIndexPage.objects.first()
    if catalogue is None:
        children = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
        last = children.order_by("-path").values_list("path", flat=True).first()
        number = int(last[-STEP:], 36) + 1 if last else 1
        content_type, _ = ContentType.objects.get_or_create(
            app_label="courses", model="courseindexpage"
        )
        catalogue = CourseIndexPage.objects.create(
            title="课程中心",
            draft_title="课程中心",
            slug="courses",
            content_type=content_type,
            path=home.path + _encode(number),
            depth=home.depth + 1,
            numchild=0,
            url_path=f"{home.url_path}courses/",
            locale_id=home.locale_id,
            live=True,
            intro="<p>面向全省公务员的信息技术与电子政务课程。选择课程开始学习，完成后自动记入年度学时。</p>",
        )
        home.numchild = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).count()
        home.save(update_fields=["numchild"])

    trainers, _ = Group.objects.get_or_create(name="Trainers")
    wanted = [
        ("wagtailadmin", "access_admin"),
        ("wagtailcore", "add_page"),
        ("wagtailcore", "change_page"),
        ("wagtailcore", "publish_page"),
        ("wagtailcore", "lock_page"),
    ]
    by_code = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=[
                "wagtailadmin",
                "wagtailcore",
                "wagtailimages",
                "wagtaildocs",
                "courses",
            ]
        )
    }
    for key in [
        ("wagtailadmin", "access_admin"),
        ("courses", "add_coursecategory"),
        ("courses", "change_coursecategory"),
        ("courses", "delete_coursecategory"),
    ]:
        if key in by_code:
            trainers.permissions.add(by_code[key])
    for key in wanted[1:]:
        if key in by_code:
            GroupPagePermission.objects.get_or_create(
                group=trainers, page_id=catalogue.pk, permission=by_code[key]
            )
    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for app, model in (("wagtailimages", "image"), ("wagtaildocs", "document")):
            for action in ("add", "change", "choose"):
                permission = by_code.get((app, f"{action}_{model}"))
                if permission is not None:
                    GroupCollectionPermission.objects.get_or_create(
                        group=trainers, collection=root_collection, permission=permission
                    )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_initial"),
        ("lms", "0002_create_homepage"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
