"""Demo certificates: a template of its own for the annual security training, and a few
people (the demo learner among them) who finished a course, so 我的证书, the HR list and the
verification page have something to show."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from certificates.models import CertificateTemplate
from courses import demo as courses_demo
from courses.models import CoursePage
from org.models import Person

SECURITY_COURSE = "信息安全保障体系"
COMPLETED_COURSE = "公务员计算机与网络应用基础"
SECURITY_BODY = (
    "{name}同志：\n"
    "参加《{course}》年度培训，于{completed}{achievement}，计{hours}。\n"
    "本证书自颁发之日起一年内有效，期满须参加复训。"
)


def seed(*, learner: Person | None, hr_scope_people: list[Person]) -> int:
    """Returns how many people completed a course just now (their certificates follow)."""
    security = CoursePage.objects.filter(title=SECURITY_COURSE).first()
    if security is not None:
        CertificateTemplate.objects.get_or_create(
            course=security,
            defaults={
                "name": "信息安全年度培训合格证书",
                "title": "培训合格证书",
                "body": SECURITY_BODY,
                "issuer": "浙江省委网信办 浙江省公务员网络学院",
                "serial_prefix": "ZJAQ",
                "valid_months": 12,
            },
        )
    course = CoursePage.objects.filter(title=COMPLETED_COURSE).first()
    if course is None:
        return 0
    # Finished last week, at the end of a working day.
    day = timezone.localdate() - timedelta(days=7)
    when = timezone.make_aware(datetime.combine(day, time(17, 30)))
    people = ([learner] if learner else []) + hr_scope_people
    return sum(
        courses_demo.complete_for_demo(person=person, course=course, when=when) for person in people
    )
