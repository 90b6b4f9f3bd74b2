"""Certificate PDFs and bulk ZIPs are private files: never under MEDIA_ROOT, unguessable
names, handed out only by views that checked the owner or the scope."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from audit.models import AuditRecord
from certificates import services
from certificates.models import BulkJob
from org.selectors import visible_people
from tests import factories


@pytest.fixture
def course(db):
    return factories.course_create(title="保密教育", hours="2.0", lessons=1)


def _issued(unit, name, course, **kwargs):
    person = factories.person_create(unit=unit, real_name=name, password=None, **kwargs)
    enrolment = factories.course_complete(person=person, course=course)
    return factories.certificate_for(enrolment)


def _close_file(response):
    # The streamed file only: response.close() would also send request_finished, which
    # closes the test's database connection.
    for closer in response._resource_closers:
        closer()


def test_a_pdf_is_stored_privately_under_a_name_that_says_nothing(
    client, tree, course, media_root, private_root
):
    certificate = _issued(tree.xihu_it_section, "西湖学员", course)

    path = Path(certificate.pdf.path)
    assert path.is_relative_to(private_root) and path.exists()
    assert not any(media_root.rglob("*.pdf"))
    assert certificate.serial not in certificate.pdf.name
    assert certificate.code not in certificate.pdf.name
    # Nothing maps a URL onto the private folder, in DEBUG or not.
    assert client.get(f"/media/{certificate.pdf.name}").status_code == 404
    with pytest.raises(ValueError):
        certificate.pdf.url  # noqa: B018


def test_the_owner_downloads_the_pdf_and_nobody_else_does(client, tree, course):
    certificate = _issued(tree.xihu_it_section, "西湖学员", course, username="holder")
    url = f"/certificates/{certificate.code}/download/"

    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(factories.person_create(unit=tree.xihu_it_section, username="other").user)
    assert client.get(url).status_code == 404

    client.force_login(certificate.person.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert certificate.serial in response["Content-Disposition"]
    _close_file(response)


def test_a_revoked_certificate_is_withdrawn(
    client, tree, xihu_hr, course, django_capture_on_commit_callbacks
):
    certificate = _issued(tree.xihu_it_section, "西湖学员", course, username="holder")
    path = Path(certificate.pdf.path)

    client.force_login(xihu_hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/hr/certificates/{certificate.pk}/revoke/", {"reason": "学时记录有误"})

    certificate.refresh_from_db()
    assert certificate.status == "revoked" and not certificate.pdf
    assert not path.exists()
    client.force_login(certificate.person.user)
    assert client.get(f"/certificates/{certificate.code}/download/").status_code == 404
    # It still verifies, as revoked.
    verified = client.get(f"/verify/{certificate.code}/").content.decode()
    assert 'data-status="revoked"' in verified


def test_behind_nginx_the_proxy_sends_the_file(client, settings, tree, course):
    settings.PRIVATE_FILES_SERVER = "nginx"
    certificate = _issued(tree.xihu_it_section, "西湖学员", course, username="holder")
    client.force_login(certificate.person.user)

    response = client.get(f"/certificates/{certificate.code}/download/")

    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/private-files/{certificate.pdf.name}"
    assert "no-store" in response["Cache-Control"]


def test_zip_entries_never_leave_their_folder_whatever_people_are_called(
    client, tree, xihu_hr, course
):
    unit = factories.unit_create(parent=tree.xihu, name="../..\\C:/单位", kind="department")
    _issued(unit, "../../../../tmp/zipslip", course, employee_number="../../etc")
    _issued(tree.xihu_it_section, "<b>某某</b>/*?", course)
    job = services.bulk_job_create(
        kind="zip", requested_by=xihu_hr, visible=visible_people(xihu_hr.user), org_unit=tree.xihu
    )

    services.bulk_zip_build(job=job, visible=visible_people(xihu_hr.user))

    job.refresh_from_db()
    with job.result.open("rb") as result:
        names = zipfile.ZipFile(io.BytesIO(result.read())).namelist()
    assert len(names) == 2
    for name in names:
        folder, file = name.split("/")  # exactly one folder level
        assert folder and file.endswith(".pdf")
        assert ".." not in name and "\\" not in name and ":" not in name
        assert all(char.isprintable() for char in name)
    assert "zipslip" in "".join(names)  # the name is kept, made harmless
    assert Path(str(job.result.name)).stem != f"certificates-{job.pk}"  # not a sequential name
    assert len(Path(str(job.result.name)).stem) >= 32


def test_a_zip_is_downloaded_only_by_its_officer_and_the_download_is_audited(
    client, tree, xihu_hr, hangzhou_hr, course, django_capture_on_commit_callbacks, eager_tasks
):
    _issued(tree.xihu_it_section, "西湖学员", course)
    client.force_login(xihu_hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/hr/certificates/", {"kind": "zip", "org_unit": tree.xihu.pk})
    job = BulkJob.objects.get()
    url = f"/hr/certificates/jobs/{job.pk}/zip/"

    client.force_login(hangzhou_hr.user)  # an officer above, but not the one who asked
    assert client.get(url).status_code == 404
    assert not AuditRecord.objects.filter(action="download.bulk_zip").exists()

    client.force_login(xihu_hr.user)
    response = client.get(url)
    _close_file(response)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    record = AuditRecord.objects.get(action="download.bulk_zip")
    assert record.actor_user_id == xihu_hr.user.pk
    assert record.subject_path == tree.xihu.path
