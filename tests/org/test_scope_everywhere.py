"""An HR officer of one city, on every HR and staff page, statistic, file and admin view,
finds nothing of another city: a 404 for its objects, and not a trace of it in any body.

Runs on both legs; the services leg runs it on PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from certificates import services as certificate_services
from courses import services as courses_services
from courses.models import CreditRecord
from exams import services as exam_services
from org import services
from org.selectors import visible_people
from tests import factories

NINGBO_NAME = "宁波甬江人"
NINGBO_NUMBER = "NB-7731"
NINGBO_STEM = "宁波专属试题：政务云的三级等保测评周期是多久？"


@pytest.fixture
def ningbo(tree, django_capture_on_commit_callbacks):
    """Everything a Ningbo officer's people leave behind: enrolment, credits, an attempt at
    an unpublished exam and one at a published exam only they took, a certificate, a plan
    and a bulk ZIP job."""
    officer = factories.person_create(unit=tree.ningbo, real_name="宁波人事", username="nbhr")
    services.role_grant(person=officer, role="hr_officer", org_unit=tree.ningbo)
    person = factories.person_create(
        unit=tree.ningbo_data_bureau,
        real_name=NINGBO_NAME,
        employee_number=NINGBO_NUMBER,
        password=None,
    )
    course = factories.course_create(title="宁波数据安全专题", hours="2.0", lessons=1)
    certificate = factories.certificate_for(factories.course_complete(person=person, course=course))
    courses_services.credit_record_offline(
        person=person,
        hours=Decimal("3.0"),
        reason="宁波线下培训班",
        awarded_on=date.today(),
        reference="NB-2026-01",
        entered_by=officer,
    )
    category = factories.question_category(name="宁波题库")
    question = factories.question_single(category, stem=NINGBO_STEM)
    published = factories.exam_create(questions=[question])
    hidden = factories.exam_create(questions=[question])
    attempts = []
    for exam, title in ((published, "宁波公开考试"), (hidden, "宁波内部考试")):
        exam.title = title
        exam.save(update_fields=["title"])
        attempt = exam_services.attempt_start(exam=exam, person=person)
        exam_services.answer_save(attempt=attempt, position=1, response="c")
        attempts.append(exam_services.attempt_submit(attempt=attempt))
    hidden.is_published = False
    hidden.save(update_fields=["is_published"])
    with django_capture_on_commit_callbacks(execute=True):
        plan = courses_services.training_plan_create(
            created_by=officer,
            name="宁波市年度培训计划",
            org_unit=tree.ningbo,
            credit_year=date.today().year,
            due_date=date(date.today().year, 12, 31),
            courses=[course],
        )
    job = certificate_services.bulk_job_create(
        kind="zip", requested_by=officer, visible=visible_people(officer.user), org_unit=tree.ningbo
    )
    certificate_services.bulk_zip_build(job=job, visible=visible_people(officer.user))
    return {
        "person": person,
        "certificate": certificate,
        "published": published,
        "hidden": hidden,
        "attempts": attempts,
        "plan": plan,
        "job": job,
        "course": course,
    }


def _clean(response) -> str:
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode(errors="replace")
    for trace in (NINGBO_NAME, NINGBO_NUMBER, NINGBO_STEM, "宁波市年度培训计划", "宁波线下培训班"):
        # What the officer typed comes back in its own input field (and in the language
        # switcher's return address), and only there.
        echoed = body.replace(f'value="{trace}"', "").replace(f"?q={trace}", "")
        assert trace not in echoed, (
            response.request["PATH_INFO"],
            trace,
        )
    return body


def test_lists_and_figures_show_nothing_of_another_city(client, hangzhou_hr, ningbo):
    client.force_login(hangzhou_hr.user)

    for url in (
        "/hr/plans/",
        "/hr/certificates/",
        f"/hr/certificates/?q={NINGBO_NAME}",
        f"/hr/certificates/?q={NINGBO_NUMBER}",
        f"/hr/certificates/?q={ningbo['certificate'].serial}",
        "/hr/offline-credit/",
        "/admin/exams/results/",
        f"/admin/exams/results/{ningbo['published'].pk}/",
        "/audit/",
        f"/audit/?q={NINGBO_NAME}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _clean(response)

    # The published exam's page exists, but nothing on it comes from Ningbo's answers.
    results = _clean(client.get(f"/admin/exams/results/{ningbo['published'].pk}/"))
    assert "宁波公开考试" in results
    # The unpublished one is not even listed.
    assert "宁波内部考试" not in _clean(client.get("/admin/exams/results/"))


def test_objects_of_another_city_are_404_with_nothing_in_the_body(client, hangzhou_hr, ningbo):
    client.force_login(hangzhou_hr.user)
    certificate, job = ningbo["certificate"], ningbo["job"]

    for url in (
        f"/hr/plans/{ningbo['plan'].pk}/",
        f"/hr/certificates/jobs/{job.pk}/",
        f"/hr/certificates/jobs/{job.pk}/?format=json",
        f"/hr/certificates/jobs/{job.pk}/zip/",
        f"/admin/exams/results/{ningbo['hidden'].pk}/",
        f"/admin/exams/attempts/{ningbo['attempts'][0].public_id}/",
        f"/certificates/{certificate.code}/download/",
        "/admin/exams/grading/",
        "/django-admin/",
        "/django-admin/org/person/",
        f"/django-admin/org/person/{ningbo['person'].pk}/change/",
        "/django-admin/axes/accessattempt/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        _clean(response)

    for url, data in (
        (f"/hr/certificates/{certificate.pk}/revoke/", {"reason": "越权"}),
        (f"/hr/certificates/{certificate.pk}/reissue/", {"reason": "越权"}),
        (f"/hr/certificates/jobs/{job.pk}/cancel/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    certificate.refresh_from_db()
    job.refresh_from_db()
    assert certificate.status == "issued" and job.status == "done"


def test_forms_cannot_reach_another_city(client, hangzhou_hr, ningbo, tree):
    client.force_login(hangzhou_hr.user)
    before = CreditRecord.objects.count()

    credit = client.post(
        "/hr/offline-credit/",
        {
            "employee_number": NINGBO_NUMBER,
            "hours": "8",
            "reason": "越权补录",
            "awarded_on": date.today().isoformat(),
            "reference": "",
        },
    )
    plan = client.post(
        "/hr/plans/",
        {
            "name": "越权计划",
            "org_unit": tree.ningbo.pk,
            "credit_year": date.today().year,
            "due_date": date(date.today().year, 12, 31).isoformat(),
            "courses": [ningbo["course"].pk],
            "mandatory": "on",
        },
    )
    bulk = client.post("/hr/certificates/", {"kind": "zip", "org_unit": tree.ningbo.pk})

    for response in (credit, plan, bulk):
        assert response.status_code == 200  # the form again, with its error
        _clean(response)
    assert CreditRecord.objects.count() == before
    assert not ningbo["plan"].__class__.objects.filter(name="越权计划").exists()


def test_learners_and_trainers_find_no_hr_page(client, learner, tree, ningbo):
    trainer = factories.person_create(unit=tree.provincial_hr_department, username="trainer1")
    services.role_grant(person=trainer, role="trainer")
    for user in (learner.user, trainer.user):
        client.force_login(user)
        for url in (
            "/hr/plans/",
            "/hr/certificates/",
            "/hr/offline-credit/",
            f"/hr/plans/{ningbo['plan'].pk}/",
            "/audit/",
            "/django-admin/",
        ):
            response = client.get(url)
            assert response.status_code == 404, (user.username, url)
            _clean(response)
