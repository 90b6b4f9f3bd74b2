"""Writes to the organisation tree, people and roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from org import signals
from org.models import (
    ALLOWED_CHILD_KINDS,
    ApiToken,
    OrgUnit,
    OrgUnitKind,
    Person,
    Rank,
    Role,
    RoleAssignment,
)

# Django groups that carry each granted role's permissions in the Wagtail admin.
ROLE_GROUPS: dict[str, str] = {
    Role.TRAINER: "Trainers",
    Role.HR_OFFICER: "HR officers",
}


@transaction.atomic
def org_unit_create(
    *,
    parent: OrgUnit | None,
    name: str,
    kind: str,
    division_code: str,
    code: str,
) -> OrgUnit:
    """Add a unit under ``parent`` (or a province as a new root), checking the tree's shape."""
    if kind not in OrgUnitKind.values:
        raise ValidationError({"kind": _("Unknown kind of organisation unit: %s.") % kind})
    if parent is None:
        if kind != OrgUnitKind.PROVINCE:
            raise ValidationError({"kind": _("Only a province can be the root of the tree.")})
        unit = OrgUnit(name=name, kind=kind, division_code=division_code, code=code)
        unit.full_clean(exclude=["path", "depth", "numchild"])
        return OrgUnit.add_root(instance=unit)

    # treebeard gives the new child the path after its last sibling and locks the parent row
    # while it does, so concurrent adds under one parent get distinct paths (tested on
    # PostgreSQL in tests/org/test_concurrency.py).
    if kind not in ALLOWED_CHILD_KINDS[parent.kind]:
        raise ValidationError(
            {
                "kind": _("A %(child)s cannot be placed under a %(parent)s.")
                % {
                    "child": OrgUnitKind(kind).label,
                    "parent": OrgUnitKind(parent.kind).label,
                }
            }
        )
    unit = OrgUnit(name=name, kind=kind, division_code=division_code, code=code)
    unit.full_clean(exclude=["path", "depth", "numchild"])
    child: OrgUnit = parent.add_child(instance=unit)
    return child


@transaction.atomic
def person_create(
    *,
    username: str,
    real_name: str,
    employee_number: str,
    org_unit: OrgUnit,
    password: str | None = None,
    email: str = "",
    rank: str = "",
    position: str = "",
) -> Person:
    """Create a login and the person behind it; without a password the login is unusable."""
    if rank and rank not in Rank.values:
        raise ValidationError({"rank": _("Unknown rank: %s.") % rank})
    user = User(username=username, email=email)
    user.full_clean(exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user=user)
        user.set_password(password)
    user.save()
    person = Person(
        user=user,
        real_name=real_name,
        employee_number=employee_number,
        org_unit=org_unit,
        rank=rank,
        position=position,
    )
    person.full_clean()
    person.save()
    signals.person_placed.send(sender=Person, person_id=person.pk)
    audit_record(
        action="person.create",
        obj=person,
        subject_person_id=person.pk,
        subject_path=org_unit.path,
        after={
            "username": user.username,
            "real_name": person.real_name,
            "employee_number": person.employee_number,
            "org_unit": org_unit.pk,
            "org_unit_name": org_unit.name,
            "rank": person.rank,
            "position": person.position,
        },
    )
    return person


@transaction.atomic
def person_deactivate(*, person: Person) -> Person:
    """Mark a person as gone: the login stops working, the history stays."""
    was_active = person.is_active
    person.is_active = False
    person.save(update_fields=["is_active", "updated_at"])
    user = person.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(
        action="person.deactivate",
        obj=person,
        subject_person_id=person.pk,
        subject_path=person.org_unit.path,
        before={"is_active": was_active},
        after={"is_active": False},
    )
    return person


@transaction.atomic
def role_grant(*, person: Person, role: str, org_unit: OrgUnit | None = None) -> RoleAssignment:
    """Grant a role (HR officers over ``org_unit``'s subtree); granting twice changes nothing."""
    if role == Role.LEARNER:
        raise ValidationError({"role": _("Every person is a learner; there is nothing to grant.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %s.") % role})
    if role == Role.HR_OFFICER and org_unit is None:
        raise ValidationError({"org_unit": _("An HR officer needs an organisation unit.")})
    if role != Role.HR_OFFICER and org_unit is not None:
        raise ValidationError({"org_unit": _("Only HR officers are bound to a unit.")})
    assignment, created = RoleAssignment.objects.get_or_create(
        person=person, role=role, org_unit=org_unit
    )
    person_account_sync(person=person)
    if created:
        audit_record(
            action="role.grant",
            obj=assignment,
            subject_person_id=person.pk,
            subject_path=person.org_unit.path,
            after=_role_facts(role, org_unit),
        )
    return assignment


@transaction.atomic
def role_revoke(*, person: Person, role: str, org_unit: OrgUnit | None = None) -> None:
    """Take a role back; revoking one that is not held changes nothing."""
    revoked, _by_model = RoleAssignment.objects.filter(
        person=person, role=role, org_unit=org_unit
    ).delete()
    person_account_sync(person=person)
    if revoked:
        audit_record(
            action="role.revoke",
            obj=person,
            subject_person_id=person.pk,
            subject_path=person.org_unit.path,
            before=_role_facts(role, org_unit),
        )


def _role_facts(role: str, org_unit: OrgUnit | None) -> dict[str, object]:
    return {
        "role": role,
        "org_unit": None if org_unit is None else org_unit.pk,
        "org_unit_name": "" if org_unit is None else org_unit.name,
    }


@transaction.atomic
def person_account_sync(*, person: Person) -> None:
    """Make the login's admin flags and groups follow the person's roles."""
    roles = set(RoleAssignment.objects.filter(person=person).values_list("role", flat=True))
    user = person.user
    is_admin = Role.PLATFORM_ADMIN in roles
    is_staff = is_admin or bool(roles & set(ROLE_GROUPS))
    if (user.is_superuser, user.is_staff) != (is_admin, is_staff):
        user.is_superuser = is_admin
        user.is_staff = is_staff
        user.save(update_fields=["is_superuser", "is_staff"])
    for role, group_name in ROLE_GROUPS.items():
        group = _role_group(group_name)
        if role in roles:
            user.groups.add(group)
        else:
            user.groups.remove(group)


def _role_group(name: str) -> Group:
    group, created = Group.objects.get_or_create(name=name)
    if created:
        # Both roles work in the Wagtail admin; later issues add their own permissions.
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return group


# --- API tokens ------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token valid for API_TOKEN_DAYS; the key is returned this once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the script that uses it.")})
    key = ApiToken.generate_key()
    token = ApiToken(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        last_four=key[-4:],
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    token.full_clean(exclude=["key_hash", "last_four"])
    token.save()
    # The actor is the owner even when the request that asked for it is not signed in yet.
    _api_token_audit(
        "token.issue",
        token,
        after={"name": token.name, "last_four": token.last_four, "expires_at": token.expires_at},
        actor_user_id=user.pk,
        actor_label=user.get_username(),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, reason: str) -> None:
    """Revoke one token; revoking it again changes nothing."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:40]
    )
    if revoked:
        token.refresh_from_db(fields=["revoked_at", "revoked_reason"])
        _api_token_audit(
            "token.revoke",
            token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at, "reason": token.revoked_reason},
            note=reason,
        )


@transaction.atomic
def user_tokens_revoke(*, user: User, reason: str) -> int:
    """Revoke every live token of a user (sign-out, password change); returns how many."""
    live = list(ApiToken.objects.filter(user=user).live())
    for token in live:
        api_token_revoke(token=token, reason=reason)
    return len(live)


def _api_token_audit(action: str, token: ApiToken, **fields: Any) -> None:
    """A record about a token, filed under its owner's place in the tree (if a person)."""
    person = Person.objects.filter(user_id=token.user_id).select_related("org_unit").first()
    audit_record(
        action=action,
        obj=token,
        subject_person_id=None if person is None else person.pk,
        subject_path="" if person is None else person.org_unit.path,
        **fields,
    )
