"""The compiled zh-hans catalogue is the one Django uses (completeness: test_translations.py)."""

from __future__ import annotations

from django.utils import translation


def test_the_compiled_catalogue_is_in_use(db):
    with translation.override("zh-hans"):
        assert translation.gettext("Civil-service e-academy") == "公务员网络学院"
    with translation.override("en"):
        assert translation.gettext("Civil-service e-academy") == "Civil-service e-academy"
