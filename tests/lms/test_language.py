"""The language switcher sends the reader to the same page in the other language, both
ways, and signing in keeps the language of the sign-in page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests import factories

pytestmark = pytest.mark.django_db


def switch(client, language: str, next_url: str, **headers: str):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url}, **headers)


@pytest.mark.parametrize(
    ("language", "next_url", "target"),
    [
        ("zh-hans", "/en/courses/", "/courses/"),
        ("zh-hans", "/en/", "/"),
        ("zh-hans", "/en/learning/?page=2", "/learning/?page=2"),
        ("zh-hans", "/en/accounts/login/", "/accounts/login/"),
        ("en", "/courses/", "/en/courses/"),
        ("en", "/", "/en/"),
        ("en", "/exams/", "/en/exams/"),
        ("en", "/admin/pages/", "/admin/pages/"),  # not a prefixed address: unchanged
        ("zh-hans", "/admin/pages/", "/admin/pages/"),
    ],
)
def test_the_switcher_sends_the_reader_to_the_same_page_in_the_language_chosen(
    client, language, next_url, target
):
    response = switch(client, language, next_url)

    assert response.status_code == 302
    assert response["Location"] == target
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


@pytest.mark.parametrize("accept", ["zh-CN,zh;q=0.9", "en-US,en;q=0.9"])
@pytest.mark.parametrize("cookie", [None, "zh-hans", "en"])
def test_switching_back_to_chinese_works_whatever_the_browser_and_cookie_say(
    client, accept, cookie
):
    # The bug: the switch was resolved in the browser's language, so /en/ pages stayed English.
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    to_chinese = switch(client, "zh-hans", "/en/courses/", HTTP_ACCEPT_LANGUAGE=accept)
    to_english = switch(client, "en", "/courses/", HTTP_ACCEPT_LANGUAGE=accept)

    assert to_chinese["Location"] == "/courses/"
    assert to_english["Location"] == "/en/courses/"


@pytest.mark.parametrize("next_url", ["https://attacker.example/", "//attacker.example/x"])
def test_the_switcher_never_sends_the_reader_to_another_site(client, next_url):
    response = switch(client, "en", next_url)

    assert response["Location"] == "/en/"


def test_an_unknown_language_changes_nothing(client):
    response = switch(client, "fr", "/courses/")

    assert response["Location"] == "/courses/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_header_offers_the_other_language_for_this_very_page(client):
    chinese = client.get("/accounts/login/").content.decode()
    english = client.get("/en/accounts/login/").content.decode()

    assert re.search(
        r'name="language" value="en">\s*<button[^>]*lang="en">English</button>', chinese
    )
    assert 'name="next" value="/accounts/login/"' in chinese
    assert re.search(
        r'name="language" value="zh-hans">\s*<button[^>]*lang="zh-hans">简体中文</button>', english
    )
    assert 'name="next" value="/en/accounts/login/"' in english


def test_the_round_trip_through_the_header_lands_on_each_language(client):
    english = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True
    )
    assert english.redirect_chain[-1][0] == "/en/accounts/login/"
    assert '<html lang="en">' in english.content.decode()

    chinese = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/en/accounts/login/"}, follow=True
    )
    assert chinese.redirect_chain[-1][0] == "/accounts/login/"
    assert '<html lang="zh-hans">' in chinese.content.decode()


@pytest.mark.parametrize(("prefix", "home"), [("", "/"), ("/en", "/en/")])
def test_signing_in_keeps_the_language_of_the_sign_in_page(client, learner, prefix, home):
    page = client.get(f"{prefix}/accounts/login/").content.decode()
    main = page[page.index("<main") :]  # the sign-in form's, not the language switcher's
    next_url = re.search(r'name="next" value="([^"]*)"', main)
    assert next_url is not None and next_url.group(1) == home

    response = client.post(
        f"{prefix}/accounts/login/",
        {"username": "learner", "password": factories.PASSWORD, "next": next_url.group(1)},
    )

    assert response.status_code == 302
    assert response["Location"] == home


def test_signing_in_goes_on_to_the_page_asked_for(client, learner):
    response = client.get("/en/learning/")
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/en/accounts/login/?next=/en/learning/")

    page = client.get(login_url).content.decode()
    assert 'name="next" value="/en/learning/"' in page
