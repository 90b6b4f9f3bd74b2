"""Passwords: at least 12 characters, and a self-service change that ends the other sessions
and revokes the user's API tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from demo import loader
from org import services
from tests import factories
from tests.browser import open_site_menu

DEMO_ACCOUNTS = loader.load().org.accounts

CHANGE = "/accounts/password/"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
NEW = "Xin-Mima-2026-zj"


def change(client, old=factories.PASSWORD, new1=NEW, new2=None):
    return client.post(
        CHANGE, {"old_password": old, "new_password1": new1, "new_password2": new2 or new1}
    )


def test_eleven_characters_are_too_few_and_twelve_are_enough(db):
    with pytest.raises(ValidationError, match="12"):
        validate_password("Xuexi@2026z")
    validate_password("Xuexi@2026zj")


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda account: account.username)
def test_every_demo_password_passes_the_rules(db, account):
    assert len(account.password) >= 12
    validate_password(account.password)


def test_the_page_needs_a_signed_in_user(client, db):
    response = client.get(CHANGE)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={CHANGE}"


def test_the_header_links_to_the_page_for_signed_in_users_only(client, learner):
    assert f'href="{CHANGE}"' not in client.get("/").content.decode()
    client.force_login(learner.user)
    assert f'href="{CHANGE}"' in client.get("/").content.decode()


def test_the_page_shows_the_rules_in_chinese(client, learner):
    client.force_login(learner.user)

    page = client.get(CHANGE).content.decode()

    assert "修改密码" in page
    assert "旧密码" in page
    assert "新密码须符合以下规则" in page
    assert "12 个字符" in page


def test_the_page_speaks_english_under_en(client, learner):
    client.force_login(learner.user)

    page = client.get("/en" + CHANGE).content.decode()

    assert "Change password" in page
    assert "at least 12 characters" in page


def test_a_wrong_old_password_is_refused_with_a_clear_error(client, learner):
    client.force_login(learner.user)

    response = change(client, old="not-my-password")

    assert response.status_code == 200
    page = response.content.decode()
    assert "密码未修改" in page
    assert "你的旧密码不正确" in page
    learner.user.refresh_from_db()
    assert learner.user.check_password(factories.PASSWORD)


def test_a_short_new_password_is_refused_with_the_rule_it_broke(client, learner):
    client.force_login(learner.user)

    response = change(client, new1="Short-2026")

    assert response.status_code == 200
    assert "密码长度太短。密码必须包含至少 12 个字符。" in response.content.decode()
    learner.user.refresh_from_db()
    assert learner.user.check_password(factories.PASSWORD)


def test_two_different_new_passwords_are_refused(client, learner):
    client.force_login(learner.user)

    response = change(client, new2=NEW + "x")

    assert response.status_code == 200
    assert "输入的两个密码不一致。" in response.content.decode()


def test_a_change_keeps_this_session_and_ends_the_others(client, learner):
    other_device = Client()
    other_device.post("/accounts/login/", {"username": "learner", "password": factories.PASSWORD})
    assert other_device.get("/").context["person"] == learner
    client.post("/accounts/login/", {"username": "learner", "password": factories.PASSWORD})

    response = change(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    done = client.get(response["Location"])
    assert "密码已修改" in done.content.decode()
    assert client.get("/").context["person"] == learner
    assert other_device.get("/").context["person"] is None
    request = RequestFactory().post("/")
    assert authenticate(request, username="learner", password=NEW) is not None


def test_a_change_revokes_every_api_token_of_the_user(client, learner, tree):
    _token, key = services.api_token_issue(user=learner.user, name="script")
    colleague = factories.person_create(unit=tree.xihu, username="colleague")
    _other, other_key = services.api_token_issue(user=colleague.user, name="theirs")
    assert (
        client.get("/api/v1/credits/summary/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    )
    client.force_login(learner.user)

    assert change(client).status_code == 302

    api = Client()
    assert api.get("/api/v1/credits/summary/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert (
        api.get("/api/v1/credits/summary/", HTTP_AUTHORIZATION=f"Token {other_key}").status_code
        == 200
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("language", "viewport"),
    [
        ("zh-hans", {"width": 1366, "height": 900}),
        ("zh-hans", {"width": 390, "height": 844}),
        ("en", {"width": 1366, "height": 900}),
        ("en", {"width": 390, "height": 844}),
    ],
)
def test_a_learner_changes_their_password_in_the_browser(
    learner, live_server, browser, language, viewport
):
    from django.db import connection

    connection.close()  # before Playwright's event loop: see tests/conftest.py's browser
    prefix = "" if language == "zh-hans" else "/en"
    words = {
        "zh-hans": {"link": "修改密码", "done": "密码已修改"},
        "en": {"link": "Change password", "done": "Password changed"},
    }[language]
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    refusals: list[str] = []
    page.on("console", lambda m: refusals.append(m.text) if "Refused" in m.text else None)
    page.goto(f"{live_server.url}{prefix}/accounts/login/")
    page.locator("#id_username").fill("learner")
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{prefix}/")

    page.goto(f"{live_server.url}{prefix}/")
    open_site_menu(page)
    page.get_by_role("link", name=words["link"]).click()
    page.locator("#id_old_password").fill(factories.PASSWORD)
    page.locator("#id_new_password1").fill("Short-2026")
    page.locator("#id_new_password2").fill("Short-2026")
    page.locator("main button[type=submit]").click()
    page.locator(".field-errors").first.wait_for()
    name = f"password-change-{language}-{viewport['width']}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-error.png"), full_page=True)
    assert "12" in page.locator(".field-errors").first.inner_text()

    page.locator("#id_old_password").fill(factories.PASSWORD)
    page.locator("#id_new_password1").fill(NEW)
    page.locator("#id_new_password2").fill(NEW)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{prefix}/accounts/password/done/")
    assert words["done"] in page.locator("h1").inner_text()
    page.screenshot(path=str(SCREENSHOTS / f"{name}-done.png"), full_page=True)
    context.close()
    assert refusals == []
