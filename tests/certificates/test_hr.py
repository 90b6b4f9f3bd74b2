"""HR officers manage certificates of their own subtree: revoke, re-issue, bulk, ZIP."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta

import pytest

from certificates import services
from certificates.models import BulkJob, Certificate
from certificates.tasks import bulk_job_start_task
from courses import services as courses_services
from org.selectors import visible_people
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
    assert "已打包 3 / 3 张证书" in client.get(f"/hr/certificates/jobs/{job.pk}/").content.decode()
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


def _completed(unit, count, course):
    """People whose course completed but whose certificate never came."""
    people = []
    for index in range(count):
        person = factories.person_create(unit=unit, real_name=f"待发{index}", password=None)
        enrolment = courses_services.enrolment_create(
            person=person, course=course, source="elective"
        )
        type(enrolment).objects.filter(pk=enrolment.pk).update(
            status="completed", completed_at=enrolment.enrolled_at
        )
        people.append(person)
    return people


def test_a_cancelled_job_issues_nothing_more(client, tree, xihu_hr, course):
    _completed(tree.xihu_it_section, 3, course)
    client.force_login(xihu_hr.user)
    response = client.post("/hr/certificates/", {"kind": "issue", "org_unit": tree.xihu.pk})
    job = BulkJob.objects.get()
    assert response.url == f"/hr/certificates/jobs/{job.pk}/"
    assert "取消任务" in client.get(response.url).content.decode()

    page = client.post(f"/hr/certificates/jobs/{job.pk}/cancel/", follow=True)

    assert "任务已取消" in page.content.decode()
    job.refresh_from_db()
    assert job.status == "cancelled" and job.finished_at is not None
    # The worker picks the job up only now: it must not split it, and a slice already
    # queued must do nothing.
    assert bulk_job_start_task(job.pk) == 0
    assert services.bulk_chunk_run(job=job, index=0, ids=job_targets(job, xihu_hr)).done == 0
    assert not Certificate.objects.exists()
    job.refresh_from_db()
    assert job.status == "cancelled"
    state = client.get(f"/hr/certificates/jobs/{job.pk}/", {"format": "json"}).json()
    assert state["finished"] is True and state["status"] == "cancelled"
    assert "取消任务" not in client.get(f"/hr/certificates/jobs/{job.pk}/").content.decode()


def job_targets(job, officer):
    return services.bulk_job_targets(job=job, visible=visible_people(officer.user))


def test_a_slice_running_when_the_job_is_cancelled_is_still_counted(tree, xihu_hr, course):
    _completed(tree.xihu_it_section, 2, course)
    job = services.bulk_job_create(
        kind="issue",
        requested_by=xihu_hr,
        visible=visible_people(xihu_hr.user),
        org_unit=tree.xihu,
        course=course,
    )
    ids = job_targets(job, xihu_hr)
    services.bulk_chunk_run(job=job, index=0, ids=ids[:1])
    services.bulk_job_cancel(job=job)

    services.bulk_chunk_run(job=job, index=1, ids=ids[1:])

    job.refresh_from_db()
    assert job.status == "cancelled" and job.done == 1
    assert Certificate.objects.count() == 1


def test_a_finished_job_cannot_be_cancelled_nor_someone_elses(
    client, tree, xihu_hr, course, django_capture_on_commit_callbacks, eager_tasks
):
    _issued(tree.xihu_it_section, "学员", course)
    client.force_login(xihu_hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/hr/certificates/", {"kind": "zip", "org_unit": tree.xihu.pk})
    job = BulkJob.objects.get()
    assert job.status == "done"

    page = client.post(f"/hr/certificates/jobs/{job.pk}/cancel/", follow=True)
    assert "该任务已经结束" in page.content.decode()
    job.refresh_from_db()
    assert job.status == "done" and job.result

    client.force_login(factories.person_create(unit=tree.xihu, username="other").user)
    assert client.post(f"/hr/certificates/jobs/{job.pk}/cancel/").status_code == 404


def test_a_zip_cancelled_while_it_is_built_is_not_kept(tree, xihu_hr, course):
    _issued(tree.xihu_it_section, "学员", course)
    job = services.bulk_job_create(
        kind="zip", requested_by=xihu_hr, visible=visible_people(xihu_hr.user), org_unit=tree.xihu
    )
    services.bulk_job_cancel(job=job)

    services.bulk_zip_build(job=job, visible=visible_people(xihu_hr.user))

    job.refresh_from_db()
    assert job.status == "cancelled" and not job.result


def test_zips_older_than_a_week_are_deleted_and_the_certificates_stay(
    client, tree, xihu_hr, course, django_capture_on_commit_callbacks, eager_tasks
):
    certificate = _issued(tree.xihu_it_section, "学员", course)
    client.force_login(xihu_hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/hr/certificates/", {"kind": "zip", "org_unit": tree.xihu.pk})
    job = BulkJob.objects.get()
    path, finished = job.result.path, job.finished_at
    assert finished is not None
    assert services.bulk_zips_expire(now=finished + timedelta(days=6)) == 0

    assert services.bulk_zips_expire(now=finished + timedelta(days=8)) == 1

    job.refresh_from_db()
    assert not job.result and not os.path.exists(path)
    assert "7" in job.message
    assert client.get(f"/hr/certificates/jobs/{job.pk}/zip/").status_code == 404
    assert "7 天后已删除" in client.get(f"/hr/certificates/jobs/{job.pk}/").content.decode()
    certificate.refresh_from_db()
    assert certificate.pdf and os.path.exists(certificate.pdf.path)
