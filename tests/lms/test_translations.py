"""The zh-hans catalogue covers every string of the project's own code and templates.

The strings are extracted afresh (Django's makemessages, run in a copy of the apps so that
the real catalogue is never written) and merged into a copy of the catalogue; any string
that comes out missing, untranslated or fuzzy is named in the failure. A second check
compares the compiled catalogue (``django.mo``, built by ``make`` from the ``.po``) with
its source, so a translation added to the ``.po`` but never compiled cannot pass.
"""

from __future__ import annotations

import ast
import gettext
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages

ROOT = Path(settings.BASE_DIR)
CATALOGUE = Path("lms/locale/zh_Hans/LC_MESSAGES/django.po")
NEEDS_GETTEXT = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="needs gettext (make installs it)",
)

# How xgettext finds each of Django's functions when the code imports it under another
# name (``gettext_lazy as _lazy``): Django's makemessages knows only the usual names.
KEYWORD_ARGUMENTS = {
    "gettext": "",
    "gettext_lazy": "",
    "gettext_noop": "",
    "ngettext": ":1,2",
    "ngettext_lazy": ":1,2",
    "pgettext": ":1c,2",
    "pgettext_lazy": ":1c,2",
    "npgettext": ":1c,2,3",
    "npgettext_lazy": ":1c,2,3",
}


def project_apps() -> list[Path]:
    """The installed apps whose code lives in this repository (not in the virtualenv)."""
    paths = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv"):
            paths.append(path)
    return sorted(set(paths))


def gettext_aliases(app_paths: list[Path]) -> set[str]:
    """xgettext keyword options for every alias of a Django translation function."""
    keywords = set()
    for app in app_paths:
        for source in app.rglob("*.py"):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    for alias in node.names:
                        if alias.asname and alias.name in KEYWORD_ARGUMENTS:
                            keywords.add(f"--keyword={alias.asname}{KEYWORD_ARGUMENTS[alias.name]}")
    return keywords


@dataclass
class Entry:
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def label(self) -> str:
        return f"[{self.context}] {self.msgid!r}" if self.context else repr(self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstrs) and all(self.msgstrs.values())


def _unquote(text: str) -> str:
    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file (obsolete ones left out); enough of the format for ours."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, started
        if started:
            entries.append(current)
        current, started = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):  # obsolete
            continue
        if line.startswith("#"):
            if started and target and target[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                current.fuzzy = "fuzzy" in (flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt":
            if started and target and target[0] == "msgstr":
                finish()
            started = True
            current.context, target = _unquote(rest), ("msgctxt", 0)
        elif keyword == "msgid":
            if started and target and target[0] == "msgstr":
                finish()
            started = True
            current.msgid, target = _unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            current.plural, target = _unquote(rest), ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstrs[index], target = _unquote(rest), ("msgstr", index)
        elif line.startswith('"') and target is not None:
            kind, index = target
            text = _unquote(line)
            if kind == "msgctxt":
                current.context = (current.context or "") + text
            elif kind == "msgid":
                current.msgid += text
            elif kind == "msgid_plural":
                current.plural = (current.plural or "") + text
            else:
                current.msgstrs[index] += text
    finish()
    return [entry for entry in entries if entry.msgid]  # the header has an empty msgid


@NEEDS_GETTEXT
def test_every_string_of_the_project_is_translated_to_chinese(tmp_path: Path, monkeypatch: Any):
    app_paths = project_apps()
    for app in app_paths:
        shutil.copytree(
            app,
            tmp_path / app.relative_to(ROOT),
            ignore=shutil.ignore_patterns("*.mo", "__pycache__", "static", "migrations"),
        )
    (tmp_path / CATALOGUE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / CATALOGUE, tmp_path / CATALOGUE)

    class Extract(makemessages.Command):
        xgettext_options = [
            *makemessages.Command.xgettext_options,
            *sorted(gettext_aliases(app_paths)),
        ]
        # A new string must show up as missing, not as a fuzzy guess from a similar one.
        msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [tmp_path / CATALOGUE.parents[2]])
    call_command(Extract(), locale=["zh_Hans"], no_obsolete=True, no_location=True, verbosity=0)

    entries = read_po(tmp_path / CATALOGUE)
    assert len(entries) > 100, "makemessages extracted next to nothing"
    fuzzy = [entry.label for entry in entries if entry.fuzzy]
    untranslated = [entry.label for entry in entries if not entry.fuzzy and not entry.translated]
    problems = []
    if untranslated:
        problems.append(
            f"{len(untranslated)} string(s) missing or untranslated in {CATALOGUE}:\n  "
            + "\n  ".join(untranslated)
        )
    if fuzzy:
        problems.append(
            f"{len(fuzzy)} fuzzy translation(s) to check and unflag in {CATALOGUE}:\n  "
            + "\n  ".join(fuzzy)
        )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_compiled_catalogue_matches_its_source(domain):
    source = CATALOGUE.with_name(f"{domain}.po")
    compiled_path = source.with_suffix(".mo")
    if not (ROOT / compiled_path).exists():
        pytest.fail(f"{compiled_path} is missing: run make (it compiles the catalogues)")
    with (ROOT / compiled_path).open("rb") as handle:
        compiled: dict[Any, str] = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    expected: dict[Any, str] = {}
    for entry in read_po(ROOT / source):
        if entry.fuzzy or not entry.translated:
            continue
        key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
        if entry.plural is None:
            expected[key] = entry.msgstrs[0]
        else:
            for index, text in entry.msgstrs.items():
                expected[(key, index)] = text
    compiled.pop("", None)
    stale = sorted(
        str(key)
        for key in expected.keys() | compiled.keys()
        if expected.get(key) != compiled.get(key)
    )
    if stale:
        pytest.fail(
            f"{compiled_path} does not match {source} for {len(stale)} string(s); "
            "run make (it compiles the catalogue with msgfmt):\n  " + "\n  ".join(stale[:30]),
            pytrace=False,
        )


def _library_msgids(pattern: str) -> set[str]:
    import glob

    from wagtail import __file__ as wagtail_init

    site_packages = Path(wagtail_init).parents[1]
    msgids: set[str] = set()
    for path in glob.glob(str(site_packages / pattern), recursive=True):
        msgids.update(entry.msgid for entry in read_po(Path(path)))
    return msgids


def test_the_library_strings_we_translate_are_still_the_libraries():
    # lms/third_party_strings.py copies msgids of Wagtail, Django's admin and django-axes;
    # after an upgrade a changed one would silently fall back to English.
    import axes

    source = ROOT / "lms" / "third_party_strings.py"
    lists: dict[str, list[str]] = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            name = node.targets[0].id  # type: ignore[attr-defined]
            lists[name] = [
                str(call.args[0].value)
                for call in node.value.elts
                if isinstance(call, ast.Call) and isinstance(call.args[0], ast.Constant)
            ]
    assert set(lists) == {"WAGTAIL", "DJANGO_ADMIN", "AXES"}
    wagtail = _library_msgids("wagtail/**/locale/en/LC_MESSAGES/django.po")
    django_admin = _library_msgids("django/contrib/admin/locale/en/LC_MESSAGES/django.po")
    axes_code = "".join(path.read_text() for path in Path(axes.__file__).parent.glob("*.py"))
    gone = [f"Wagtail: {msgid!r}" for msgid in lists["WAGTAIL"] if msgid not in wagtail]
    gone += [f"Django admin: {m!r}" for m in lists["DJANGO_ADMIN"] if m not in django_admin]
    gone += [f"django-axes: {m!r}" for m in lists["AXES"] if f'_("{m}")' not in axes_code]
    wagtail_js = _library_msgids("wagtail/admin/locale/en/LC_MESSAGES/djangojs.po")
    ours_js = read_po(ROOT / CATALOGUE.with_name("djangojs.po"))
    gone += [f"Wagtail JS: {e.msgid!r}" for e in ours_js if e.msgid not in wagtail_js]
    gone += [f"untranslated in djangojs.po: {e.msgid!r}" for e in ours_js if not e.translated]
    assert not gone, "no longer msgids of their library:\n  " + "\n  ".join(gone)
