"""The zh-hans catalogue is complete: every translatable string in the code has a translation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from tests.lms.test_startup import ROOT, run

APPS = ["lms", "audit", "org", "courses", "exams", "certificates", "dashboards"]
CATALOGUE = Path("lms/locale/zh_Hans/LC_MESSAGES/django.po")


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext (make installs it)")
def test_every_string_in_the_code_is_translated_to_chinese(tmp_path):
    # Extract afresh from a copy of the code, merging into a copy of the catalogue: a string
    # added to the code without a translation shows up as untranslated.
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    extracted = run(
        str(tmp_path / "manage.py"),
        "makemessages",
        "--locale",
        "zh_Hans",
        "--no-obsolete",
        "--no-location",
        cwd=tmp_path,
        DEBUG="true",
    )
    assert extracted.returncode == 0, extracted.stderr
    statistics = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(tmp_path / CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert statistics.returncode == 0, statistics.stderr
    assert "untranslated" not in statistics.stderr, statistics.stderr
    assert "fuzzy" not in statistics.stderr, statistics.stderr


def test_the_compiled_catalogue_is_in_use(db):
    with translation.override("zh-hans"):
        assert translation.gettext("Civil-service e-academy") == "公务员网络学院"
    with translation.override("en"):
        assert translation.gettext("Civil-service e-academy") == "Civil-service e-academy"
