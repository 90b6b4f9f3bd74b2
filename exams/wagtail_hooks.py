"""Wagtail admin for trainers: the question bank (a category tree and versioned questions)
and exams with their fixed questions and random draw rules."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from exams import views
from exams.forms import ExamOverrideForm, QuestionForm
from exams.models import Exam, ExamOverride, Question, QuestionCategory
from org.selectors import scope_roots


class QuestionCategoryViewSet(ModelViewSet):
    model = QuestionCategory
    name = "question_categories"
    url_prefix = "exams/categories"
    icon = "folder-open-inverse"
    menu_label = _("Question categories")
    form_fields = ["name"]
    list_display = ["name", "depth"]

    def get_form_class(self, for_update: bool = False) -> Any:
        from treebeard.forms import movenodeform_factory

        return movenodeform_factory(QuestionCategory, fields=["name"])


class QuestionViewSet(ModelViewSet):
    model = Question
    name = "questions"
    url_prefix = "exams/questions"
    icon = "help"
    menu_label = _("Question bank")
    list_display = ["__str__", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["versions__stem"]

    def get_form_class(self, for_update: bool = False) -> Any:
        return QuestionForm


class ExamViewSet(ModelViewSet):
    model = Exam
    # HR officers open results from their own link; the editor is for trainers.
    name = "exam_admin"
    url_prefix = "exams/exams"
    icon = "tasks"
    menu_label = _("Exams")
    list_display = ["title", "course", "duration_minutes", "is_published"]
    list_filter = ["is_published"]


class ExamOverrideViewSet(ModelViewSet):
    model = ExamOverride
    name = "exam_overrides"
    url_prefix = "exams/overrides"
    icon = "time"
    menu_label = _("Extra time and attempts")
    list_display = ["person", "exam", "extra_minutes", "extra_attempts"]
    list_filter = ["exam"]
    search_fields = ["person__real_name", "person__employee_number"]

    def get_form_class(self, for_update: bool = False) -> Any:
        return ExamOverrideForm


class ExamsGroup(ModelViewSetGroup):
    items = (ExamViewSet, ExamOverrideViewSet, QuestionViewSet, QuestionCategoryViewSet)
    menu_icon = "tasks"
    menu_label = _("Exams")
    menu_order = 230


@hooks.register("register_admin_viewset")
def register_exams_admin() -> ExamsGroup:
    return ExamsGroup()


@hooks.register("register_admin_urls")
def register_import_urls() -> list[Any]:
    return [
        path("exams/import/", views.question_import, name="exams_question_import"),
        path("exams/results/", views.results_index, name="exams_results_index"),
        path("exams/results/<id:exam_id>/", views.exam_results, name="exams_exam_results"),
        path("exams/attempts/<uuid:public_id>/", views.attempt_detail, name="exams_attempt_detail"),
        path("exams/grading/", views.grading_queue, name="exams_grading_queue"),
        path("exams/grading/<id:answer_id>/", views.answer_grade, name="exams_answer_grade"),
        path(
            "exams/import/template.<str:fmt>",
            views.question_import_template,
            name="exams_question_import_template",
        ),
    ]


class ImportMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return bool(request.user.has_perm("exams.add_question"))


@hooks.register("register_admin_menu_item")
def register_import_menu_item() -> MenuItem:
    return ImportMenuItem(
        _("Import questions"), reverse("exams_question_import"), icon_name="upload", order=231
    )


class ResultsMenuItem(MenuItem):
    """Trainers and HR officers (within their subtree) open exam results from here."""

    def is_shown(self, request: Any) -> bool:
        user = request.user
        roots = scope_roots(user)
        return bool(user.has_perm("exams.change_exam") or roots is None or roots)


class GradingMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return bool(request.user.has_perm("exams.change_exam"))


@hooks.register("register_admin_menu_item")
def register_results_menu_item() -> MenuItem:
    return ResultsMenuItem(
        _("Exam results"), reverse("exams_results_index"), icon_name="list-ul", order=232
    )


@hooks.register("register_admin_menu_item")
def register_grading_menu_item() -> MenuItem:
    return GradingMenuItem(
        _("Grading queue"), reverse("exams_grading_queue"), icon_name="edit", order=233
    )
