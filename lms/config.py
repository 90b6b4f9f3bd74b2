"""Strict reading of the environment for settings.py.

django-environ parses URLs well but forgives too much: ``DEBUG=ture`` silently means False.
Every value here is checked, and a wrong one stops start-up with one sentence (a
``SystemExit`` carrying the message, so Python prints it without a traceback).
"""

from __future__ import annotations

import os
import re
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


def text(name: str, default: str, *, max_length: int) -> str:
    """One line of printable text (a name printed on documents), at most ``max_length``."""
    value = raw(name) or default
    if len(value) > max_length:
        raise ConfigError(f"{name} is {len(value)} characters long; at most {max_length}.")
    if not value.isprintable():
        raise ConfigError(f"{name}={value!r} holds a line break or a control character.")
    return value


def matching(name: str, default: str, pattern: str, describe: str) -> str:
    """A value that must match ``pattern`` in full; ``describe`` says what is expected."""
    value = raw(name) or default
    if not re.fullmatch(pattern, value):
        raise ConfigError(f"{name}={value!r} is not {describe}.")
    return value


def base_url(name: str, default: str) -> str:
    """The site's public address: http(s)://host[:port], no path, query or fragment;
    returned without a trailing slash."""
    value = raw(name) or default
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- reading it checks the port (a number, 0 to 65535)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a URL with a valid port.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name}={value!r} is not an address like https://elearning.example.gov.cn or "
            "http://127.0.0.1:8000."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"{name}={value!r} must be the site's root address only: no path, query, "
            "fragment or user name."
        )
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


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
