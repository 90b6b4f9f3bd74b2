"""The absolute session lifetime: however busy, a session ends SESSION_ABSOLUTE_HOURS after
sign-in, and the sign-in page says why. The clock is moved, not waited for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.middleware import SIGNED_IN_AT
from tests import factories

LOGIN = "/accounts/login/"


@pytest.fixture
def clock(monkeypatch):
    """Django's clock, moved forward on demand (sessions, the middleware and axes read it)."""
    real_now = timezone.now
    offset = {"value": timedelta(0)}
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset["value"])

    def move(**delta: float) -> None:
        offset["value"] += timedelta(**delta)

    return move


@pytest.fixture(autouse=True)
def long_idle_timeout(settings):
    # Only the absolute lifetime is under test: the idle timeout must not end the session.
    settings.SESSION_COOKIE_AGE = 48 * 3600
    settings.SESSION_ABSOLUTE_HOURS = 12


def sign_in(client):
    response = client.post(LOGIN, {"username": "learner", "password": factories.PASSWORD})
    assert response.status_code == 302
    return response


def test_signing_in_records_the_sign_in_time_in_the_session(client, learner):
    before = timezone.now().timestamp()
    sign_in(client)

    assert before - 1 <= client.session[SIGNED_IN_AT] <= timezone.now().timestamp()


def test_a_busy_session_lives_until_the_absolute_lifetime(client, learner, clock):
    sign_in(client)

    for _ in range(11):
        clock(hours=1)
        assert client.get("/").context["person"] == learner
    clock(minutes=59)
    assert client.get("/").context["person"] == learner


def test_after_the_absolute_lifetime_the_user_is_signed_out_and_told_why(client, learner, clock):
    sign_in(client)
    clock(hours=6)
    assert client.get("/learning/").status_code == 200
    clock(hours=6, seconds=1)

    response = client.get("/learning/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/learning/"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "您登录已超过 12 小时，为保障账号安全已自动退出，请重新登录。" in page


def test_the_message_is_english_on_the_english_site(client, learner, clock):
    sign_in(client)
    clock(hours=13)

    response = client.get("/en/learning/")

    assert response["Location"] == "/en/accounts/login/?next=/en/learning/"
    page = client.get(response["Location"]).content.decode()
    assert "You have been signed out because you signed in more than 12 hours ago." in page


def test_signing_in_again_starts_a_new_lifetime(client, learner, clock):
    sign_in(client)
    clock(hours=13)
    client.get("/")

    sign_in(client)
    clock(hours=11)

    assert client.get("/").context["person"] == learner


def test_an_api_request_after_the_lifetime_gets_the_apis_refusal_not_a_page(client, learner, clock):
    sign_in(client)
    assert client.get("/api/v1/credits/summary/").status_code == 200
    clock(hours=12)

    response = client.get("/api/v1/credits/summary/")

    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert "_auth_user_id" not in client.session


def test_a_session_from_before_the_rule_starts_its_clock_at_its_next_request(
    client, learner, clock
):
    client.force_login(learner.user)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()

    assert client.get("/").context["person"] == learner
    clock(hours=11)
    assert client.get("/").context["person"] == learner
    clock(hours=1)
    assert client.get("/").status_code == 302


def test_the_lifetime_comes_from_the_environment_and_a_wrong_value_stops_start_up():
    from tests.lms.test_startup import assert_one_sentence, run

    shown = run(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_ABSOLUTE_HOURS)",
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="lms.settings",
        SESSION_ABSOLUTE_HOURS="8",
    )
    assert shown.stdout.strip() == "8", shown.stderr

    refused = run("manage.py", "check", DEBUG="true", SESSION_ABSOLUTE_HOURS="0")
    assert_one_sentence(refused, "SESSION_ABSOLUTE_HOURS=0 must be at least 1")
