"""API clients sign every request with a token (``Authorization: Token <key>``), checked by one
hand-written statement (lms/authentication.py) that must agree with the ORM's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from lms import authentication
from org import services
from org.models import ApiToken

# The owner's list of tokens: any endpoint that needs a signed-in user would do.
TOKENS = "/api/v1/auth/tokens/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_in_its_user(learner):
    _token, key = services.api_token_issue(user=learner.user, name="script")

    response = client_with(key).get(TOKENS)

    assert response.status_code == 200
    assert [token["name"] for token in response.json()] == ["script"]


def test_an_unknown_token_is_refused_with_401_and_the_scheme_to_use(learner):
    services.api_token_issue(user=learner.user, name="script")

    response = client_with("0" * 43).get(TOKENS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "认证令牌无效。"}


def test_a_request_without_credentials_is_401(db):
    response = APIClient().get(TOKENS)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_the_token_of_a_deactivated_account_is_refused(learner):
    _token, key = services.api_token_issue(user=learner.user, name="script")
    learner.user.is_active = False
    learner.user.save(update_fields=["is_active"])

    response = client_with(key).get(TOKENS)

    assert response.status_code == 401
    assert response.json() == {"detail": "用户未激活或已删除。"}


def test_a_revoked_token_no_longer_works(learner):
    token, key = services.api_token_issue(user=learner.user, name="script")
    assert client_with(key).get(TOKENS).status_code == 200

    services.api_token_revoke(token=token, reason="test")

    response = client_with(key).get(TOKENS)
    assert response.status_code == 401
    assert response.json() == {"detail": "认证令牌无效。"}


def test_a_token_expires_api_token_days_after_it_was_issued(learner, settings, monkeypatch):
    settings.API_TOKEN_DAYS = 30
    _token, key = services.api_token_issue(user=learner.user, name="script")
    issued = timezone.now()
    real_now = timezone.now

    monkeypatch.setattr(timezone, "now", lambda: issued + timedelta(days=30, minutes=-1))
    assert client_with(key).get(TOKENS).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: issued + timedelta(days=30, minutes=1))
    response = client_with(key).get(TOKENS)
    assert response.status_code == 401
    assert response.json() == {"detail": "认证令牌无效。"}

    monkeypatch.setattr(timezone, "now", real_now)
    assert client_with(key).get(TOKENS).status_code == 200


def test_the_signed_in_user_is_the_whole_account(learner):
    # The user is built from one statement; what views read of it must be its real values.
    token, key = services.api_token_issue(user=learner.user, name="script")

    response = client_with(key).get(TOKENS)

    assert response.status_code == 200
    user = response.wsgi_request.user
    assert isinstance(user, User)
    assert (user.pk, user.username, user.is_active) == (learner.user.pk, "learner", True)
    assert user.date_joined == learner.user.date_joined
    assert user.last_login == learner.user.last_login


def test_one_statement_checks_a_token_and_reads_its_user(learner):
    _token, key = services.api_token_issue(user=learner.user, name="script")
    client_with(key).get("/api/v1/auth/tokens/")  # warm the resolver and the statement

    with CaptureQueriesContext(connection) as queries:
        response = client_with(key).get("/api/v1/auth/tokens/")

    assert response.status_code == 200
    touching_users = [q["sql"] for q in queries.captured_queries if "auth_user" in q["sql"]]
    assert len(touching_users) == 1
    assert "org_apitoken" in touching_users[0]


@pytest.fixture
def tokens(learner, xihu_hr):
    """A live, an expired, a revoked token and one of a deactivated login."""
    live, live_key = services.api_token_issue(user=learner.user, name="live")
    expired, expired_key = services.api_token_issue(user=learner.user, name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_key = services.api_token_issue(user=learner.user, name="revoked")
    services.api_token_revoke(token=revoked, reason="test")
    inactive, inactive_key = services.api_token_issue(user=xihu_hr.user, name="inactive")
    User.objects.filter(pk=xihu_hr.user.pk).update(is_active=False)
    return [live_key, expired_key, revoked_key, inactive_key, "unknown-key"]


def test_the_statement_and_the_orm_give_the_same_answers(tokens):
    user_fields = [f.attname for f in User._meta.concrete_fields]
    now = timezone.now()
    for key in tokens:
        key_hash = ApiToken.hash_key(key)
        fast = authentication.live_token_sql(key_hash, now)
        ordinary = authentication.live_token_orm(key_hash, now)
        assert (fast is None) == (ordinary is None), key
        if fast is None or ordinary is None:
            continue
        (fast_user, fast_token), (user, token) = fast, ordinary
        assert [getattr(fast_user, f) for f in user_fields] == [
            getattr(user, f) for f in user_fields
        ]
        assert (fast_token.pk, fast_token.user_id, fast_token.expires_at) == (
            token.pk,
            token.user_id,
            token.expires_at,
        )
    assert [
        authentication.live_token_sql(ApiToken.hash_key(k), now) is not None for k in tokens
    ] == [
        True,
        False,
        False,
        True,  # found; the inactive user is refused afterwards, with DRF's message
        False,
    ]


def test_the_fast_path_is_the_one_in_use_on_the_django_it_was_written_for():
    import django

    assert authentication.FAST_PATH == (django.VERSION[:2] == authentication.WRITTEN_FOR_DJANGO)
