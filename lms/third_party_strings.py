"""Strings of Wagtail 8.0, Django 5.2's admin and django-axes 8 that their own zh-hans
catalogues lack, but that our admin shows: written out here so that makemessages keeps
them in our catalogue, whose LOCALE_PATHS entry wins over the libraries'.

Never imported by the application (the lazy markers are never evaluated); the msgids must
stay exactly the libraries'. tests/lms/test_translations.py checks that each one is still
a msgid of the library named, so an upgrade that changes one shows up as a failing test.
Wagtail's JavaScript strings are in ``lms/locale/zh_Hans/LC_MESSAGES/djangojs.po``.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

# (library, msgid): the libraries' English catalogues, or their code for django-axes,
# which ships no English catalogue.
WAGTAIL = [
    gettext_noop("Actions (footer)"),
    gettext_noop("Toggle checks"),
    gettext_noop("Search all pages…"),
    gettext_noop("Edit account avatar"),
    gettext_noop("Exploring"),
    gettext_noop("Sort by '%(label)s' in ascending order."),
    gettext_noop("Sort by '%(label)s' in descending order."),
    gettext_noop("Wagtail %(current_version)s editor guide"),
    gettext_noop("List layout"),
    gettext_noop("Grid layout"),
    # The page explorer's count above its listing.
    gettext_noop("%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s"),
    gettext_noop(
        "%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s across entire site."
    ),
    gettext_noop(
        "%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s in "
        "'<span class=\"w-title-ellipsis\">%(title)s</span>'."
    ),
    gettext_noop(
        'There are no %(model_name)s to display. Why not <a href="%(add_url)s">add one</a>?'
    ),
    ngettext_lazy(
        '%(total)s Page <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Pages <span class="w-sr-only">created in %(site_name)s</span>',
        "total",
    ),
    ngettext_lazy(
        '%(total)s Image <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Images <span class="w-sr-only">created in %(site_name)s</span>',
        "total",
    ),
    ngettext_lazy(
        '%(total)s Document <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Documents <span class="w-sr-only">created in %(site_name)s</span>',
        "total",
    ),
]

DJANGO_ADMIN = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
]

AXES = [
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
]
