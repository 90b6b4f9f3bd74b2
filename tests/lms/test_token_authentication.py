"""API clients sign every request with a DRF token (``Authorization: Token <key>``)."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_in_its_user(learner):
    token = Token.objects.create(user=learner.user)

    response = client_with(token.key).get("/api/v1/attempts/")

    assert response.status_code == 200
    assert response.json() == []


# Refusals are 403, not 401: DRF answers 401 only when the first authentication class
# (here the session, for the portal's own pages) names a WWW-Authenticate scheme.


def test_an_unknown_token_is_refused(learner):
    Token.objects.create(user=learner.user)

    response = client_with("0" * 40).get("/api/v1/attempts/")

    assert response.status_code == 403
    assert response.json()["detail"] == "认证令牌无效。"


def test_the_token_of_a_deactivated_account_is_refused(learner):
    token = Token.objects.create(user=learner.user)
    learner.user.is_active = False
    learner.user.save(update_fields=["is_active"])

    response = client_with(token.key).get("/api/v1/attempts/")

    assert response.status_code == 403
    assert response.json()["detail"] == "用户未激活或已删除。"


def test_a_deleted_token_no_longer_works(learner):
    token = Token.objects.create(user=learner.user)
    key = token.key
    token.delete()

    assert client_with(key).get("/api/v1/attempts/").status_code == 403


def test_the_signed_in_user_is_the_whole_account(learner):
    # The user is built from one statement; what views read of it must be its real values.
    token = Token.objects.create(user=learner.user)
    client = client_with(token.key)

    response = client.get("/api/v1/attempts/")

    assert response.status_code == 200
    user = response.wsgi_request.user
    assert isinstance(user, User)
    assert (user.pk, user.username, user.is_active) == (learner.user.pk, "learner", True)
    assert user.date_joined == learner.user.date_joined
