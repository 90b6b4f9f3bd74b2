"""The one access surface of the portal: who is signed in, and what they may see.

Every view of courses, exams, certificates and the dashboards goes through one of these
instead of finding the person or checking scope itself:

- ``person_required``: a signed-in person (a learner at least); sets ``request.person``.
- ``hr_required``: an HR officer or platform administrator; sets ``request.person`` and
  ``request.scope``.
- ``permission_required_or_404(perm)``: staff pages in the Wagtail admin (trainers, HR).
- ``HasPerson``: the DRF permission for API views that act as the signed-in person.

Each answers 404 to anybody else, so a page outside one's role or scope does not even
admit that it exists. ``access(request)`` computes the person and the scope once per
request; ``request.scope.narrow(queryset, via=...)`` cuts any queryset to the scope.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from org.models import Person
from org.selectors import Scope, person_for_user, scope_of

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class PersonRequest(HttpRequest):
    """A request that passed ``person_required`` or ``hr_required``."""

    person: Person
    scope: Scope


class StaffRequest(HttpRequest):
    """A request that passed ``permission_required_or_404``: an administrator may have no
    personnel record."""

    person: Person | None
    scope: Scope


class PersonApiRequest(Request):
    """An API request that passed ``HasPerson``."""

    person: Person
    scope: Scope


_PERSON = "_access_person"
_SCOPE = "_access_scope"


def request_person(request: Any) -> Person | None:
    """The signed-in person (None without a personnel record), read once per request."""
    base = getattr(request, "_request", request)  # a DRF request wraps Django's
    if not hasattr(base, _PERSON):
        setattr(base, _PERSON, person_for_user(base.user))
    person: Person | None = getattr(base, _PERSON)
    return person


def request_scope(request: Any) -> Scope:
    """The scope of the request's user, read once per request."""
    base = getattr(request, "_request", request)
    if not hasattr(base, _SCOPE):
        setattr(base, _SCOPE, scope_of(base.user))
    scope: Scope = getattr(base, _SCOPE)
    return scope


def access(request: Any) -> tuple[Person | None, Scope]:
    """The signed-in person and their scope, set on the request as ``request.person`` and
    ``request.scope`` (the scope is read only when a view uses it)."""
    person = request_person(request)
    scope: Any = SimpleLazyObject(lambda: request_scope(request))
    base = getattr(request, "_request", request)
    for target in (request, base):
        target.person = person
        target.scope = scope
    return person, scope


def person_required(view: View) -> View:
    """A signed-in person: anonymous visitors go to sign in, logins without a personnel
    record get a 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        person, _scope = access(request)
        if person is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def hr_required(view: View) -> View:
    """An HR officer (their subtrees) or a platform administrator (everything); anybody
    else, learners and trainers included, gets a 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        person, scope = access(request)
        if person is None or not request_scope(request).manages_people:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def permission_required_or_404(permission: str) -> Callable[[View], View]:
    """Staff pages: the user needs ``permission``; without it the page does not exist.

    Sets ``request.scope`` too, so what the page lists can be cut to it.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise Http404
            access(request)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class HasPerson(BasePermission):
    """API views acting as the signed-in person: sets ``request.person`` and
    ``request.scope``; an anonymous request is refused (401), a login without a
    personnel record is a 404."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        person, _scope = access(request)
        if person is None:
            raise NotFound("No personnel record for this account.")
        return True
