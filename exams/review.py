"""How an attempt reads to people: the one place answers, keys and kinds become text.

Every page that shows an attempt question by question (the learner's result, the staff
attempt detail, the grading queue, item statistics) and the API's review take their words
from here, never from the stored values: option ids ("a", "b") are internals, the letters
are the positions the candidate saw on their shuffled paper, blanks read
"第1空：公开；第2空：不公开", true or false reads 正确 or 错误.

A stored question may have been changed under an attempt (an option removed, a fill-in
left without blanks): what cannot be shown is said in a plain sentence, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from exams.grading import normalise
from exams.models import AttemptQuestion, AttemptState, QuestionKind

CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE)


def kind_label(kind: str) -> str:
    """A question type by its translated name (单选题, 判断题, ...), whatever is stored."""
    try:
        return str(QuestionKind(kind).label)
    except ValueError:
        return _("Unknown type")


def truth_label(value: Any) -> str:
    """The text of a true-or-false option or answer: 正确 or 错误."""
    if str(value).lower() == "true":
        return pgettext("true or false", "True")
    if str(value).lower() == "false":
        return pgettext("true or false", "False")
    return plain_text(value)


def _separator() -> str:
    return pgettext("list separator", "; ")


def plain_text(value: Any) -> str:
    """Any stored value as words: lists joined, nothing left as a Python repr."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return truth_label("true" if value else "false")
    if isinstance(value, list | tuple):
        return _separator().join(text for text in (plain_text(item) for item in value) if text)
    if isinstance(value, dict):
        return plain_text(list(value.values()))
    return str(value)


@dataclass(frozen=True)
class OptionShown:
    letter: str  # "A", "B", ... by position on this paper; "" for true or false
    text: str
    chosen: bool
    correct: bool | None  # None when the key is kept back

    @property
    def label(self) -> str:
        return f"{self.letter}. {self.text}" if self.letter else self.text


@dataclass(frozen=True)
class BlankShown:
    number: int
    given: str
    accepted: str  # alternatives joined with 或; "" when the key is kept back
    right: bool | None


@dataclass(frozen=True)
class ReviewItem:
    position: int
    kind: str
    kind_label: str
    stem: str
    points: Decimal
    score: Decimal | None
    answered: bool
    response_text: str  # the answer given, in words ("" when none)
    correct_text: str  # the key in words ("" when kept back, or a short answer)
    options: list[OptionShown]
    blanks: list[BlankShown]
    explanation: str
    feedback: str
    rubric: str
    problem: str  # a plain sentence when the stored question cannot be shown as it was
    answer_id: int | None
    graded_by: Any
    awaiting_grading: bool

    def as_json(self, *, with_rubric: bool = False) -> dict[str, Any]:
        """The item for the API: words, plus the learner's own raw response."""
        body: dict[str, Any] = {
            "position": self.position,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "stem": self.stem,
            "points": str(self.points),
            "score": None if self.score is None else str(self.score),
            "answered": self.answered,
            "response_text": self.response_text,
            "options": [
                {"letter": o.letter, "text": o.text, "chosen": o.chosen}
                | ({} if o.correct is None else {"correct": o.correct})
                for o in self.options
            ],
            "blanks": [
                {"number": b.number, "given": b.given}
                | ({"accepted": b.accepted, "right": b.right} if b.accepted else {})
                for b in self.blanks
            ],
            "feedback": self.feedback,
            "problem": self.problem,
        }
        if self.correct_text or self.explanation:
            body["correct_text"] = self.correct_text
            body["explanation"] = self.explanation
        if with_rubric:
            body["rubric"] = self.rubric
        return body


def option_letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def shown_options(version: Any, order: Sequence[Any]) -> list[tuple[str, str, str]]:
    """(id, letter, text) of each option in the order this paper showed them.

    An id the version no longer has (edited under the attempt) keeps its place with a note.
    """
    texts = {str(option.get("id")): str(option.get("text", "")) for option in _options(version)}
    ids = [str(key) for key in order] if order else list(texts)
    truth = version.kind == QuestionKind.TRUE_FALSE
    shown = []
    for index, key in enumerate(ids):
        if truth:
            text = truth_label(key)
        else:
            text = texts.get(key, _("(an option no longer in the question)"))
        shown.append((key, "" if truth else option_letter(index), text))
    return shown


def _options(version: Any) -> list[dict[str, Any]]:
    options = version.options
    if not isinstance(options, list):
        return []
    return [option for option in options if isinstance(option, dict)]


def blank_count(version: Any) -> int:
    answer = version.answer
    return len(answer) if version.kind == QuestionKind.FILL and isinstance(answer, list) else 0


def describe(version: Any, order: Sequence[Any], value: Any) -> str:
    """An answer or a key as people read it: "B. 五级", "第1空：公开", "正确", the text."""
    if value is None or value == "" or value == []:
        return ""
    kind = version.kind
    if kind in CHOICE_KINDS:
        labels = {key: (letter, text) for key, letter, text in shown_options(version, order)}
        chosen = value if isinstance(value, list) else [value]
        parts = []
        for key in chosen:
            letter, text = labels.get(str(key), ("", truth_label(key)))
            parts.append(f"{letter}. {text}" if letter else text)
        return _separator().join(parts)
    if kind == QuestionKind.FILL and isinstance(value, list):
        return _separator().join(
            _("Blank %(number)s: %(answer)s")
            % {"number": number, "answer": _blank_text(blank) or _("(empty)")}
            for number, blank in enumerate(value, start=1)
        )
    return plain_text(value)


def _blank_text(blank: Any) -> str:
    if isinstance(blank, list):
        return pgettext("accepted answers", " or ").join(plain_text(item) for item in blank)
    return plain_text(blank)


def review_item(
    question: AttemptQuestion, *, with_key: bool, attempt_state: str = AttemptState.GRADED
) -> ReviewItem:
    """One question of an attempt as it is shown; ``with_key``: the correct answers and
    explanations too (kept back from learners while the review policy says so)."""
    version = question.version
    answer = getattr(question, "answer", None)
    response = answer.response if answer is not None else None
    answered = response not in (None, "", [])
    kind = version.kind
    key = version.answer
    problem = ""
    options: list[OptionShown] = []
    blanks: list[BlankShown] = []
    if kind in CHOICE_KINDS:
        chosen = {str(item) for item in (response if isinstance(response, list) else [response])}
        correct = {str(item) for item in (key if isinstance(key, list) else [key])}
        options = [
            OptionShown(
                letter=letter,
                text=text,
                chosen=answered and option_id in chosen,
                correct=(option_id in correct) if with_key else None,
            )
            for option_id, letter, text in shown_options(version, question.option_order)
        ]
        if not options:
            problem = _("The options of this question are no longer stored.")
    elif kind == QuestionKind.FILL:
        accepted = key if isinstance(key, list) else []
        given = response if isinstance(response, list) else []
        if not accepted:
            problem = _("This fill-in question has no blanks.")
        for index, alternatives in enumerate(accepted):
            text = plain_text(given[index]) if index < len(given) else ""
            right = None
            if with_key and isinstance(alternatives, list):
                right = normalise(text) in {normalise(plain_text(a)) for a in alternatives}
            blanks.append(
                BlankShown(
                    number=index + 1,
                    given=text,
                    accepted=_blank_text(alternatives) if with_key else "",
                    right=right if text or with_key else None,
                )
            )
    return ReviewItem(
        position=question.position,
        kind=kind,
        kind_label=kind_label(kind),
        stem=version.stem,
        points=question.points,
        score=answer.score if answer is not None else None,
        answered=answered,
        response_text=describe(version, question.option_order, response) if answered else "",
        correct_text=(
            describe(version, question.option_order, key)
            if with_key and kind != QuestionKind.SHORT
            else ""
        ),
        options=options,
        blanks=blanks,
        explanation=version.explanation if with_key else "",
        feedback=answer.feedback if answer is not None else "",
        rubric=version.rubric,
        problem=problem,
        answer_id=answer.pk if answer is not None else None,
        graded_by=answer.graded_by if answer is not None and answer.graded_by_id else None,
        awaiting_grading=bool(
            answer is not None
            and kind == QuestionKind.SHORT
            and answer.graded_by_id is None
            and attempt_state in (AttemptState.SUBMITTED, AttemptState.EXPIRED)
        ),
    )


def review_items(questions: Iterable[AttemptQuestion], **kwargs: Any) -> list[ReviewItem]:
    return [review_item(question, **kwargs) for question in questions]
