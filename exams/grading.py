"""Pure grading rules: a question version and a response in, points out. No database.

Responses by question kind (the shapes ``check_response`` accepts):

- single, true/false: the chosen option id, e.g. ``"b"`` (true/false use ``"true"``/``"false"``)
- multiple: a list of option ids, e.g. ``["a", "c"]``
- fill: a list of strings, one per blank
- short: a string, graded by hand against the rubric
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

MAX_TEXT = 5_000  # characters in one short answer
MAX_BLANK = 200  # characters in one blank

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true_false"
FILL = "fill"
SHORT = "short"
AUTO_GRADED = frozenset({SINGLE, MULTIPLE, TRUE_FALSE, FILL})


class ResponseInvalid(ValueError):
    """A response of the wrong shape for its question: refused, nothing stored."""


def normalise(text: str) -> str:
    """Compare typed answers fairly: full-width to half-width, case and spacing ignored.

    NFKC folds full-width letters, digits and punctuation (ＡＢＣ１２３，) into their
    ordinary forms; every run of whitespace (including the ideographic space) counts as none.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", "", folded)


def option_ids(version: Any) -> list[str]:
    return [str(option["id"]) for option in version.options]


def check_response(version: Any, response: Any) -> Any:
    """The response in its canonical form, or ResponseInvalid saying what is wrong."""
    kind = version.kind
    if kind in (SINGLE, TRUE_FALSE):
        if not isinstance(response, str) or response not in option_ids(version):
            raise ResponseInvalid(_("Choose one of the question's options."))
        return response
    if kind == MULTIPLE:
        if not isinstance(response, list) or not all(isinstance(item, str) for item in response):
            raise ResponseInvalid(_("Give a list of the chosen options."))
        unknown = set(response) - set(option_ids(version))
        if unknown:
            raise ResponseInvalid(_("An option is not one of the question's options."))
        return sorted(set(response))
    if kind == FILL:
        # A fill-in edited into having no blanks takes (and earns) nothing, never a 500.
        blanks = len(version.answer) if isinstance(version.answer, list) else 0
        if (
            not isinstance(response, list)
            or len(response) != blanks
            or not all(isinstance(item, str) for item in response)
        ):
            raise ResponseInvalid(_("Give %(count)s answers, one per blank.") % {"count": blanks})
        if any(len(item) > MAX_BLANK for item in response):
            raise ResponseInvalid(
                _("One blank holds at most %(count)s characters.") % {"count": MAX_BLANK}
            )
        return [item.strip() for item in response]
    if kind == SHORT:
        if not isinstance(response, str):
            raise ResponseInvalid(_("Give the answer as text."))
        if len(response) > MAX_TEXT:
            raise ResponseInvalid(
                _("An answer holds at most %(count)s characters.") % {"count": MAX_TEXT}
            )
        return response
    raise ResponseInvalid(f"Unknown kind of question: {kind}.")


def grade(version: Any, response: Any, points: Decimal) -> Decimal | None:
    """Points earned, or None when a person must grade it (short answers)."""
    if version.kind == SHORT:
        return None
    if response is None:
        return Decimal("0")
    kind = version.kind
    if kind in (SINGLE, TRUE_FALSE):
        return points if response == version.answer else Decimal("0")
    if kind == MULTIPLE:
        correct = set(version.answer)
        chosen = set(response)
        if chosen == correct:
            return points
        # The usual rule of Chinese civil-service exams: some right options and no wrong one
        # earn half the points; any wrong option earns nothing.
        if chosen and chosen < correct:
            return _round(points / 2)
        return Decimal("0")
    if kind == FILL:
        key = version.answer if isinstance(version.answer, list) else []
        accepted = [{normalise(str(option)) for option in blank} for blank in key]
        if not accepted or not isinstance(response, list):
            return Decimal("0")
        right = sum(
            1
            for given, options in zip(response, accepted, strict=False)
            if normalise(str(given)) in options
        )
        return _round(points * right / len(accepted))
    raise ResponseInvalid(f"Unknown kind of question: {kind}.")


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
