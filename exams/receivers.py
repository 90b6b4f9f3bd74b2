"""Edits to the question bank or to an exam invalidate the draw plans every process keeps."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from exams import services
from exams.models import (
    Exam,
    ExamDrawRule,
    ExamQuestion,
    Question,
    QuestionCategory,
    QuestionVersion,
)

BANK_MODELS = (Question, QuestionVersion, QuestionCategory, Exam, ExamQuestion, ExamDrawRule)


def bank_changed(sender: Any, **kwargs: Any) -> None:
    # Now, for this process (and a test's single transaction), and again on commit: a start
    # in another process between the two may have cached the plan as it was before.
    services.bank_changed()
    transaction.on_commit(services.bank_changed)


for model in BANK_MODELS:
    post_save.connect(bank_changed, sender=model, dispatch_uid=f"exams.bank_saved.{model.__name__}")
    post_delete.connect(
        bank_changed, sender=model, dispatch_uid=f"exams.bank_deleted.{model.__name__}"
    )
