"""The Zhejiang demo organisation: the tree, about 300 people and one account per role.

The data comes from ``demo/org/`` through ``demo.loader``. Idempotent: units are found by
code and people by employee number before anything is created, so running it again changes
nothing. Called by ``manage.py seed_demo``.
"""

from __future__ import annotations

from org import services
from org.demo_data import DemoAccount, OrgData, org_unit_plan, people_plan
from org.models import OrgUnit, Person, RoleAssignment


def seed(*, org: OrgData) -> dict[str, OrgUnit]:
    """Build the demo organisation; returns the demo units by code."""
    units = _seed_org_units(org)
    _seed_people(org, units)
    _seed_demo_accounts(org, units)
    return units


def counts() -> dict[str, int]:
    return {
        "Organisation units": OrgUnit.objects.count(),
        "People": Person.objects.count(),
        "Role assignments": RoleAssignment.objects.count(),
    }


def _seed_org_units(org: OrgData) -> dict[str, OrgUnit]:
    plan = org_unit_plan(org)
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=[p.code for p in plan])}
    for unit in plan:
        if unit.code in units:
            continue
        parent = None if unit.parent_code is None else units[unit.parent_code]
        units[unit.code] = services.org_unit_create(
            parent=parent,
            name=unit.name,
            kind=unit.kind,
            division_code=unit.division_code,
            code=unit.code,
        )
    return units


def _seed_people(org: OrgData, units: dict[str, OrgUnit]) -> None:
    plan = people_plan(org)
    existing = set(
        Person.objects.filter(
            employee_number__in=[person.employee_number for person in plan]
        ).values_list("employee_number", flat=True)
    )
    for person in plan:
        if person.employee_number in existing:
            continue
        services.person_create(
            username=person.username,
            real_name=person.real_name,
            employee_number=person.employee_number,
            org_unit=units[person.unit_code],
            # No password: these people only fill lists and dashboards, nobody logs in as them.
            password=None,
            rank=person.rank,
            position=person.position,
        )


def _seed_demo_accounts(org: OrgData, units: dict[str, OrgUnit]) -> None:
    for account in org.accounts:
        person = Person.objects.filter(employee_number=account.employee_number).first()
        if person is None:
            person = services.person_create(
                username=account.username,
                real_name=account.real_name,
                employee_number=account.employee_number,
                org_unit=_unit(units, account.unit_code, account),
                password=account.password,
                rank=account.rank,
                position=account.position,
            )
        if account.role is not None:
            scope = (
                None if account.scope_code is None else _unit(units, account.scope_code, account)
            )
            services.role_grant(person=person, role=account.role, org_unit=scope)


def _unit(units: dict[str, OrgUnit], code: str, account: DemoAccount) -> OrgUnit:
    try:
        return units[code]
    except KeyError:
        raise ValueError(
            f"Demo account {account.username!r} refers to unit {code!r}, which the plan lacks."
        ) from None
