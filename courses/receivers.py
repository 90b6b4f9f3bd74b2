"""Receivers of lower apps' signals: each only enqueues a task on commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from courses.tasks import training_plans_apply_for_person_task
from org.signals import person_placed


@receiver(person_placed, dispatch_uid="courses.enrol_placed_person")
def enrol_placed_person(sender: Any, person_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: training_plans_apply_for_person_task.delay(person_id))
