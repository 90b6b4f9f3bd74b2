"""HR officers manage certificates of their own subtree: revoke, re-issue, bulk, ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest

from certificates.models import BulkJob, Certificate
from courses import services as courses_services
from tests import factories


@pytest.fixture
def course(db):
    return factories.course_create(title="保密教育", hours="2.0", lessons=1)


def _issued(unit, name, course):
    person = factories.person_create(unit=unit, real_name=name, password=None)
    enrolment = factories.course_complete(person=person, course=course)
    return factories.certificate_for(enrolment)


def test_hr_officers_see_and_act_on_their_subtree_only(client, tree, xihu_hr, course):
    inside = _issued(tree.xihu_it_section, "西湖学员", course)
    outside = _issued(tree.ningbo_data_bureau, "宁波学员", course)
    client.force_login(xihu_hr.user)

    page = client.get("/hr/certificates/").content.decode()
    assert "西湖学员" in page and "宁波学员" not in page

    refused = client.post(
        f"/hr/certificates/{outside.pk}/revoke/", {"reason": "越权操作"}, follow=False
    )
    assert refused.status_code == 404
    outside.refresh_from_db()
    assert outside.status == "issued"

    client.post(f"/hr/certificates/{inside.pk}/revoke/", {"reason": "学时记录有误"})
    inside.refresh_from_db()
    assert inside.status == "revoked" and inside.revoked_by == xihu_hr


def test_revoking_without_a_reason_is_refused_with_a_message(client, tree, xihu_hr, course):
    certificate = _issued(tree.xihu_it_section, "西湖学员", course)
    client.force_login(xihu_hr.user)

    response = client.post(
        f"/hr/certificates/{certificate.pk}/revoke/", {"reason": ""}, follow=True
    )

    assert "请填写撤销原因" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "issued"


def test_learners_do_not_reach_hr_pages(client, learner):
    client.force_login(learner.user)
    assert client.get("/hr/certificates/").status_code == 404


def test_bulk_issue_over_a_subtree_fills_the_gaps_and_reports_progress(
    client, tree, xihu_hr, course, django_capture_on_commit_callbacks, eager_tasks
):
    # Completions whose certificate never came (say, a lost message), inside and outside.
    people = [
        factories.person_create(unit=tree.xihu_it_section, real_name=f"学员{i}", password=None)
        for i in range(3)
    ]
    stranger = factories.person_create(unit=tree.ningbo_data_bureau, password=None)
    for person in [*people, stranger]:
        enrolment = courses_services.enrolment_create(
            person=person, course=course, source="elective"
        )
        type(enrolment).objects.filter(pk=enrolment.pk).update(
            status="completed", completed_at=enrolment.enrolled_at
        )
    already = _issued(tree.xihu_it_section, "已有证书", course)
    client.force_login(xihu_hr.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/hr/certificates/", {"kind": "issue", "org_unit": tree.xihu.pk})
    response = client.get(response.url)

    job = BulkJob.objects.get()
    assert response.request["PATH_INFO"] == f"/hr/certificates/jobs/{job.pk}/"
    assert job.status == "done" and job.total == 4 and job.done == 4 and job.failed == 0
    assert "100%" in response.content.decode()
    assert Certificate.objects.filter(person__in=people, status="issued").count() == 3
    assert not Certificate.objects.filter(person=stranger).exists()
    assert Certificate.objects.filter(person=already.person).count() == 1
    state = client.get(f"/hr/certificates/jobs/{job.pk}/", {"format": "json"}).json()
    assert state["percent"] == 100 and state["finished"] is True


def test_a_unit_outside_the_officers_scope_cannot_be_chosen(client, tree, xihu_hr, course):
    client.force_login(xihu_hr.user)

    response = client.post("/hr/certificates/", {"kind": "issue", "org_unit": tree.ningbo.pk})

    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not BulkJob.objects.exists()


def test_the_zip_holds_every_issued_certificate_in_scope(
    client, tree, xihu_hr, course, django_capture_on_commit_callbacks, eager_tasks
):
    for index in range(3):
        _issued(tree.xihu_it_section, f"学员{index}", course)
    _issued(tree.ningbo_data_bureau, "宁波学员", course)
    client.force_login(xihu_hr.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/hr/certificates/", {"kind": "zip", "org_unit": tree.xihu.pk})
    job = BulkJob.objects.get()
    assert job.status == "done"
    download = client.get(f"/hr/certificates/jobs/{job.pk}/zip/")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert len(names) == 3
    assert all(name.endswith(".pdf") and "宁波" not in name for name in names)
    assert archive.read(names[0]).startswith(b"%PDF-")
    # Someone else's job is not theirs to download.
    client.force_login(factories.person_create(unit=tree.xihu, username="other").user)
    assert client.get(f"/hr/certificates/jobs/{job.pk}/zip/").status_code == 404


def test_bulk_reissue_replaces_each_certificate_once(
    client, tree, xihu_hr, course, django_capture_on_commit_callbacks, eager_tasks
):
    olds = [_issued(tree.xihu_it_section, f"学员{i}", course) for i in range(2)]
    client.force_login(xihu_hr.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/hr/certificates/", {"kind": "reissue", "org_unit": tree.xihu.pk})

    for old in olds:
        old.refresh_from_db()
        assert old.status == "superseded"
        assert old.replaced_by.status == "issued"
    assert Certificate.objects.filter(status="issued").count() == 2
