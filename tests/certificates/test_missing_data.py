"""Every certificate page renders whatever an HR officer's bulk jobs were started for and
whatever data is missing (no template, no exam, no completion date): never a 500."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from certificates import selectors
from certificates.models import BulkJob, BulkJobKind, Certificate, CertificateTemplate
from courses import services as courses_services
from tests import factories


@pytest.fixture
def course(db: Any) -> Any:
    return factories.course_create(title="保密教育", hours="2.0", lessons=1)


@pytest.fixture
def plan(tree: Any, xihu_hr: Any, course: Any) -> Any:
    return courses_services.training_plan_create(
        name="2026年度保密培训",
        org_unit=tree.xihu,
        credit_year=2026,
        due_date=date(2026, 12, 31),
        courses=[course],
        created_by=xihu_hr,
    )


def _jobs(tree: Any, hr: Any, plan: Any, course: Any) -> list[BulkJob]:
    jobs = []
    scopes = [{"org_unit": tree.xihu}, {"training_plan": plan}]
    for kind, scope, only in itertools.product(BulkJobKind.values, scopes, [None, course]):
        jobs.append(BulkJob.objects.create(kind=kind, requested_by=hr, course=only, **scope))
    return jobs


def test_the_hr_page_and_every_job_page_render_for_every_kind_of_bulk_job(
    client, tree, xihu_hr, plan, course
):
    jobs = _jobs(tree, xihu_hr, plan, course)
    client.force_login(xihu_hr.user)

    page = client.get("/hr/certificates/")

    assert page.status_code == 200
    html = page.content.decode()
    for job in jobs[-10:]:  # the page lists the latest ten
        assert selectors.bulk_job_description(job).split(" · ")[1] in html
        job_page = client.get(f"/hr/certificates/jobs/{job.pk}/")
        assert job_page.status_code == 200
        assert selectors.bulk_job_description(job) in job_page.content.decode()


def test_a_job_description_is_one_plain_line_naming_the_target(tree, xihu_hr, plan, course):
    with translation.override("en"):
        by_unit = BulkJob(kind="zip", requested_by=xihu_hr, org_unit=tree.xihu)
        by_plan = BulkJob(kind="issue", requested_by=xihu_hr, training_plan=plan, course=course)
        neither = BulkJob(kind="reissue", requested_by=xihu_hr)
        assert selectors.bulk_job_description(by_unit) == (
            f"Download as ZIP · {tree.xihu.name} and everything below it · all courses"
        )
        assert selectors.bulk_job_description(by_plan) == (
            f"Issue missing certificates · training plan “{plan.name}” · only “保密教育”"
        )
        assert "no unit or training plan recorded" in selectors.bulk_job_description(neither)


def test_a_certificate_without_any_template_is_issued_and_shown(client, learner, course):
    CertificateTemplate.objects.all().delete()

    certificate = factories.certificate_for(
        factories.course_complete(person=learner, course=course)
    )

    assert certificate.status == "issued" and certificate.template is None
    assert client.get(f"/verify/{certificate.code}/").status_code == 200
    client.force_login(learner.user)
    assert client.get("/certificates/").status_code == 200
    download = client.get(f"/certificates/{certificate.code}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_pages_say_plainly_when_the_completion_date_is_not_recorded(
    client, learner, xihu_hr, course
):
    certificate = factories.certificate_for(
        factories.course_complete(person=learner, course=course)
    )
    Certificate.objects.filter(pk=certificate.pk).update(completed_on=None, basis="")

    with translation.override("zh-hans"):
        missing = gettext("not recorded")
    public = client.get(f"/verify/{certificate.code}/")
    assert public.status_code == 200 and missing in public.content.decode()
    client.force_login(learner.user)
    mine = client.get("/certificates/")
    assert mine.status_code == 200 and missing in mine.content.decode()
    client.force_login(xihu_hr.user)
    assert client.get("/hr/certificates/").status_code == 200
