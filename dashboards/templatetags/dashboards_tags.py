"""Formatting of dashboard figures: one way to print a rate, a change and a sort link."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()

DASH = "—"


@register.filter
def rate(value: Decimal | None) -> str:
    """57.3% or — for nobody."""
    return DASH if value is None else f"{value}%"


@register.filter
def number(value: Any) -> str:
    return DASH if value is None else str(value)


@register.filter
def meter_value(value: Decimal | None) -> str:
    return "0" if value is None else str(value)


@register.simple_tag
def change(now: Any, before: Any, name: str, unit: str = "") -> str:
    """The change of the figure ``name`` from ``before`` (last year's Figures, or None when
    there is no data) to ``now``, in arrows and numbers, never by colour alone."""
    current = getattr(now, name, None)
    before = getattr(before, name, None) if before is not None else None
    if not isinstance(current, Decimal | int) or not isinstance(before, Decimal | int):
        return _("no comparison")
    difference = Decimal(current) - Decimal(before)
    if difference == 0:
        return _("same as last year")
    arrow = "▲" if difference > 0 else "▼"
    # A rate changes by percentage points (个百分点), not by per cent of itself.
    suffix = pgettext("change of a rate", " percentage points") if unit == "%" else unit
    shown = f"{abs(difference)}{suffix}"
    return f"{arrow} {shown}"


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current page's query string with some parameters changed ('' drops one)."""
    request = context["request"]
    params = {key: value for key, value in request.GET.items() if key != "page"}
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


@register.simple_tag(takes_context=True)
def sort_query(context: Any, key: str) -> str:
    """The link of a sortable column: descending first, a second click ascending."""
    current, descending = context.get("sort_key"), context.get("descending")
    wanted = key if (current == key and descending) else f"-{key}"
    return query(context, sort=wanted)


@register.simple_tag(takes_context=True)
def sort_state(context: Any, key: str) -> str:
    """aria-sort of a column header."""
    if context.get("sort_key") != key:
        return "none"
    return "descending" if context.get("descending") else "ascending"
