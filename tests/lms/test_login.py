"""Signing in, the learner's home page, lockout by address and by account at that address,
its unlock, and the idle timeout."""

from __future__ import annotations

import io
import logging
import time

import pytest
from django.core.management import call_command
from django.test import Client

from org import services
from tests import factories

LOGIN = "/accounts/login/"


def sign_in(client, username: str, password: str = factories.PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture(autouse=True)
def fresh_lockouts(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def test_the_sign_in_page_speaks_chinese(client, db):
    response = client.get(LOGIN)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page
    assert "用户名" in page
    assert "密码" in page


def test_the_english_sign_in_page_lives_under_en(client, db):
    page = client.get("/en" + LOGIN).content.decode()

    assert '<html lang="en">' in page
    assert "Sign in" in page


def test_a_learner_signs_in_and_sees_name_unit_and_role(client, learner):
    response = sign_in(client, "learner", follow=True)

    assert response.redirect_chain[-1][0] == "/"
    page = response.content.decode()
    assert "张晓明" in page
    assert "信息化科" in page
    assert "浙江省 › 杭州市 › 西湖区 › 西湖区数据资源管理局 › 信息化科" in page
    assert "学员" in page
    assert "二级主任科员" in page


def test_an_hr_officer_sees_the_subtree_they_are_responsible_for(client, hangzhou_hr):
    page = sign_in(client, "hzhr", follow=True).content.decode()

    assert "人事专员" in page
    assert "负责范围" in page


def test_a_wrong_password_shows_an_error_and_keeps_the_visitor_out(client, learner):
    response = sign_in(client, "learner", "wrong-password")

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_home_page_greets_visitors_with_a_sign_in_link(client, db):
    page = client.get("/").content.decode()

    assert 'href="/accounts/login/?next=/"' in page
    assert "公务员网络学院" in page


def test_guessing_one_password_locks_the_guessing_address_out_of_that_account_and_logs_it(
    client, learner, caplog, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    caplog.set_level(logging.WARNING, logger="axes")

    for _ in range(3):
        sign_in(client, "learner", "wrong-password", REMOTE_ADDR="10.1.1.1")
    # Now even the right password is refused from that address...
    response = sign_in(client, "learner", REMOTE_ADDR="10.1.1.1")

    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    lockouts = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert lockouts
    assert 'username: "learner"' in lockouts[0]
    assert 'ip_address: "10.1.1.1"' in lockouts[0]
    assert "wrong-password" not in caplog.text


def test_the_real_user_still_signs_in_from_another_address_while_an_attacker_is_locked(
    client, learner, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(5):
        sign_in(client, "learner", "wrong-password", REMOTE_ADDR="10.1.1.1")

    response = sign_in(client, "learner", REMOTE_ADDR="10.2.2.2")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.user.pk)
    # ...and signing in there did not unlock the attacker's address.
    client.logout()
    assert sign_in(client, "learner", REMOTE_ADDR="10.1.1.1").status_code == 429


def test_brute_force_from_one_address_locks_that_address_for_every_account(
    client, tree, learner, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    factories.person_create(unit=tree.xihu, username="colleague")

    for username in ("guess1", "guess2", "guess3"):
        sign_in(client, username, "wrong-password", REMOTE_ADDR="10.3.3.3")

    assert sign_in(client, "colleague", REMOTE_ADDR="10.3.3.3").status_code == 429
    assert sign_in(client, "colleague", REMOTE_ADDR="10.4.4.4").status_code == 302


def test_signing_in_with_one_valid_account_does_not_wipe_an_address_spraying_others(
    client, tree, learner, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    for username in ("guess1", "guess2"):
        sign_in(client, username, "wrong-password", REMOTE_ADDR="10.5.5.5")
    # The sprayer holds one account of their own and signs in with it between guesses.
    assert sign_in(client, "learner", REMOTE_ADDR="10.5.5.5").status_code == 302
    client.logout()
    sign_in(client, "guess3", "wrong-password", REMOTE_ADDR="10.5.5.5")

    assert sign_in(client, "learner", REMOTE_ADDR="10.5.5.5").status_code == 429


def test_a_successful_sign_in_forgets_that_accounts_earlier_typos_from_that_address(
    client, learner, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        sign_in(client, "learner", "wrong-password", REMOTE_ADDR="10.6.6.6")
    assert sign_in(client, "learner", REMOTE_ADDR="10.6.6.6").status_code == 302
    client.logout()

    # Two more typos later do not add up with the two before the successful sign-in.
    for _ in range(2):
        sign_in(client, "learner", "wrong-password", REMOTE_ADDR="10.6.6.6")
    assert sign_in(client, "learner", REMOTE_ADDR="10.6.6.6").status_code == 302


def test_an_administrator_unlocks_a_locked_address_in_the_django_admin(
    client, learner, platform_admin, settings
):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "learner", "wrong-password", REMOTE_ADDR="10.7.7.7")
    assert sign_in(client, "learner", REMOTE_ADDR="10.7.7.7").status_code == 429
    attempt = AccessAttempt.objects.get(username="learner", ip_address="10.7.7.7")

    admin = Client()
    admin.force_login(platform_admin.user)
    listing = admin.get("/django-admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "10.7.7.7" in listing.content.decode()
    response = admin.post(
        "/django-admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302

    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "learner", REMOTE_ADDR="10.7.7.7").status_code == 302


@pytest.mark.parametrize(
    ("command", "argument"),
    [("axes_reset_username", "learner"), ("axes_reset_ip", "10.8.8.8")],
)
def test_the_unlock_commands_lift_a_lockout(client, learner, settings, command, argument):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "learner", "wrong-password", REMOTE_ADDR="10.8.8.8")
    assert sign_in(client, "learner", REMOTE_ADDR="10.8.8.8").status_code == 429

    call_command(command, argument, stdout=io.StringIO())

    assert sign_in(client, "learner", REMOTE_ADDR="10.8.8.8").status_code == 302


def test_the_session_ends_after_the_idle_timeout(client, learner, settings):
    settings.SESSION_COOKIE_AGE = 2
    sign_in(client, "learner")
    assert client.get("/").context["person"] == learner

    # Each request pushes the expiry forward by the idle timeout...
    time.sleep(1.2)
    assert client.get("/").context["person"] == learner
    time.sleep(1.2)
    assert client.get("/").context["person"] == learner
    # ...and idling past it ends the session on the server.
    time.sleep(2.5)
    assert client.get("/").context["person"] is None


def test_signing_out_needs_a_post(client, learner):
    sign_in(client, "learner")

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_deactivated_learner_cannot_sign_in(client, learner):
    services.person_deactivate(person=learner)

    assert sign_in(client, "learner").status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_home_page_stays_within_a_fixed_number_of_queries(
    client, learner, django_assert_max_num_queries
):
    sign_in(client, "learner")
    # Wagtail's routing takes eight of these; the person, roles and unit path three more.
    with django_assert_max_num_queries(21):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize(("prefix", "home"), [("", "/"), ("/en", "/en/")])
def test_a_signed_in_user_opening_the_sign_in_page_goes_home_in_its_language(
    client, learner, prefix, home
):
    client.force_login(learner.user)
    response = client.get(f"{prefix}/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == home


def test_a_next_page_still_wins_after_signing_in(client, learner):
    response = client.post(
        "/en/accounts/login/",
        {"username": learner.user.username, "password": factories.PASSWORD, "next": "/exams/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/exams/"
