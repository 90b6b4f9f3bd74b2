"""A user gets an API token with username and password, lists and revokes their own, and
signing out revokes them all; the key is shown once and never stored."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditRecord
from org import services
from org.models import ApiToken
from tests import factories

TOKENS = "/api/v1/auth/tokens/"


@pytest.fixture(autouse=True)
def own_address():
    """Each test asks from its own address, so rate limits and address lockouts never carry
    over. (Clearing the cache instead would disturb tests running in parallel on Redis.)"""
    number = uuid.uuid4().int
    return f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250}"


@pytest.fixture
def api(own_address):
    return APIClient(REMOTE_ADDR=own_address)


def issue(api, username="learner", password=factories.PASSWORD, name="成绩同步脚本"):
    return api.post(TOKENS, {"username": username, "password": password, "name": name})


def signed(key: str, address: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_user_gets_a_token_for_username_and_password(api, learner, own_address, settings):
    settings.API_TOKEN_DAYS = 30

    response = issue(api)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "成绩同步脚本"
    assert len(body["key"]) >= 40
    assert body["last_four"] == body["key"][-4:]
    expires = ApiToken.objects.get(pk=body["id"]).expires_at
    assert abs(expires - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert signed(body["key"], own_address).get(TOKENS).status_code == 200


def test_the_key_is_never_stored_or_listed(api, learner, own_address):
    key = issue(api).json()["key"]

    row = ApiToken.objects.values().get()
    assert key not in repr(row)
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    listing = signed(key, own_address).get(TOKENS)
    assert key not in listing.content.decode()
    assert "key" not in listing.json()[0]
    assert key not in repr(list(AuditRecord.objects.values()))


def test_a_wrong_password_gets_no_token(api, learner):
    response = issue(api, password="wrong-password-2026")

    assert response.status_code == 400
    assert response.json() == {"detail": "无法使用提供的认证信息登录。"}
    assert not ApiToken.objects.exists()


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(api, learner):
    response = issue(api, username="nobody")

    assert response.status_code == 400
    assert response.json() == {"detail": "无法使用提供的认证信息登录。"}


def test_a_deactivated_account_gets_no_token(api, learner):
    services.person_deactivate(person=learner)

    assert issue(api).status_code == 400
    assert not ApiToken.objects.exists()


def test_missing_fields_are_named_in_the_error(api, db):
    response = api.post(TOKENS, {"username": "learner"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"password", "name"}
    assert body["detail"].startswith("password: ")


def test_a_blank_name_is_refused(api, learner):
    response = issue(api, name="   ")

    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert not ApiToken.objects.exists()


def test_repeated_failures_lock_the_account_and_the_api_answers_in_json(api, learner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert [issue(api, password="wrong-password-2026").status_code for _ in range(2)] == [400, 400]

    locking = issue(api, password="wrong-password-2026")
    assert locking.status_code == 429
    assert locking["Content-Type"] == "application/json"
    assert "登录失败次数过多" in locking.json()["detail"]

    # The right password does not get through from that address while the lockout lasts;
    # the owner still gets a token from elsewhere (settings.AXES_LOCKOUT_PARAMETERS).
    locked = issue(api)
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.json()["detail"]
    assert not ApiToken.objects.exists()
    assert issue(APIClient(REMOTE_ADDR="192.0.2.77")).status_code == 201


def test_asking_for_many_tokens_from_one_address_is_throttled(api, learner):
    statuses = [issue(api, name=f"脚本{n}").status_code for n in range(11)]

    assert statuses == [201] * 10 + [429]
    assert ApiToken.objects.count() == 10


def test_the_owner_lists_only_live_tokens_and_sees_which_one_is_in_use(learner, own_address):
    current, key = services.api_token_issue(user=learner.user, name="在用")
    other, _key = services.api_token_issue(user=learner.user, name="另一台电脑")
    revoked, _key = services.api_token_issue(user=learner.user, name="已吊销")
    services.api_token_revoke(token=revoked, reason="test")
    expired, _key = services.api_token_issue(user=learner.user, name="已过期")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())

    listing = signed(key, own_address).get(TOKENS).json()

    assert [(t["id"], t["name"], t["current"]) for t in listing] == [
        (other.pk, "另一台电脑", False),
        (current.pk, "在用", True),
    ]


def test_the_owner_revokes_one_token(learner, own_address):
    doomed, doomed_key = services.api_token_issue(user=learner.user, name="旧脚本")
    _kept, kept_key = services.api_token_issue(user=learner.user, name="新脚本")
    client = signed(kept_key, own_address)

    assert client.delete(f"{TOKENS}{doomed.pk}/").status_code == 204

    assert signed(doomed_key, own_address).get(TOKENS).status_code == 401
    assert client.get(TOKENS).status_code == 200
    doomed.refresh_from_db()
    assert doomed.revoked_reason == "owner"
    again = client.delete(f"{TOKENS}{doomed.pk}/")
    assert again.status_code == 404
    assert again.json() == {"detail": "没有这个令牌。"}


def test_another_users_token_id_is_a_404_and_stays_live(learner, xihu_hr, own_address):
    theirs, their_key = services.api_token_issue(user=xihu_hr.user, name="人事脚本")
    _mine, my_key = services.api_token_issue(user=learner.user, name="我的脚本")

    response = signed(my_key, own_address).delete(f"{TOKENS}{theirs.pk}/")

    assert response.status_code == 404
    assert signed(their_key, own_address).get(TOKENS).status_code == 200


def test_an_id_too_large_for_the_database_is_a_404(learner, own_address):
    _token, key = services.api_token_issue(user=learner.user, name="脚本")

    response = signed(key, own_address).delete(f"{TOKENS}1180591620717411303424/")

    assert response.status_code == 404


def test_a_script_revokes_the_token_it_signs_with(learner, own_address):
    _token, key = services.api_token_issue(user=learner.user, name="一次性脚本")
    _other, other_key = services.api_token_issue(user=learner.user, name="常用脚本")

    assert signed(key, own_address).delete(f"{TOKENS}current/").status_code == 204

    assert signed(key, own_address).get(TOKENS).status_code == 401
    assert signed(other_key, own_address).get(TOKENS).status_code == 200


def test_revoking_the_current_token_of_a_browser_session_is_a_404(learner, own_address):
    client = APIClient(REMOTE_ADDR=own_address)
    client.force_login(learner.user)

    response = client.delete(f"{TOKENS}current/")

    assert response.status_code == 404
    assert response.json() == {"detail": "此请求未使用 API 令牌签名。"}


def test_a_browser_session_revoking_a_token_needs_the_csrf_token(learner, own_address):
    token, _key = services.api_token_issue(user=learner.user, name="脚本")
    client = APIClient(REMOTE_ADDR=own_address, enforce_csrf_checks=True)
    client.force_login(learner.user)

    response = client.delete(f"{TOKENS}{token.pk}/")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_signing_out_revokes_every_token_of_the_user(client, learner, xihu_hr, own_address):
    tokens = [services.api_token_issue(user=learner.user, name=f"脚本{n}") for n in range(2)]
    _theirs, their_key = services.api_token_issue(user=xihu_hr.user, name="人事脚本")
    client.force_login(learner.user)

    client.post("/accounts/logout/")

    for token, key in tokens:
        assert signed(key, own_address).get(TOKENS).status_code == 401
        token.refresh_from_db()
        assert token.revoked_reason == "sign-out"
    assert signed(their_key, own_address).get(TOKENS).status_code == 200


def test_user_tokens_revoke_counts_only_live_tokens(learner):
    for n in range(3):
        services.api_token_issue(user=learner.user, name=f"脚本{n}")
    expired = ApiToken.objects.first()
    assert expired is not None
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())

    assert services.user_tokens_revoke(user=learner.user, reason="password-change") == 2
    assert services.user_tokens_revoke(user=learner.user, reason="password-change") == 0


def test_issuing_and_revoking_are_in_the_audit_trail(api, learner, own_address):
    body = issue(api).json()
    signed(body["key"], own_address).delete(f"{TOKENS}current/")

    records = list(AuditRecord.objects.filter(action__startswith="token.").order_by("id"))

    assert [r.action for r in records] == ["token.issue", "token.revoke"]
    for record in records:
        assert record.object_id == str(body["id"])
        assert record.actor_user_id == learner.user.pk
        assert record.subject_path == learner.org_unit.path
        assert record.ip == own_address
    assert records[1].note == "owner"
