"""The question editor: one form over a question and its current version.

Saving never edits a version: it adds one (``question_revise``), so attempts already taken
keep the text and key they were graded against.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from exams import services
from exams.models import Difficulty, Exam, ExamOverride, Question, QuestionCategory, QuestionKind
from org.models import Person


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionForm(forms.ModelForm[Question]):
    kind = forms.ChoiceField(label=pgettext_lazy("question", "Type"), choices=QuestionKind.choices)
    stem = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Choice questions: one option per line; they are labelled a, b, c, …"),
    )
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Single choice: the letter (b). Multiple choice: letters separated by commas (a,c). "
            "True or false: true or false. Fill in the blank: one line per blank, accepted "
            "answers separated by | (防火墙|firewall). Short answer: leave empty."
        ),
    )
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"), choices=Difficulty.choices, coerce=int, initial=Difficulty.MEDIUM
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    explanation = forms.CharField(
        label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rubric = forms.CharField(
        label=_("Grading rubric"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Short answers: what earns how many points."),
    )

    class Meta:
        model = Question
        fields = ["category", "is_active"]

    def __init__(self, *args: Any, for_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = QuestionCategory.objects.order_by("path")  # type: ignore[attr-defined]
        version = self.instance.current_version if self.instance.pk else None
        if version is not None:
            self.initial.update(
                kind=version.kind,
                stem=version.stem,
                options="\n".join(option["text"] for option in version.options),
                answer=_answer_text(version.kind, version.answer),
                difficulty=version.difficulty,
                tags=", ".join(version.tags),
                explanation=version.explanation,
                rubric=version.rubric,
            )
        self.text: services.QuestionText | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind", "")
        raw_answer = data.get("answer", "") or ""
        answer: Any
        if kind == QuestionKind.MULTIPLE:
            answer = [part.strip() for part in raw_answer.replace("，", ",").split(",")]
        elif kind == QuestionKind.FILL:
            answer = [[item.strip() for item in line.split("|")] for line in _lines(raw_answer)]
        elif kind == QuestionKind.SHORT:
            answer = None
        else:
            answer = raw_answer.strip()
        text = services.QuestionText(
            kind=kind,
            stem=data.get("stem", ""),
            options=_lines(data.get("options", "") or ""),
            answer=answer,
            difficulty=int(data.get("difficulty") or Difficulty.MEDIUM),
            explanation=data.get("explanation", "") or "",
            rubric=data.get("rubric", "") or "",
            tags=tuple(part.strip() for part in (data.get("tags") or "").split(",")),
        )
        try:
            services.question_validate(text)
        except ValidationError as error:
            self.add_error(None, error)
        else:
            self.text = text
        return data

    def save(self, commit: bool = True) -> Question:
        assert self.text is not None, "save() after a successful is_valid()"
        if self.instance.pk is None:
            question = services.question_create(
                category=self.cleaned_data["category"], text=self.text
            )
            if not self.cleaned_data.get("is_active", True):
                question.is_active = False
                question.save(update_fields=["is_active"])
            self.instance = question  # Wagtail's create view reads the form's instance
            return question
        question = super().save(commit=True)
        services.question_revise(question=question, text=self.text)
        question.refresh_from_db()
        return question


def _answer_text(kind: str, answer: Any) -> str:
    if kind == QuestionKind.MULTIPLE:
        return ",".join(answer or [])
    if kind == QuestionKind.FILL:
        return "\n".join("|".join(blank) for blank in answer or [])
    return "" if answer is None else str(answer)


class ManualGradeForm(forms.Form):
    """A trainer's points and comment for one short answer; the service checks the range."""

    score = forms.DecimalField(
        label=_("Points"), min_value=0, max_digits=5, decimal_places=2, localize=False
    )
    feedback = forms.CharField(
        label=_("Comment for the candidate"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExamOverrideForm(forms.ModelForm[ExamOverride]):
    """One person's extra time or attempts, the person given by employee number (工号):
    a province has too many people for a drop-down."""

    employee_number = forms.CharField(label=_("Employee number"), max_length=32)

    class Meta:
        model = ExamOverride
        fields = ["exam", "extra_minutes", "extra_attempts"]

    def __init__(self, *args: Any, for_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exam"].queryset = Exam.objects.order_by("title")  # type: ignore[attr-defined]
        self.fields = {  # the person first, as trainers read a request
            name: self.fields[name]
            for name in ("employee_number", "exam", "extra_minutes", "extra_attempts")
        }
        if self.instance.pk:
            self.initial["employee_number"] = self.instance.person.employee_number
        self.person: Person | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = (data.get("employee_number") or "").strip()
        person = Person.objects.filter(employee_number=number).first() if number else None
        if number and person is None:
            self.add_error("employee_number", _("No one has employee number %s.") % number)
        exam = data.get("exam")
        if person is not None and exam is not None:
            taken = ExamOverride.objects.filter(exam=exam, person=person)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "employee_number",
                    _("%(person)s already has extra time or attempts at this exam; change that.")
                    % {"person": person},
                )
        if data.get("extra_minutes") == 0 and data.get("extra_attempts") == 0:
            self.add_error(None, _("Give extra minutes, extra attempts or both."))
        self.person = person
        return data

    def save(self, commit: bool = True) -> ExamOverride:
        assert self.person is not None, "save() after a successful is_valid()"
        if self.instance.pk and (
            self.instance.person_id != self.person.pk
            or self.instance.exam_id != self.cleaned_data["exam"].pk
        ):
            self.instance.delete()  # moved to another person or exam: the old one goes
        override = services.exam_override_set(
            exam=self.cleaned_data["exam"],
            person=self.person,
            extra_minutes=self.cleaned_data["extra_minutes"],
            extra_attempts=self.cleaned_data["extra_attempts"],
        )
        self.instance = override  # Wagtail's views read the form's instance
        return override
