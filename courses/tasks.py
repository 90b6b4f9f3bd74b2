"""Tasks of the courses app: primary keys in, reload, call the service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from courses import services
from courses.models import TrainingPlan
from org.models import Person


@shared_task(name="courses.training_plan_apply")
def training_plan_apply_task(plan_id: int) -> int:
    """Enrol everyone in a plan's scope; re-running only fills gaps."""
    plan = TrainingPlan.objects.filter(pk=plan_id).select_related("org_unit").first()
    if plan is None:
        return 0
    return services.training_plan_apply(plan=plan)


@shared_task(name="courses.training_plans_apply_for_person")
def training_plans_apply_for_person_task(person_id: int) -> int:
    """Enrol a person who joined or moved into a subtree in the plans covering it."""
    person = Person.objects.filter(pk=person_id, is_active=True).select_related("org_unit").first()
    if person is None:
        return 0
    return services.training_plans_apply_for_person(person=person)


@shared_task(name="courses.training_plans_reconcile")
def training_plans_reconcile_task() -> int:
    """Nightly: apply every active plan again, catching anything a lost message missed."""
    created = 0
    for plan_id in TrainingPlan.objects.filter(is_active=True).values_list("pk", flat=True):
        created += training_plan_apply_task(plan_id)
    return created
