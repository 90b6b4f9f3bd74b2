"""Reads of the organisation, and the access scope every list, export and API starts from.

The rule: a platform administrator sees everyone; an HR officer sees the subtrees of the
units they are assigned to; anybody else sees only themselves. Filters applied afterwards
can only narrow these querysets, and a view looks objects up in them, so anything outside
the scope is a 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from org.models import OrgUnit, Person, Role, RoleAssignment


def person_for_user(user: Any) -> Person | None:
    """The person behind a login, with the unit loaded, or None (anonymous, or no record)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.select_related("org_unit").filter(user_id=user.pk).first()


@dataclass(frozen=True)
class PersonRoles:
    roles: list[Role]  # learner first, each role once
    hr_scopes: list[OrgUnit]  # the subtrees the person is HR officer for, by path


def person_roles(person: Person) -> PersonRoles:
    """The roles a person holds and the units an HR officer answers for, in one query."""
    assignments = list(person.role_assignments.select_related("org_unit"))
    granted = {assignment.role for assignment in assignments}
    scopes = [a.org_unit for a in assignments if a.role == Role.HR_OFFICER and a.org_unit]
    return PersonRoles(
        roles=[Role.LEARNER, *(role for role in Role if role in granted)],
        hr_scopes=sorted(scopes, key=lambda unit: unit.path),
    )


def org_unit_ancestry(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the root down, then the unit: one query, from its path."""
    steps = range(unit.steplen, len(unit.path) + 1, unit.steplen)
    return list(
        OrgUnit.objects.filter(path__in=[unit.path[:end] for end in steps]).order_by("path")
    )


def is_platform_admin(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(person__user_id=user.pk, role=Role.PLATFORM_ADMIN).exists()


def scope_roots(user: Any) -> list[OrgUnit] | None:
    """The subtree roots a user may see: None means the whole tree, [] means none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if is_platform_admin(user):
        return None
    units = OrgUnit.objects.filter(
        role_assignments__person__user_id=user.pk,
        role_assignments__role=Role.HR_OFFICER,
        role_assignments__person__is_active=True,
    ).order_by("path")
    return _outermost(units)


def subtree_q(units: Iterable[OrgUnit], *, field: str = "") -> Q:
    """A filter matching rows in the subtrees of ``units``; ``field`` leads to an OrgUnit.

    With no units it matches nothing (never everything: an empty OR would).
    """
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    condition = Q(pk__in=[])
    for unit in units:
        condition |= Q(**{lookup: unit.path})
    return condition


def visible_org_units(user: Any) -> QuerySet[OrgUnit]:
    """Organisation units the user may see and filter by."""
    roots = scope_roots(user)
    units = OrgUnit.objects.order_by("path")
    if roots is None:
        return units
    return units.filter(subtree_q(roots))


def visible_people(user: Any) -> QuerySet[Person]:
    """People the user may see: the root of every people list, export and API.

    An administrator sees everyone, an HR officer the people of their subtrees, anybody
    else only themselves. Ordered by unit, then employee number: HR lists read by
    department, and PostgreSQL serves a first page of that order straight from the path
    index (bench/visible_people.py).
    """
    people = Person.objects.select_related("org_unit", "user").order_by(
        "org_unit__path", "employee_number"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return people.none()
    roots = scope_roots(user)
    if roots is None:
        return people
    if not roots:
        return people.filter(user_id=user.pk)
    # Only path prefixes: OR-ing "or me" across the join would make PostgreSQL read
    # every person in the province.
    return people.filter(subtree_q(roots, field="org_unit"))


def _outermost(units: Iterable[OrgUnit]) -> list[OrgUnit]:
    """Drop units that lie inside another unit of the list; units must come sorted by path."""
    kept: list[OrgUnit] = []
    for unit in units:
        if not any(unit.path.startswith(outer.path) for outer in kept):
            kept.append(unit)
    return kept


def hr_person_for(user: Any) -> Person | None:
    """The signed-in HR officer or administrator behind a request; None for anybody else."""
    person = person_for_user(user)
    if person is None or scope_roots(user) == []:
        return None
    return person
