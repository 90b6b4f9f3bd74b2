"""The credit-hour (学时) ledger: credit years in Shanghai time, targets, offline records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from courses import selectors, services
from courses.models import CreditRecord, CreditTarget, Enrolment
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def test_a_credit_at_2330_on_new_years_eve_in_shanghai_belongs_to_that_year():
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI)
    assert moment.astimezone(UTC).day == 31  # 15:30 UTC, still the same day there too
    assert services.credit_year_of(moment) == 2026


def test_a_credit_at_0030_on_new_years_day_in_shanghai_belongs_to_the_new_year():
    moment = datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)
    assert moment.astimezone(UTC).year == 2026  # still 2026 in UTC
    assert services.credit_year_of(moment) == 2027


def test_a_course_completed_late_on_new_years_eve_is_credited_to_that_year(learner):
    course = factories.course_create(hours="3.0")
    enrolment = services.enrolment_create(person=learner, course=course, source="elective")

    record = services.credit_award_course(
        enrolment=Enrolment.objects.select_related("course", "person").get(pk=enrolment.pk),
        awarded_at=datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI),
    )

    assert record is not None
    assert record.credit_year == 2026
    assert selectors.credit_summary(learner, year=2026).earned == Decimal("3.0")
    assert selectors.credit_summary(learner, year=2027).earned == Decimal("0")


def test_the_same_course_credits_again_in_a_new_year_but_never_twice_in_one(learner):
    course = factories.course_create(hours="2.0")
    enrolment = Enrolment.objects.select_related("course", "person").get(
        pk=services.enrolment_create(person=learner, course=course, source="elective").pk
    )
    award = services.credit_award_course

    assert award(enrolment=enrolment, awarded_at=datetime(2026, 3, 1, tzinfo=SHANGHAI))
    assert award(enrolment=enrolment, awarded_at=datetime(2026, 11, 1, tzinfo=SHANGHAI)) is None
    assert award(enrolment=enrolment, awarded_at=datetime(2027, 3, 1, tzinfo=SHANGHAI))
    assert sorted(CreditRecord.objects.values_list("credit_year", flat=True)) == [2026, 2027]


def test_the_most_specific_target_applies(tree, learner):
    CreditTarget.objects.create(org_unit=tree.province, credit_year=2026, hours=30)
    assert selectors.credit_target_for(learner, year=2026) == Decimal("30")

    CreditTarget.objects.create(org_unit=tree.xihu, credit_year=2026, hours=40)
    assert selectors.credit_target_for(learner, year=2026) == Decimal("40")

    CreditTarget.objects.create(org_unit=tree.xihu, rank=learner.rank, credit_year=2026, hours=45)
    assert selectors.credit_target_for(learner, year=2026) == Decimal("45")

    # A target for another subtree or year does not apply.
    CreditTarget.objects.create(org_unit=tree.binjiang, credit_year=2026, hours=99)
    CreditTarget.objects.create(org_unit=tree.xihu_it_section, credit_year=2025, hours=99)
    assert selectors.credit_target_for(learner, year=2026) == Decimal("45")


def test_without_a_target_the_platform_default_applies(learner):
    assert selectors.credit_target_for(learner, year=2026) == Decimal("50")


def test_hr_records_offline_training_with_an_audit_trail(learner, xihu_hr, caplog):
    caplog.set_level("INFO", logger="courses.audit")

    record = services.credit_record_offline(
        person=learner,
        hours=Decimal("4.0"),
        reason="省委党校电子政务专题培训班",
        awarded_on=date(2026, 5, 20),
        entered_by=xihu_hr,
        reference="浙党校〔2026〕12号",
    )

    assert record.entered_by == xihu_hr
    assert record.credit_year == 2026
    assert "entered by" in caplog.text and xihu_hr.employee_number in caplog.text
    assert selectors.credit_summary(learner, year=2026).earned == Decimal("4.0")


@pytest.mark.parametrize(
    ("hours", "reason", "day", "field"),
    [
        (Decimal("0"), "培训", date(2026, 5, 1), "hours"),
        (Decimal("-2"), "培训", date(2026, 5, 1), "hours"),
        (Decimal("500"), "培训", date(2026, 5, 1), "hours"),
        (Decimal("2"), "  ", date(2026, 5, 1), "reason"),
        (Decimal("2"), "培训", date(2999, 1, 1), "awarded_on"),
    ],
)
def test_implausible_offline_records_are_refused(learner, xihu_hr, hours, reason, day, field):
    with pytest.raises(ValidationError) as refused:
        services.credit_record_offline(
            person=learner, hours=hours, reason=reason, awarded_on=day, entered_by=xihu_hr
        )
    assert field in refused.value.message_dict
    assert not CreditRecord.objects.exists()
