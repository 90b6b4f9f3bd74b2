"""API token authentication (``Authorization: Token <key>``) in one hand-written statement.

Every request of an exam sitting or a lesson's heartbeats carries a token
(bench/exam_load.py, bench/heartbeats.py). The ORM's
``ApiToken.objects.select_related("user").filter(...)`` on each request cost more CPU to
compile than to run, so the live token and its user are read by one statement written
against Django 5.2's SQL compiler conventions (quoting, column converters). Under any other
Django version the ordinary ORM query runs instead; tests/lms/test_token_authentication.py
compares both on the same tokens.

Only the key's SHA-256 is stored (``org.models.ApiToken``): the key is hashed here and the
hash looked up. An unknown, expired or revoked key gets DRF's own "Invalid token." (401), so
a client cannot tell which; an inactive user gets DRF's "User inactive or deleted.".
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import django
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from org.models import ApiToken

WRITTEN_FOR_DJANGO = (5, 2)
FAST_PATH = django.VERSION[:2] == WRITTEN_FOR_DJANGO

# The token's columns the statement reads; the rest of the row stays deferred.
TOKEN_FIELDS = ("id", "user_id", "key_hash", "expires_at")


class TokenAuthentication(authentication.TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        key_hash = ApiToken.hash_key(key)
        now = timezone.now()
        found = live_token_sql(key_hash, now) if FAST_PATH else live_token_orm(key_hash, now)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token


def live_token_orm(key_hash: str, now: datetime) -> tuple[Any, ApiToken] | None:
    """The ordinary path: the live token with this hash and its user, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    return None if token is None else (token.user, token)


def live_token_sql(key_hash: str, now: datetime) -> tuple[Any, ApiToken] | None:
    """The same answer as ``live_token_orm`` from one hand-written statement."""
    sql, user_fields, token_fields = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    user_values = _converted(user_fields, row[: len(user_fields)], "u")
    token_values = _converted(token_fields, row[len(user_fields) :], "t")
    user_model = get_user_model()
    user = user_model.from_db(connection.alias, [f.attname for f in user_fields], user_values)
    token = ApiToken.from_db(connection.alias, list(TOKEN_FIELDS), token_values)
    token.user = user
    return user, token


@functools.cache
def _statement() -> tuple[str, list[Any], list[Any]]:
    """The statement and the fields it reads, built once per process."""
    user_model = get_user_model()
    user_fields: list[Any] = list(user_model._meta.concrete_fields)
    token_fields: list[Any] = [ApiToken._meta.get_field(name) for name in TOKEN_FIELDS]
    quote = connection.ops.quote_name
    token_columns = {f.name: str(f.column) for f in ApiToken._meta.concrete_fields}

    def token_column(name: str) -> str:
        return "t." + quote(token_columns[name])

    columns = ", ".join(
        [f"u.{quote(f.column)}" for f in user_fields]
        + [f"t.{quote(f.column)}" for f in token_fields]
    )
    sql = (
        f"SELECT {columns} FROM {quote(user_model._meta.db_table)} u"
        f" JOIN {quote(ApiToken._meta.db_table)} t"
        f" ON {token_column('user')} = u.{quote(str(user_model._meta.pk.column))}"
        f" WHERE {token_column('key_hash')} = %s AND {token_column('revoked_at')} IS NULL"
        f" AND {token_column('expires_at')} > %s"
    )
    return sql, user_fields, token_fields


def _converted(fields: list[Any], row: tuple[Any, ...], alias: str) -> list[Any]:
    """Values as the ORM would give them (SQLite returns datetimes and booleans raw)."""
    values = []
    for field, value in zip(fields, row, strict=True):
        column = field.get_col(alias)
        converters = connection.ops.get_db_converters(column)
        for converter in converters + column.get_db_converters(connection):
            value = converter(value, column, connection)
        values.append(value)
    return values
