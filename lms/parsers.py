"""The API's JSON parser: size and nesting depth checked before decoding, numbers while decoding.

Python's json decoder recurses once per ``[`` or ``{``: a body of ``[[[[...`` 100,000 deep
raises RecursionError inside it, which DRF does not catch (a 500). So the body's size is
checked first, then a linear scan of its bytes that skips string contents counts the
nesting, and only a body that passes both reaches ``json.loads``. While decoding, numbers
that no endpoint of ours can store are refused too: integers outside PostgreSQL's bigint,
NaN, Infinity and floats that overflow to infinity (``1e999``); so are duplicate keys, which
two JSON readers may resolve differently, and text no database column can hold (NUL, lone
surrogates).

Written against djangorestframework 3.18: DRF reads ``request.body`` (bounded by Django's
DATA_UPLOAD_MAX_MEMORY_SIZE) for every subclass of its JSONParser, so the body stays readable
by the view after parsing; this parser keeps that by subclassing it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError

DEFAULT_MAX_BYTES = 64 * 1024
DEFAULT_MAX_DEPTH = 20
# PostgreSQL's bigint: the widest integer column (primary keys) of any model.
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1

# A complete string (escapes included), a bracket, or a quote that opens a string never
# closed. The string alternative is the unrolled loop, so it is linear in the string's length.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)
_OPENING = frozenset(b"[{")


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def max_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BYTES))


def max_depth() -> int:
    return int(getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH))


def nesting_depth(content: bytes, *, limit: int) -> int:
    """How deep arrays and objects nest, counting no further than ``limit + 1``.

    Brackets inside strings do not count. Unbalanced brackets are left for the decoder to
    report: this only has to bound the depth the decoder will see.
    """
    depth = deepest = 0
    for match in _TOKENS.finditer(content):
        token = match.group()
        if token == b'"':
            break  # an unterminated string: the decoder sees nothing nested after it
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif depth:
            depth -= 1
    return deepest


def json_decode(content: bytes) -> Any:
    """The value of a JSON body within our limits, or ParseError / BodyTooLarge saying why."""
    limit = max_bytes()
    if len(content) > limit:
        raise BodyTooLarge(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})
    deepest = max_depth()
    if nesting_depth(content, limit=deepest) > deepest:
        raise ParseError(
            _("The JSON body nests arrays and objects deeper than %(limit)s levels.")
            % {"limit": deepest}
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(_("The request body is not valid UTF-8 text.")) from None
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_integer,
            parse_float=_float,
            object_pairs_hook=_object,
        )
        _check_strings(value)
        return value
    except _Refused as refused:
        raise ParseError(str(refused)) from None
    except ValueError as error:  # JSONDecodeError, and int()'s digit limit
        raise ParseError(
            _("The request body is not valid JSON: %(error)s") % {"error": error}
        ) from None


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser with our limits: UTF-8 only, size, depth and number ranges."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = str((parser_context or {}).get("encoding") or "utf-8")
        # ASCII is a subset of UTF-8: some clients label plain bodies so.
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "ascii", "us-ascii"):
            raise ParseError(
                _("JSON bodies must be UTF-8 (RFC 8259), not %(charset)s.")
                % {"charset": encoding[:40]}
            )
        # Read one byte past the limit: enough to know the body is too large.
        content = stream.read(max_bytes() + 1) if stream is not None else b""
        return json_decode(content)


class _Refused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Refused(_("%(name)s is not a number JSON allows.") % {"name": name})


def _integer(digits: str) -> int:
    # 20 characters hold any bigint with its sign; longer is refused before int() runs.
    value = int(digits) if len(digits) <= 20 else None
    if value is None or not MIN_INTEGER <= value <= MAX_INTEGER:
        raise _Refused(_("The number %(number)s is out of range.") % {"number": _shortened(digits)})
    return value


def _float(digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        raise _Refused(_("The number %(number)s is out of range.") % {"number": _shortened(digits)})
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            raise _Refused(
                _("The key “%(key)s” appears twice in one object.") % {"key": _shortened(key)}
            )
        seen.add(key)
    return result  # not reached: the lengths differ only when a key repeats


def _check_strings(value: Any) -> None:
    """Refuse text no column can hold: NUL (PostgreSQL's text and jsonb refuse it, a 500)
    and lone surrogates (``"\\ud800"``, which cannot be encoded as UTF-8 to store it)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _Refused(_("Text in the body may not contain the NUL character (\\u0000)."))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused(
                _("Text in the body has a lone surrogate escape (\\ud800 to \\udfff).")
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
