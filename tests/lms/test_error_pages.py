"""The error pages are the portal's own: in the page's language, with a way back, and never
a traceback, with DEBUG off as in production."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.lms.error_urls")]

# (path, status, Chinese heading, English heading)
CASES = [
    ("/no-such-page/", 404, "页面不存在", "Page not found"),
    ("/test-errors/403/", 403, "无权访问", "Access denied"),
    ("/test-errors/400/", 400, "请求有误", "Bad request"),
    ("/test-errors/500/", 500, "服务器错误", "Server error"),
]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False


@pytest.fixture
def quiet_error_log(caplog):
    # The deliberate failures are logged as errors; that is the behaviour, not noise to show.
    caplog.set_level(logging.CRITICAL, logger="django.request")
    caplog.set_level(logging.CRITICAL, logger="django.security")


def get(path: str) -> Any:
    return Client(raise_request_exception=False).get(path)


@pytest.mark.parametrize(("path", "status", "chinese", "english"), CASES)
def test_each_error_page_is_the_portals_own_in_chinese(
    production, quiet_error_log, path, status, chinese, english
):
    response = get(path)

    assert response.status_code == status
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert f"<h1>{chinese}</h1>" in body
    assert english not in body
    assert '<a href="/">返回首页</a>' in body
    assert "Traceback" not in body and "SECRET-DETAIL" not in body
    assert "公务员网络学院" in body  # the site's own page, not Django's plain one


@pytest.mark.parametrize(("path", "status", "chinese", "english"), CASES)
def test_each_error_page_is_in_english_under_en(
    production, quiet_error_log, path, status, chinese, english
):
    response = get("/en" + path)

    assert response.status_code == status
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert f"<h1>{english}</h1>" in body
    assert chinese not in body
    assert '<a href="/en/">Back to the home page</a>' in body
    assert "/en/accounts/login/" in body
    assert "Traceback" not in body and "SECRET-DETAIL" not in body


def test_a_signed_in_user_gets_the_404_with_the_sites_navigation(production, client, learner):
    client.force_login(learner.user)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "我的学习" in body and "退出登录" in body
    assert "/accounts/login/" not in body  # already signed in: no sign-in link


def test_an_anonymous_visitor_gets_a_sign_in_link_that_comes_back(production, client):
    response = client.get("/no-such-page/")

    assert 'href="/accounts/login/?next=/no-such-page/"' in response.content.decode()


def test_a_form_sent_without_its_csrf_token_gets_the_portals_page(production):
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "learner", "password": "x"}
    )

    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>表单已失效</h1>" in body
    assert "CSRF" not in body  # Django's page names the mechanism; ours tells what to do


def test_an_unknown_host_gets_the_400_page(production, quiet_error_log):
    response = Client().get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert "<h1>请求有误</h1>" in response.content.decode()
