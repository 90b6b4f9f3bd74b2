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


def org_unit_labels(
    units: Iterable[OrgUnit], *, roots: Iterable[OrgUnit] | None = None
) -> dict[int, str]:
    """Each unit's name with the path above it ("杭州市 / 市政府办公厅 / 办公室"), by pk:
    one query for all. Departments of many units have the same short names, so a flat
    list of names is ambiguous. The path starts at the deepest of ``roots`` above the unit
    (an officer's scope root), else at the top of the tree."""
    units = list(units)
    roots = list(roots or ())
    paths = {
        unit.path[:end]
        for unit in units
        for end in range(unit.steplen, len(unit.path) + 1, unit.steplen)
    }
    names = dict(OrgUnit.objects.filter(path__in=paths).values_list("path", "name"))
    labels = {}
    for unit in units:
        start = max(
            (len(root.path) - root.steplen for root in roots if unit.path.startswith(root.path)),
            default=0,
        )
        steps = range(start + unit.steplen, len(unit.path) + 1, unit.steplen)
        labels[unit.pk] = " / ".join(names.get(unit.path[:end], "…") for end in steps)
    return labels


@dataclass(frozen=True)
class Scope:
    """What one signed-in user may see of the tree: the one scoping rule of the portal.

    ``roots`` None is the whole tree (platform administrators); a tuple of units is an HR
    officer's subtrees; an empty tuple is nobody but oneself (learners, trainers). Every
    list, statistic, file and export narrows its queryset with ``narrow`` (a path prefix
    match, one indexed condition per root), so a filter parameter can only narrow further.
    """

    user_id: int | None
    roots: tuple[OrgUnit, ...] | None

    @property
    def everything(self) -> bool:
        return self.roots is None

    @property
    def manages_people(self) -> bool:
        """HR officers and administrators: the people of a subtree, not only themselves."""
        return self.roots is None or bool(self.roots)

    def path_q(self, lookup: str) -> Q:
        """Rows whose ``lookup`` (a materialised path) lies in the scope; never everything by
        accident: an empty scope matches nothing (an empty OR would match all)."""
        if self.roots is None:
            return Q()
        condition = Q(pk__in=[])
        for unit in self.roots:
            condition |= Q(**{f"{lookup}__startswith": unit.path})
        return condition

    def narrow(self, queryset: QuerySet[Any], *, via: str) -> QuerySet[Any]:
        """``queryset`` cut to the scope; ``via`` leads to an OrgUnit ("" for OrgUnits)."""
        if self.roots is None:
            return queryset
        return queryset.filter(self.path_q(f"{via}__path" if via else "path"))

    def covers(self, unit: OrgUnit) -> bool:
        if self.roots is None:
            return True
        return any(unit.path.startswith(root.path) for root in self.roots)

    def people(self) -> QuerySet[Person]:
        """People in scope; a learner sees only themselves. Ordered by unit, then employee
        number: HR lists read by department, and PostgreSQL serves a first page of that
        order straight from the path index (bench/visible_people.py)."""
        people = Person.objects.select_related("org_unit", "user").order_by(
            "org_unit__path", "employee_number"
        )
        if self.user_id is None:
            return people.none()
        if self.roots == ():
            return people.filter(user_id=self.user_id)
        # Only path prefixes: OR-ing "or me" across the join would make PostgreSQL read
        # every person in the province.
        return self.narrow(people, via="org_unit")

    def units(self) -> QuerySet[OrgUnit]:
        """Organisation units the user may see and filter by (none for a learner)."""
        return self.narrow(OrgUnit.objects.order_by("path"), via="")


NOBODY = Scope(user_id=None, roots=())


def scope_of(user: Any) -> Scope:
    """The scope of a login, read from the database in at most one query. Views get it once
    per request from the access surface (``request.scope``, org/access.py)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    if user.is_superuser:
        return Scope(user_id=user.pk, roots=None)
    if not user.is_staff:
        # Every granted role makes its login staff (services.person_account_sync), so the
        # many learners cost no query; a flag out of step fails closed, to oneself only.
        return Scope(user_id=user.pk, roots=())
    assignments = list(
        RoleAssignment.objects.filter(
            person__user_id=user.pk, role__in=[Role.PLATFORM_ADMIN, Role.HR_OFFICER]
        ).select_related("org_unit", "person")
    )
    if any(assignment.role == Role.PLATFORM_ADMIN for assignment in assignments):
        return Scope(user_id=user.pk, roots=None)
    units = sorted(
        (
            assignment.org_unit
            for assignment in assignments
            if assignment.person.is_active and assignment.org_unit is not None
        ),
        key=lambda unit: unit.path,
    )
    return Scope(user_id=user.pk, roots=tuple(_outermost(units)))


def is_platform_admin(user: Any) -> bool:
    return scope_of(user).everything


def scope_roots(user: Any) -> list[OrgUnit] | None:
    """The subtree roots a user may see: None means the whole tree, [] means none."""
    roots = scope_of(user).roots
    return None if roots is None else list(roots)


def subtree_q(units: Iterable[OrgUnit], *, field: str = "") -> Q:
    """A filter matching rows in the subtrees of ``units``; ``field`` leads to an OrgUnit.

    With no units it matches nothing (never everything: an empty OR would).
    """
    lookup = f"{field}__path" if field else "path"
    return Scope(user_id=None, roots=tuple(units)).path_q(lookup)


def visible_org_units(user: Any) -> QuerySet[OrgUnit]:
    """Organisation units the user may see and filter by."""
    return scope_of(user).units()


def visible_people(user: Any) -> QuerySet[Person]:
    """People the user may see: the root of every people list, export and API (tasks call
    this with the requesting user; views use ``request.scope.people()``)."""
    return scope_of(user).people()


def _outermost(units: Iterable[OrgUnit]) -> list[OrgUnit]:
    """Drop units that lie inside another unit of the list; units must come sorted by path."""
    kept: list[OrgUnit] = []
    for unit in units:
        if not any(unit.path.startswith(outer.path) for outer in kept):
            kept.append(unit)
    return kept
