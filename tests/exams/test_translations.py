"""Exams' words do not change Wagtail's or Django's (issue 11).

The project's catalogue is searched before Wagtail's, so a context-free msgid such as
"Type" translated as 题型 for questions also renamed Wagtail's 类型 in the page explorer.
Every msgid the exams app uses without a context, and that Wagtail or Django translate
too, must read the same in the project's catalogue as in theirs; generic words take a
context (pgettext) instead.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import django
import pytest
import wagtail
from django.conf import settings

EXAMS = Path(__file__).resolve().parents[2] / "exams"
OWN = ("demo.py", "demo_content.py")
CALLS = re.compile(r"""(?<![p\w])(?:_|gettext|gettext_lazy|_lazy)\(\s*"((?:[^"\\]|\\.)+)"\s*\)""")
TAGS = re.compile(r"""\{%\s*translate\s+["']([^"']+)["'](?![^%]*\bcontext\b)[^%]*%\}""")
GENERIC = {
    "Type",
    "type",
    "Kind",
    "Order",
    "Status",
    "Review",
    "review",
    "State",
    "In progress",
    "Submitted",
    "Graded",
    "Duration",
}


def _msgids_without_context() -> set[str]:
    found: set[str] = set()
    for path in EXAMS.rglob("*"):
        if path.name in OWN or "migrations" in path.parts or path.suffix not in (".py", ".html"):
            continue
        text = path.read_text(encoding="utf-8")
        found.update(CALLS.findall(text))
        found.update(TAGS.findall(text))
    return found


def _catalogues(root: Path) -> list[gettext.GNUTranslations]:
    catalogues = []
    for mo in root.rglob("locale/zh_Hans/LC_MESSAGES/django.mo"):
        with mo.open("rb") as handle:
            catalogues.append(gettext.GNUTranslations(handle))
    return catalogues


def test_generic_words_in_exams_carry_a_context():
    assert not _msgids_without_context() & GENERIC


def test_exams_never_retranslates_a_word_wagtail_or_django_translate():
    ours_path = Path(settings.BASE_DIR) / "lms/locale/zh_Hans/LC_MESSAGES/django.mo"
    if not ours_path.exists():
        pytest.skip("the catalogue is not compiled (make compiles it)")
    with ours_path.open("rb") as handle:
        ours = gettext.GNUTranslations(handle)
    theirs = _catalogues(Path(wagtail.__file__).parent) + _catalogues(Path(django.__file__).parent)
    clashes = []
    for msgid in sorted(_msgids_without_context()):
        mine = ours._catalog.get(msgid)  # type: ignore[attr-defined]
        if mine is None:
            continue
        for catalogue in theirs:
            other = catalogue._catalog.get(msgid)  # type: ignore[attr-defined]
            if other and other != mine:
                clashes.append(f"{msgid!r}: ours {mine}, theirs {other}")
                break
    assert not clashes, clashes
