"""Strict reading of the environment for settings.py.

django-environ parses URLs well but forgives too much: ``DEBUG=ture`` silently means False.
Every value here is checked, and a wrong one stops start-up with one sentence (a
``SystemExit`` carrying the message, so Python prints it without a traceback).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import environ

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
DATABASE_SCHEMES = frozenset({"sqlite", "postgres", "postgresql", "pgsql"})
BROKER_SCHEMES = frozenset({"redis", "rediss", "amqp", "pyamqp"})
REDIS_SCHEMES = frozenset({"redis", "rediss"})


class ConfigError(SystemExit):
    """A configuration mistake, reported as one sentence and exit status 1."""

    def __init__(self, sentence: str) -> None:
        super().__init__(f"Configuration error: {sentence}")


def raw(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def boolean(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(
        f"{name}={value!r} is not a yes/no value; use one of true, false, 1, 0, yes, no, on, off."
    )


def integer(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = raw(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number.") from None
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ConfigError(f"{name}={number} must be at least {minimum}{upper}.")
    return number


def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = raw(name) or default
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(allowed)}.")
    return value


def word_list(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def existing_file(name: str) -> str:
    """An absolute path to a readable file, or "" when the variable is unset."""
    value = raw(name)
    if not value:
        return ""
    if not os.path.isabs(value):
        raise ConfigError(f"{name}={value!r} is not an absolute path.")
    if not os.path.isfile(value) or not os.access(value, os.R_OK):
        raise ConfigError(f"{name}={value!r} is not a readable file.")
    return value


def redact(url: str) -> str:
    """The URL with its password replaced, safe to print in an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database(name: str, default: str) -> dict[str, object]:
    url = raw(name) or default
    scheme = urlsplit(url).scheme
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"{name} uses the scheme {scheme or '(none)'!r}; this portal runs on "
            "postgresql://user:password@host:5432/name or sqlite:////absolute/path.db."
        )
    config: dict[str, object] = environ.Env.db_url_config(url)
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigError(f"{name}={redact(url)!r} names no database after the host.")
    return config


def service_url(name: str, schemes: frozenset[str], example: str) -> str:
    url = raw(name)
    if not url:
        return ""
    scheme = urlsplit(url).scheme
    if scheme not in schemes:
        raise ConfigError(
            f"{name}={redact(url)!r} uses the scheme {scheme or '(none)'!r}; expected a URL "
            f"like {example}."
        )
    return url


EMAIL_SCHEMES = frozenset(
    {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"}
)


def email(name: str, default: str) -> dict[str, object]:
    url = raw(name) or default
    scheme = urlsplit(url).scheme
    if scheme not in EMAIL_SCHEMES:
        raise ConfigError(
            f"{name} uses the scheme {scheme or '(none)'!r}; expected "
            "smtp://user:password@host:587 or consolemail://."
        )
    config: dict[str, object] = environ.Env.email_url_config(url)
    return config
