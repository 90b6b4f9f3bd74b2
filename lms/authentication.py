"""DRF token authentication in one hand-written statement.

Every request of an exam sitting or a lesson's heartbeats carries a token
(bench/exam_load.py, bench/heartbeats.py). DRF's own check builds
``Token.objects.select_related("user").get(key=...)`` on each request, and compiling that
queryset cost more CPU than running it. Same rules and messages as DRF's: an unknown key or
an inactive user is refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user_model = get_user_model()
        fields: list[Any] = list(user_model._meta.concrete_fields)
        columns = ", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in fields)
        pk = connection.ops.quote_name(str(user_model._meta.pk.column))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {user_model._meta.db_table} u"
                f" JOIN {Token._meta.db_table} t ON t.user_id = u.{pk} WHERE t.key = %s",
                [key],
            )
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = user_model.from_db(
            connection.alias, [f.attname for f in fields], _converted(fields, row)
        )
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)


def _converted(fields: list[Any], row: tuple[Any, ...]) -> list[Any]:
    """Values as the ORM would give them (SQLite returns datetimes and booleans raw)."""
    values = []
    for field, value in zip(fields, row, strict=True):
        column = field.get_col("u")
        converters = connection.ops.get_db_converters(column)
        for converter in converters + column.get_db_converters(connection):
            value = converter(value, column, connection)
        values.append(value)
    return values
